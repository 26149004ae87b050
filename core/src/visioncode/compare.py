"""`visioncode compare RUN_A [RUN_B]`: the statistics of `visioncode.stats` on run
directories.

- One run: every value's mean with its bootstrap interval, n and how many samples were
  left out, beside the run's success rate; with `--by FIELD`, the same per subset.
- Two runs: a paired comparison of B against A on the samples both have (mean
  difference B - A with its bootstrap interval, wins/ties/losses of B), overall and,
  with `--by`, per subset.

Subsets come from a dataset field (`--by subset` or `--by meta.subset`). Records carry
the sample's `meta` when the pipeline stored it there; otherwise the field is read from
the run's dataset manifest (the `dataset.path` in the run's `config.json`).

Kept apart from `cli.py`: `cli.py` registers the command with one line.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypedDict

import click
from rich.console import Console
from rich.table import Table

from . import stats
from .errors import RunDirError
from .records import SampleRecord
from .store import RunStore


class _Bootstrap(TypedDict):
    """The bootstrap settings every aggregate and comparison of one report shares."""

    confidence: float
    resamples: int
    seed: int


# Piped output (CI logs, files) gets wide tables instead of 80 truncated columns.
out = Console(width=None if sys.stdout.isatty() else 160)


@dataclass
class LoadedRun:
    """A run directory's records and what it says about its dataset."""

    path: Path
    records: list[SampleRecord]
    config: dict[str, Any]

    @property
    def values(self) -> stats.RunValues:
        return stats.run_values(self.records)


def load_run(path: Path) -> LoadedRun:
    store = RunStore(path)
    if not store.exists():
        raise RunDirError(f"{path}: not a run directory (no run.json); pass a folder that "
                          f"`visioncode run` wrote, e.g. runs/pipeline-20250101-120000")
    config_path = store.dir / "config.json"
    config = json.loads(config_path.read_text()) if config_path.is_file() else {}
    return LoadedRun(path=store.dir, records=store.load(), config=config)


def _lookup(row: dict[str, Any], field: str) -> Any:
    """`meta.subset` or `subset` (meta first, then the sample's own fields)."""
    parts = field.split(".")
    if parts[0] != "meta" and isinstance(row.get("meta"), dict) and parts[0] in row["meta"]:
        node: Any = row["meta"]
    else:
        node = row
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _manifest_rows(run: LoadedRun) -> dict[str, dict[str, Any]] | None:
    """The run's dataset manifest by sample id, or None when it is not there."""
    path = (run.config.get("dataset") or {}).get("path")
    if not path:
        return None
    manifest = Path(path)
    if not manifest.is_absolute():
        manifest = run.path / manifest
    if not manifest.is_file():
        return None
    rows = {}
    with manifest.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                if isinstance(row, dict) and "id" in row:
                    rows[str(row["id"])] = row
    return rows


def groups_of(run: LoadedRun, field: str) -> dict[str, str | None]:
    """Sample id -> the value of a dataset field (None where the sample lacks it): from
    the sample's meta in its record, else from the run's dataset manifest."""
    rows: dict[str, dict[str, Any]] | None = None
    read_manifest = False
    labels: dict[str, str | None] = {}
    for record in run.records:
        value = _lookup({"meta": record.meta}, field) if record.meta else None
        if value is None:
            if not read_manifest:
                rows, read_manifest = _manifest_rows(run), True
                if rows is None and not any(r.meta for r in run.records):
                    raise RunDirError(
                        f"{run.path}: its records carry no sample meta and its dataset "
                        f"manifest (config.json dataset.path) is not there; restore it "
                        f"to group by a dataset field")
            value = _lookup((rows or {}).get(record.sample_id, {}), field)
        labels[record.sample_id] = None if value is None else str(value)
    return labels


def _selected(names: list[stats.ValueName], metrics: tuple[str, ...]) -> list[stats.ValueName]:
    if not metrics:
        return names
    chosen = [n for n in names if n[0] in metrics or f"{n[0]}.{n[1]}" in metrics]
    if not chosen:
        have = ", ".join(sorted({n[0] for n in names})) or "none"
        raise click.UsageError(f"--metric {', '.join(metrics)}: no such value in the run(s) "
                               f"(metrics: {have}; use a metric name or metric.key)")
    return chosen


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def _interval(low: float | None, high: float | None) -> str:
    return "-" if low is None or high is None else f"[{low:.4g}, {high:.4g}]"


def _arrow(higher_is_better: bool | None) -> str:
    return {True: " ↑", False: " ↓"}.get(higher_is_better, "")  # type: ignore[arg-type]


def _rate(run: stats.RunValues) -> str:
    rate = run.success_rate
    ok = sum(s == "ok" for s in run.status.values())
    return "-" if rate is None else f"{rate:.1%} ({ok}/{run.samples})"


def _aggregates_table(title: str, aggregates: list[stats.Aggregate]) -> Table:
    table = Table("metric", "value", "mean", "95% CI", "n", "excluded", "policy", title=title)
    for a in aggregates:
        table.add_row(a.metric, a.key + _arrow(a.higher_is_better), _fmt(a.mean),
                      _interval(a.ci_low, a.ci_high), str(a.n), str(a.excluded),
                      a.policy or "-")
    return table


