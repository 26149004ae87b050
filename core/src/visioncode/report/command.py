"""`visioncode report RUN_DIR` (registered by `cli.py` with one line)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("report")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file to write (default: RUN_DIR/report/index.html).")
def report(run_dir: Path, out: Path | None) -> None:
    """Write a static HTML report of a run: summary, distributions, sample gallery."""
    from .build import write_report

    path = write_report(run_dir, out)
    click.echo(f"report: {path}")
