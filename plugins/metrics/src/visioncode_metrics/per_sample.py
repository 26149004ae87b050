"""Per-sample tables of a run's scores, read from its `records.jsonl`.

The run summary gives means; comparing renderers, or finding which samples a model
fails, needs the row per sample. This reads the records with the core's public
`SampleRecord` model (nothing private of the run store) and lays out, for each sample,
its status, the final round's failure status, and every value of the chosen metrics.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from visioncode import SampleRecord


def load_records(run_dir: Path) -> list[SampleRecord]:
    """The records of a run directory (a cut-off last line, left by an interrupted run,
    is skipped)."""
    path = run_dir / "records.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir}: no records.jsonl (not a run directory?)")
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            records.append(SampleRecord.model_validate_json(line))
        except ValidationError:
            continue
    return sorted(records, key=lambda r: r.sample_id)


def table(records: list[SampleRecord], metrics: list[str] | None = None, *,
          rounds: bool = False) -> tuple[list[str], list[list[Any]]]:
    """(header, rows): sample, status, round status, then `metric.key` for every value of
    the chosen metrics (all metrics when None), in the order first seen. Scores are the
    final round's; with `rounds`, one row per round (a `round` column after the sample),
    to follow a critique -> revise loop."""
    lines: list[tuple[SampleRecord, int | None, str, dict[str, Any]]] = []
    for r in records:
        if rounds:
            lines += [(r, rnd.round, rnd.status, rnd.scores) for rnd in r.rounds]
        else:
            final = r.rounds[-1].status if r.rounds else "error"
            lines.append((r, None, final, r.scores))
    columns: list[tuple[str, str]] = []
    for *_, scores in lines:
        for score in scores.values():
            if metrics is not None and score.metric not in metrics:
                continue
            for key in score.values:
                if (score.metric, key) not in columns:
                    columns.append((score.metric, key))
    if metrics is not None:
        columns.sort(key=lambda c: metrics.index(c[0]))
    header = ["sample", *(["round"] if rounds else []), "status", "round_status",
              *(f"{m}.{k}" for m, k in columns)]
    rows = []
    for record, number, status, scores in lines:
        row: list[Any] = [record.sample_id, *([number] if rounds else []), record.status,
                          status]
        for metric, key in columns:
            score = scores.get(metric)
            row.append(score.values.get(key) if score is not None else None)
        rows.append(row)
    return header, rows


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def to_markdown(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def to_csv(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue()


def to_json(header: list[str], rows: list[list[Any]]) -> str:
    return json.dumps([dict(zip(header, row, strict=True)) for row in rows], indent=2) + "\n"
