"""Statistics a reader can trust: means with bootstrap confidence intervals, per-subset
breakdowns, and paired comparisons of two runs on the same samples.

Everything here is plain Python with a seeded `random.Random`, so the same records and
the same seed give the same intervals on every machine, with or without numpy.

- **Percentile bootstrap** (Efron): resample the n per-sample values with replacement
  `resamples` times, take the mean of each resample, and report the (1 - confidence) / 2
  and (1 + confidence) / 2 quantiles of those means (linear interpolation between order
  statistics, numpy's default). Undefined (None) for fewer than two values.
- **Paired comparison** of run B against run A: per sample present in both with a value
  in both, d = B - A. The mean of d, its percentile-bootstrap interval (resampling
  samples, so the pairing is kept), and wins/ties/losses of B, where "win" respects the
  value's direction (`higher_is_better`) and |d| <= `tie_tolerance` is a tie.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .records import SampleRecord

#: Defaults for every interval visioncode reports (summary, `visioncode compare`).
DEFAULT_CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 0

#: (metric, key): the name of one reported value, e.g. ("ssim", "ssim").
ValueName = tuple[str, str]


def finite(values: Iterable[float | None]) -> list[float]:
    """The values that count: not None, not NaN, not infinite."""
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def std(values: Sequence[float]) -> float | None:
    """Sample standard deviation (n - 1), None below two values."""
    m = mean(values)
    if m is None or len(values) < 2:
        return None
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / (len(values) - 1))


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """The q-quantile of already sorted values, linear between order statistics."""
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def bootstrap_means(values: Sequence[float], *, resamples: int = DEFAULT_RESAMPLES,
                    seed: int = DEFAULT_SEED) -> list[float]:
    """Means of `resamples` resamples (with replacement, size n) of `values`, sorted.

    The values are sorted before resampling, so the result depends on the values and the
    seed only, not on their order (records arrive in completion order, which varies
    between runs with several workers)."""
    rng = random.Random(seed)
    n = len(values)
    data = sorted(values)
    means = [sum(rng.choices(data, k=n)) / n for _ in range(resamples)]
    means.sort()
    return means


def bootstrap_ci(values: Sequence[float], *, confidence: float = DEFAULT_CONFIDENCE,
                 resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                 ) -> tuple[float, float] | None:
    """Percentile-bootstrap interval of the mean of `values`; None below two values."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    if len(values) < 2:
        return None
    means = bootstrap_means(values, resamples=resamples, seed=seed)
    alpha = 1.0 - confidence
    return quantile(means, alpha / 2), quantile(means, 1.0 - alpha / 2)


@dataclass(frozen=True)
class ValueInfo:
    """What the scores say about a value: its failure policy and direction."""

    policy: str | None = None
    higher_is_better: bool | None = None


@dataclass
class RunValues:
    """Every metric value of a run, per sample: `values[(metric, key)][sample_id]` (None
    where the metric left the sample out), the samples' statuses, and per value its
    policy and direction."""

    values: dict[ValueName, dict[str, float | None]] = field(default_factory=dict)
    info: dict[ValueName, ValueInfo] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)

    @property
    def samples(self) -> int:
        return len(self.status)

    @property
    def success_rate(self) -> float | None:
        if not self.status:
            return None
        return sum(s == "ok" for s in self.status.values()) / len(self.status)

    def subset(self, sample_ids: Iterable[str]) -> RunValues:
        keep = set(sample_ids)
        return RunValues(
            values={name: {s: v for s, v in per.items() if s in keep}
                    for name, per in self.values.items()},
            info=dict(self.info),
            status={s: v for s, v in self.status.items() if s in keep},
        )


def run_values(records: Iterable[SampleRecord]) -> RunValues:
    """Collect the final scores of every record. A sample whose metric did not answer
    (an error before scoring) has no entry for it, which counts as left out."""
    out = RunValues()
    for r in records:
        out.status[r.sample_id] = r.status
        for score in r.scores.values():
            for key, v in score.values.items():
                name = (score.metric, key)
                out.values.setdefault(name, {})[r.sample_id] = v
                out.info[name] = ValueInfo(
                    policy=score.policy.value if score.policy else None,
                    higher_is_better=score.higher_is_better.get(key))
    return out


@dataclass(frozen=True)
class Aggregate:
    """One value over one set of samples."""

    metric: str
    key: str
    n: int
    excluded: int
    mean: float | None
    std: float | None
    ci_low: float | None
    ci_high: float | None
    policy: str | None
    higher_is_better: bool | None


