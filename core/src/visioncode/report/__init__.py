"""`visioncode report RUN_DIR`: a static, self-contained HTML report of a run.

One file, `RUN_DIR/report/index.html`, with its CSS and JavaScript inline, plots drawn
as inline SVG, programs highlighted with Pygments, and images either referenced relative
to the report (the run's own renders and videos) or copied next to it (references that
live in the dataset, diff heatmaps it computes). No network: it opens from a file system
or any static host, and moving the run directory keeps it working. The building code
(`visioncode.report.build`) is imported on use, so the CLI starts fast.
"""

from __future__ import annotations

from pathlib import Path


def write_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write the report of `run_dir` (default `RUN_DIR/report/index.html`); returns it."""
    from .build import write_report as write

    return write(run_dir, out)


__all__ = ["write_report"]