def _comparison_table(title: str, rows: list[stats.PairedComparison]) -> Table:
    table = Table("metric", "value", "n", "A", "B", "B - A", "95% CI", "W/T/L (B)", "note",
                  title=title)
    for c in rows:
        notes = []
        if c.policy_a != c.policy_b:
            notes.append(f"policies differ: {c.policy_a} vs {c.policy_b}")
        if c.only_a or c.only_b:
            notes.append(f"unpaired: {c.only_a} A only, {c.only_b} B only")
        diff = _fmt(c.mean_diff) + (" *" if c.significant else "")
        table.add_row(c.metric, c.key + _arrow(c.higher_is_better), str(c.n), _fmt(c.mean_a),
                      _fmt(c.mean_b), diff, _interval(c.ci_low, c.ci_high),
                      f"{c.wins}/{c.ties}/{c.losses}", "; ".join(notes))
    return table


@click.command("compare")
@click.argument("run_a", type=click.Path(file_okay=False, path_type=Path))
@click.argument("run_b", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.option("--metric", "-m", "metrics", multiple=True, metavar="NAME[.KEY]",
              help="Only these values (a metric, or metric.key); repeatable.")
@click.option("--by", "by", metavar="FIELD",
              help="Also break down by a dataset field, e.g. subset or meta.subset.")
@click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=stats.DEFAULT_CONFIDENCE, show_default=True,
              help="Level of the bootstrap intervals.")
@click.option("--resamples", type=click.IntRange(1), default=stats.DEFAULT_RESAMPLES,
              show_default=True, help="Bootstrap resamples.")
@click.option("--seed", type=int, default=stats.DEFAULT_SEED, show_default=True,
              help="Seed of the bootstrap (same seed, same intervals).")
@click.option("--tie", "tie_tolerance", type=click.FloatRange(0), default=0.0,
              show_default=True, help="|B - A| at or below this counts as a tie.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def compare(run_a: Path, run_b: Path | None, metrics: tuple[str, ...], by: str | None,
            confidence: float, resamples: int, seed: int, tie_tolerance: float,
            as_json: bool) -> None:
    """Means with bootstrap intervals of one run, or a paired comparison of RUN_B against
    RUN_A on the samples both ran (mean difference, its interval, wins/ties/losses)."""
    boot = _Bootstrap(confidence=confidence, resamples=resamples, seed=seed)
    a = load_run(run_a)
    b = load_run(run_b) if run_b is not None else None
    va = a.values
    groups = groups_of(a, by) if by else None
    if b is None:
        report: dict[str, Any] = {"run": str(a.path), "samples": va.samples,
                                  "success_rate": va.success_rate, **boot}
        names = _selected(sorted(va.values), metrics)
        overall = [stats.aggregate(va, n, **boot) for n in names]
        report["metrics"] = [asdict(x) for x in overall]
        parts = stats.breakdown(va, groups, **boot) if groups is not None else {}
        if by:
            report["by"] = by
            report["groups"] = {
                label: {"samples": part.samples, "success_rate": part.success_rate,
                        "metrics": [asdict(x) for x in aggs if (x.metric, x.key) in names]}
                for label, (part, aggs) in parts.items()}
        if as_json:
            click.echo(json.dumps(report, indent=2))
            return
        out.print(_aggregates_table(f"{a.path} — success rate {_rate(va)}", overall))
        for label, (part, aggs) in parts.items():
            out.print(_aggregates_table(
                f"{by} = {label} — success rate {_rate(part)}",
                [x for x in aggs if (x.metric, x.key) in names]))
        return

    vb = b.values
    common = sorted(set(va.status) & set(vb.status))
    if not common:
        raise RunDirError(f"{a.path} and {b.path} have no sample in common: a paired "
                          f"comparison needs the same samples in both runs")
    names = _selected(sorted(set(va.values) & set(vb.values)), metrics)
    pa, pb = va.subset(common), vb.subset(common)
    rows = stats.compare_runs(pa, pb, names, tie_tolerance=tie_tolerance, **boot)
    report = {
        "a": {"run": str(a.path), "samples": va.samples, "success_rate": va.success_rate,
              "success_rate_common": pa.success_rate},
        "b": {"run": str(b.path), "samples": vb.samples, "success_rate": vb.success_rate,
              "success_rate_common": pb.success_rate},
        "common_samples": len(common), "tie_tolerance": tie_tolerance, **boot,
        "comparisons": [asdict(c) for c in rows],
    }
    grouped: dict[str, list[stats.PairedComparison]] = {}
    if groups is not None:
        members: dict[str, list[str]] = {}
        for s in common:
            group = groups.get(s)
            members.setdefault("(none)" if group is None else group, []).append(s)
        for label in sorted(members):
            grouped[label] = stats.compare_runs(pa.subset(members[label]),
                                                pb.subset(members[label]), names,
                                                tie_tolerance=tie_tolerance, **boot)
        report["by"] = by
        report["groups"] = {label: [asdict(c) for c in cs] for label, cs in grouped.items()}
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    out.print(f"A: {a.path} — success rate {_rate(va)}")
    out.print(f"B: {b.path} — success rate {_rate(vb)}")
    out.print(f"common samples: {len(common)} (A only {va.samples - len(common)}, "
              f"B only {vb.samples - len(common)}); * = the {confidence:.0%} interval "
              f"excludes 0")
    out.print(_comparison_table("B against A", rows))
    for label, cs in grouped.items():
        out.print(_comparison_table(f"{by} = {label}", cs))