def aggregate(run: RunValues, name: ValueName, *, confidence: float = DEFAULT_CONFIDENCE,
              resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> Aggregate:
    """Mean, std and bootstrap interval of one value over the run's samples. `excluded`
    counts every sample of the run without a value (left out by a failure policy, or
    never scored because the sample errored)."""
    counted = finite(run.values.get(name, {}).values())
    ci = bootstrap_ci(counted, confidence=confidence, resamples=resamples, seed=seed)
    info = run.info.get(name, ValueInfo())
    return Aggregate(
        metric=name[0], key=name[1], n=len(counted), excluded=run.samples - len(counted),
        mean=mean(counted), std=std(counted),
        ci_low=ci[0] if ci else None, ci_high=ci[1] if ci else None,
        policy=info.policy, higher_is_better=info.higher_is_better,
    )


def breakdown(run: RunValues, groups: Mapping[str, str | None], *,
              confidence: float = DEFAULT_CONFIDENCE, resamples: int = DEFAULT_RESAMPLES,
              seed: int = DEFAULT_SEED) -> dict[str, tuple[RunValues, list[Aggregate]]]:
    """Per group (e.g. per `meta.subset`), the group's samples and the aggregate of
    every value over them. `groups` maps sample id -> group label; samples without a
    label are grouped under "(none)"."""
    members: dict[str, list[str]] = {}
    for sample_id in run.status:
        label = groups.get(sample_id)
        members.setdefault("(none)" if label is None else str(label), []).append(sample_id)
    out = {}
    for label in sorted(members):
        part = run.subset(members[label])
        out[label] = (part, [aggregate(part, name, confidence=confidence,
                                       resamples=resamples, seed=seed)
                             for name in sorted(run.values)])
    return out


@dataclass(frozen=True)
class PairedComparison:
    """Run B against run A on one value, over the samples both runs have a value for.

    `mean_diff` = mean(B - A); `ci_low`/`ci_high` its bootstrap interval. `wins` counts
    samples where B is better (by `higher_is_better`; with an unknown direction, where
    B is higher), `losses` where A is better, `ties` where |B - A| <= tie_tolerance.
    `only_a`/`only_b`: samples with a value in one run only (left out of the pairing);
    `missing`: samples in both runs with a value in neither."""

    metric: str
    key: str
    n: int
    mean_a: float | None
    mean_b: float | None
    mean_diff: float | None
    ci_low: float | None
    ci_high: float | None
    wins: int
    ties: int
    losses: int
    only_a: int
    only_b: int
    missing: int
    higher_is_better: bool | None
    policy_a: str | None
    policy_b: str | None

    @property
    def significant(self) -> bool:
        """The interval of the difference excludes 0."""
        return (self.ci_low is not None and self.ci_high is not None
                and (self.ci_low > 0 or self.ci_high < 0))


def paired_comparison(a: Mapping[str, float | None], b: Mapping[str, float | None], *,
                      metric: str = "", key: str = "", higher_is_better: bool | None = None,
                      policy_a: str | None = None, policy_b: str | None = None,
                      tie_tolerance: float = 0.0, confidence: float = DEFAULT_CONFIDENCE,
                      resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                      ) -> PairedComparison:
    """Compare B with A sample by sample (`a` and `b` map sample id -> value)."""
    def ok(v: float | None) -> bool:
        return v is not None and math.isfinite(v)

    common = sorted(set(a) & set(b))
    paired = [s for s in common if ok(a[s]) and ok(b[s])]
    only_a = sum(1 for s in a if ok(a[s]) and not (s in b and ok(b[s])))
    only_b = sum(1 for s in b if ok(b[s]) and not (s in a and ok(a[s])))
    missing = sum(1 for s in common if not ok(a[s]) and not ok(b[s]))
    diffs = [float(b[s]) - float(a[s]) for s in paired]  # type: ignore[arg-type]
    sign = -1.0 if higher_is_better is False else 1.0
    wins = sum(1 for d in diffs if abs(d) > tie_tolerance and sign * d > 0)
    losses = sum(1 for d in diffs if abs(d) > tie_tolerance and sign * d < 0)
    ci = bootstrap_ci(diffs, confidence=confidence, resamples=resamples, seed=seed)
    return PairedComparison(
        metric=metric, key=key, n=len(paired),
        mean_a=mean([float(a[s]) for s in paired]),  # type: ignore[arg-type]
        mean_b=mean([float(b[s]) for s in paired]),  # type: ignore[arg-type]
        mean_diff=mean(diffs), ci_low=ci[0] if ci else None, ci_high=ci[1] if ci else None,
        wins=wins, ties=len(diffs) - wins - losses, losses=losses,
        only_a=only_a, only_b=only_b, missing=missing, higher_is_better=higher_is_better,
        policy_a=policy_a, policy_b=policy_b,
    )


def compare_runs(a: RunValues, b: RunValues, names: Iterable[ValueName] | None = None, *,
                 tie_tolerance: float = 0.0, confidence: float = DEFAULT_CONFIDENCE,
                 resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                 ) -> list[PairedComparison]:
    """A paired comparison for every value both runs report (or the `names` given)."""
    chosen = sorted(set(a.values) & set(b.values)) if names is None else list(names)
    out = []
    for name in chosen:
        ia, ib = a.info.get(name, ValueInfo()), b.info.get(name, ValueInfo())
        direction = ia.higher_is_better if ia.higher_is_better is not None \
            else ib.higher_is_better
        out.append(paired_comparison(
            a.values.get(name, {}), b.values.get(name, {}), metric=name[0], key=name[1],
            higher_is_better=direction, policy_a=ia.policy, policy_b=ib.policy,
            tie_tolerance=tie_tolerance, confidence=confidence, resamples=resamples,
            seed=seed))
    return out
