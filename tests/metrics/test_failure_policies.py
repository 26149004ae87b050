"""How mse, psnr and ssim score rounds that did not render, and samples without a
reference."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from metrics_support import (
    failed_round,
    numpy_mse,
    numpy_ssim_rgb,
    pixels,
    rendered_round,
    sample,
)

from visioncode import DatasetError, FailurePolicy, Rendering, RoundRecord
from visioncode_metrics.mse import Mse
from visioncode_metrics.psnr import Psnr
from visioncode_metrics.ssim import Ssim

METRICS = (Mse, Psnr, Ssim)


def with_policy(cls, policy: str):
    return cls(cls.Options(failure_policy=policy))


def test_blank_compares_the_reference_with_a_white_canvas(reference: Path) -> None:
    ref = pixels(reference)
    white = np.ones_like(ref)
    mse = numpy_mse(ref, white)
    expected = {"mse": mse, "psnr": 10 * math.log10(1 / mse),
                "ssim": numpy_ssim_rgb(ref, white)}
    for cls in METRICS:
        score = with_policy(cls, "blank").score(sample(reference), failed_round())
        assert score.values[cls.key] == pytest.approx(expected[cls.key], abs=1e-9)
        assert score.rendered is False
        assert score.policy is FailurePolicy.blank
        assert score.details["failure"] == {"status": "render_error",
                                            "reason": "renderer crashed"}
        assert score.details["compared_with"] == "blank canvas #ffffff"
        assert score.details["compared_at"] == [48, 40]


def test_blank_is_the_default_policy(reference: Path) -> None:
    assert Mse().score(sample(reference), failed_round()).policy is FailurePolicy.blank


def test_blank_uses_the_background_option(reference: Path) -> None:
    metric = Mse(Mse.Options(background="black"))
    score = metric.score(sample(reference), failed_round())
    assert score.values["mse"] == pytest.approx(numpy_mse(pixels(reference), 0.0))


def test_worst_gives_each_metrics_bound(reference: Path) -> None:
    worst = {"mse": 1.0, "psnr": 0.0, "ssim": -1.0}
    for cls in METRICS:
        score = with_policy(cls, "worst").score(sample(reference), failed_round())
        assert score.values == {cls.key: worst[cls.key]}
        assert score.rendered is False and score.policy is FailurePolicy.worst
        assert score.higher_is_better == {cls.key: cls.higher_is_better}


def test_exclude_gives_none(reference: Path) -> None:
    for cls in METRICS:
        score = with_policy(cls, "exclude").score(sample(reference), failed_round())
        assert score.values == {cls.key: None}
        assert score.rendered is False and score.policy is FailurePolicy.exclude
        assert score.details["failure"]["status"] == "render_error"


def test_round_that_never_reached_the_renderer(reference: Path) -> None:
    parse_failure = RoundRecord(round=0, status="parse_error", reason="line 3: bad tag")
    score = with_policy(Mse, "exclude").score(sample(reference), parse_failure)
    assert score.details["failure"] == {"status": "parse_error", "reason": "line 3: bad tag"}


def test_render_error_reason_comes_from_the_rendering(reference: Path) -> None:
    record = RoundRecord(round=0, rendering=Rendering(status="timeout", renderer="t",
                                                      error="took 31 s"))
    score = with_policy(Mse, "worst").score(sample(reference), record)
    assert score.details["failure"] == {"status": "timeout", "reason": "took 31 s"}


def test_unreadable_render_is_scored_by_the_policy(reference: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    score = with_policy(Mse, "worst").score(sample(reference), rendered_round(broken))
    assert score.values == {"mse": 1.0}
    assert score.details["failure"]["status"] == "unreadable_render"
    missing = with_policy(Mse, "exclude").score(sample(reference),
                                                rendered_round(tmp_path / "gone.png"))
    assert missing.values == {"mse": None} and missing.rendered is False


def test_video_only_rendering_is_a_failure_for_still_metrics(
    reference: Path, tmp_path: Path
) -> None:
    record = RoundRecord(round=0, rendering=Rendering(status="ok", renderer="t",
                                                      video=tmp_path / "v.mp4"))
    score = with_policy(Mse, "exclude").score(sample(reference), record)
    assert score.details["failure"]["status"] == "no_image"


def test_no_reference_image_gives_none_with_a_reason(same: Path) -> None:
    for cls in METRICS:
        for policy in FailurePolicy:
            score = with_policy(cls, policy.value).score(sample(None), rendered_round(same))
            assert score.values == {cls.key: None}
            assert "no reference image" in score.details["reason"]
            assert score.rendered is True and score.policy is policy


def test_unreadable_reference_is_a_dataset_error(tmp_path: Path, same: Path) -> None:
    broken = tmp_path / "ref.png"
    broken.write_text("nope")
    with pytest.raises(DatasetError, match=r"sample 's1'.*ref\.png"):
        Mse().score(sample(broken), rendered_round(same))
