"""Aggregates of a run: per metric value, the mean over the samples it counts, how many it
excluded, and the run's render success rate beside it. A mean is never shown without the
success rate, because "0.9 SSIM" over the 40% of programs that rendered is not the same
number as over all of them."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict

from pydantic import BaseModel, ConfigDict, Field

from .messages import Usage
from .records import SampleRecord
from .render_cache import render_counts
from .stats import aggregate, run_values


class MetricSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metric: str
    key: str
    mean: float | None
    std: float | None
    n: int
    excluded: int
    policy: str | None = None
    higher_is_better: bool | None = None
    #: 95% percentile-bootstrap interval of the mean (`visioncode.stats`); None below n=2.
    ci_low: float | None = None
    ci_high: float | None = None


class RunSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")
    samples: int
    ok: int
    failed: int
    errors: int
    success_rate: float
    statuses: dict[str, int] = Field(default_factory=dict)
    metrics: list[MetricSummary] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    seconds_per_sample: float | None = None
    #: Renders of every round, and how many of them the render cache served.
    renders: int = 0
    render_cache_hits: int = 0


def summarize(records: list[SampleRecord]) -> RunSummary:
    n = len(records)
    status = Counter(r.status for r in records)
    # The final round's status (`ok`, `repaired`, or how it failed); `error` for crashes.
    reasons = Counter(
        r.rounds[-1].status if r.rounds and r.status != "error" else "error"
        for r in records
    )
    # The same aggregation `visioncode compare` uses, so both report one number.
    run = run_values(records)
    metrics = [MetricSummary(**asdict(aggregate(run, name))) for name in sorted(run.values)]
    usage = sum((r.usage for r in records), Usage())
    total = [r.timings.get("total") for r in records if r.timings.get("total") is not None]
    renders, hits = render_counts(records)
    return RunSummary(
        renders=renders, render_cache_hits=hits,
        samples=n, ok=status["ok"], failed=status["failed"], errors=status["error"],
        success_rate=status["ok"] / n if n else 0.0, statuses=dict(sorted(reasons.items())),
        metrics=metrics, usage=usage,
        seconds_per_sample=sum(total) / len(total) if total else None,  # type: ignore[arg-type]
    )


def to_markdown(summary: RunSummary, title: str = "Run summary") -> str:
    lines = [
        f"# {title}", "",
        f"Samples: {summary.samples} — rendered {summary.ok}, failed {summary.failed}, "
        f"errors {summary.errors}; success rate {summary.success_rate:.1%}", "",
        "| metric | value | mean | 95% CI | std | n | excluded | failure policy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in summary.metrics:
        arrow = {True: " ↑", False: " ↓"}.get(m.higher_is_better, "")  # type: ignore[arg-type]
        lines.append(
            f"| {m.metric} | {m.key}{arrow} | {_fmt(m.mean)} | {_ci(m)} | {_fmt(m.std)} | {m.n} | "
            f"{m.excluded} | {m.policy or '-'} |"
        )
    lines += ["", "| status | samples |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in summary.statuses.items()]
    u = summary.usage
    lines += ["", f"Model calls: {u.calls}, tokens in/out: {u.input_tokens}/{u.output_tokens}, "
                  f"retries: {u.retries}, model latency: {u.latency_s:.1f} s"]
    if u.cache_hits:
        lines.append(f"Answered from the response cache: {u.cache_hits} (tokens in/out "
                     f"saved: {u.saved_input_tokens}/{u.saved_output_tokens})")
    if summary.renders:
        lines.append(f"Renders: {summary.renders}; served from the render cache: "
                     f"{summary.render_cache_hits} of {summary.renders}")
    return "\n".join(lines) + "\n"


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def _ci(m: MetricSummary) -> str:
    return "-" if m.ci_low is None or m.ci_high is None else f"[{m.ci_low:.4g}, {m.ci_high:.4g}]"
