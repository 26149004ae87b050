"""A job folder of replayed answers: how the SVG benchmarks run programs through `visioncode
run` (replay model -> `svg` executor -> a renderer -> metrics), written in one place so each
benchmark measures the same pipeline file."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


def _jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def write_replay_job(folder: Path, rows: Sequence[dict[str, Any]],
                     answers: Sequence[dict[str, Any]], *, task: str, renderer: str,
                     width: int, height: int,
                     metrics: Sequence[str] = ("render-success",),
                     background: str | None = None) -> Path:
    """`samples.jsonl`, `answers.jsonl` and `pipeline.toml` in `folder` (one worker, render
    cache off, so every program is rendered); returns the pipeline file."""
    _jsonl(folder / "samples.jsonl", rows)
    _jsonl(folder / "answers.jsonl", answers)
    render = f"width = {width}\nheight = {height}\n"
    if background is not None:
        render += f'background = "{background}"\n'
    metric_tables = "".join(f'[[metrics]]\nuse = "{m}"\n' for m in metrics)
    config = folder / "pipeline.toml"
    config.write_text(f"""
[task]
name = "{task}"
[dataset]
path = "samples.jsonl"
[model]
use = "replay"
options = {{ path = "answers.jsonl" }}
[executor]
use = "svg"
[renderer]
use = "{renderer}"
[render]
{render}{metric_tables}[run]
workers = 1
render_cache = false
""")
    return config
