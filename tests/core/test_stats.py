"""Bootstrap intervals and paired comparisons, checked against independent computations:
numpy's percentile, the normal approximation of the mean's sampling distribution, and
hand-counted wins/ties/losses."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from visioncode import Score
from visioncode.records import SampleRecord
from visioncode.stats import (
    aggregate,
    bootstrap_ci,
    breakdown,
    paired_comparison,
    quantile,
    run_values,
)
from visioncode.summary import summarize


def test_quantile_matches_numpy_linear_percentile() -> None:
    rng = random.Random(3)
    data = sorted(rng.gauss(0, 1) for _ in range(57))
    for q in (0.0, 0.025, 0.5, 0.975, 1.0):
        assert quantile(data, q) == pytest.approx(float(np.percentile(data, q * 100)))


def test_bootstrap_ci_agrees_with_the_normal_approximation() -> None:
    rng = random.Random(11)
    values = [rng.gauss(5.0, 2.0) for _ in range(400)]
    low, high = bootstrap_ci(values, resamples=4000, seed=1)  # type: ignore[misc]
    m = float(np.mean(values))
    se = float(np.std(values, ddof=1)) / math.sqrt(len(values))
    assert low == pytest.approx(m - 1.96 * se, abs=0.25 * se)
    assert high == pytest.approx(m + 1.96 * se, abs=0.25 * se)


def test_bootstrap_ci_is_seeded_and_degenerate_cases_are_explicit() -> None:
    rng = random.Random(2)
    values = [rng.random() for _ in range(30)]
    assert bootstrap_ci(values, seed=7) == bootstrap_ci(values, seed=7)
    assert bootstrap_ci(values, seed=7) != bootstrap_ci(values, seed=8)
    assert bootstrap_ci([0.4] * 9) == (pytest.approx(0.4), pytest.approx(0.4))
    assert bootstrap_ci([0.4]) is None and bootstrap_ci([]) is None
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci(values, confidence=1.5)


def test_paired_comparison_counts_and_direction() -> None:
    a = {"s1": 0.5, "s2": 0.5, "s3": 0.5, "s4": 0.5, "s5": None, "s6": 0.2}
    b = {"s1": 0.7, "s2": 0.5, "s3": 0.4, "s4": 0.9, "s5": 0.3, "s7": 0.1}
    up = paired_comparison(a, b, higher_is_better=True)
    assert (up.n, up.wins, up.ties, up.losses) == (4, 2, 1, 1)
    assert up.mean_diff == pytest.approx((0.2 + 0.0 - 0.1 + 0.4) / 4)
    assert up.mean_a == pytest.approx(0.5) and up.mean_b == pytest.approx(0.625)
    assert (up.only_a, up.only_b, up.missing) == (1, 2, 0)  # s6 | s5, s7
    down = paired_comparison(a, b, higher_is_better=False)
    assert (down.wins, down.ties, down.losses) == (1, 1, 2)
    assert down.mean_diff == up.mean_diff  # the difference is always B - A
    loose = paired_comparison(a, b, higher_is_better=True, tie_tolerance=0.15)
    assert (loose.wins, loose.ties, loose.losses) == (2, 2, 0)


def _record(sample_id: str, ssim: float | None, status: str = "ok") -> SampleRecord:
    return SampleRecord(sample_id=sample_id, status=status,  # type: ignore[arg-type]
                        scores={"ssim": Score(metric="ssim", values={"ssim": ssim},
                                              higher_is_better={"ssim": True},
                                              policy="exclude")})


def test_aggregate_breakdown_and_summary_agree() -> None:
    records = [_record("a", 0.9), _record("b", 0.7), _record("c", None, "failed"),
               _record("d", 0.5), SampleRecord(sample_id="e", status="error")]
    run = run_values(records)
    agg = aggregate(run, ("ssim", "ssim"))
    assert (agg.n, agg.excluded) == (3, 2)
    assert agg.mean == pytest.approx(0.7)
    assert agg.std == pytest.approx(float(np.std([0.9, 0.7, 0.5], ddof=1)))
    assert agg.ci_low is not None and 0.5 <= agg.ci_low <= 0.7 <= agg.ci_high <= 0.9
    summary = summarize(records).metrics[0]
    assert (summary.ci_low, summary.ci_high) == (agg.ci_low, agg.ci_high)
    parts = breakdown(run, {"a": "x", "b": "x", "c": "y", "d": "y"})
    assert list(parts) == ["(none)", "x", "y"]
    x_run, (x_agg,) = parts["x"]
    assert x_run.samples == 2 and x_run.success_rate == 1.0
    assert x_agg.mean == pytest.approx(0.8)
    y_run, (y_agg,) = parts["y"]
    assert (y_agg.n, y_agg.excluded, y_run.success_rate) == (1, 1, 0.5)
    assert y_agg.ci_low is None  # one value: no interval


def test_interval_does_not_depend_on_the_order_of_values() -> None:
    import random as _random

    from visioncode.stats import bootstrap_ci

    values = [0.1 * i + 0.03 * (i % 3) for i in range(40)]
    shuffled = values[:]
    _random.Random(5).shuffle(shuffled)
    assert bootstrap_ci(shuffled) == bootstrap_ci(values)
