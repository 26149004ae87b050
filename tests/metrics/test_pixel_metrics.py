"""mse, psnr and ssim against independent numpy computations on PIL-written images."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from metrics_support import (
    numpy_mse,
    numpy_ssim_2d,
    numpy_ssim_rgb,
    pixels,
    rendered_round,
    sample,
    solid_image,
    square_image,
)
from PIL import Image, ImageDraw
from pydantic import ValidationError

from visioncode import ComponentContext, FailurePolicy
from visioncode_metrics.mse import Mse
from visioncode_metrics.psnr import PSNR_CAP_DB, Psnr
from visioncode_metrics.ssim import Ssim, SsimOptions


def value(metric, reference: Path, render: Path) -> float | None:
    return metric.score(sample(reference), rendered_round(render)).values[metric.key]


# -- identical images ---------------------------------------------------------------


def test_identical_images_score_perfectly(reference: Path, same: Path) -> None:
    assert value(Mse(), reference, same) == 0.0
    assert value(Psnr(), reference, same) == PSNR_CAP_DB
    assert value(Ssim(), reference, same) == pytest.approx(1.0)


def test_identical_psnr_is_marked_capped(reference: Path, same: Path) -> None:
    score = Psnr().score(sample(reference), rendered_round(same))
    assert score.details["capped"] is True and score.details["mse"] == 0.0


# -- a known shift ------------------------------------------------------------------


def test_mse_of_shifted_square_matches_numpy(reference: Path, shifted: Path) -> None:
    expected = numpy_mse(pixels(reference), pixels(shifted))
    assert expected > 0
    assert value(Mse(), reference, shifted) == pytest.approx(expected, rel=1e-12)


def test_mse_of_shifted_square_matches_hand_count(reference: Path, shifted: Path) -> None:
    # The 16 x 16 square moves 6 px: 2 * 6 * 16 pixels change between white and the
    # square's colour (200, 40, 40); squared differences per channel over 48 x 40 x 3.
    per_pixel = sum(((255 - c) / 255) ** 2 for c in (200, 40, 40))
    expected = 2 * 6 * 16 * per_pixel / (48 * 40 * 3)
    assert value(Mse(), reference, shifted) == pytest.approx(expected)


def test_psnr_of_shifted_square_matches_numpy(reference: Path, shifted: Path) -> None:
    mse = numpy_mse(pixels(reference), pixels(shifted))
    assert value(Psnr(), reference, shifted) == pytest.approx(10 * math.log10(1 / mse))


def test_ssim_rgb_of_shifted_square_matches_numpy(reference: Path, shifted: Path) -> None:
    expected = numpy_ssim_rgb(pixels(reference), pixels(shifted), win=11)
    assert 0 < expected < 1
    assert value(Ssim(), reference, shifted) == pytest.approx(expected, abs=1e-9)


def test_ssim_grey_uses_bt601_luma(reference: Path, shifted: Path) -> None:
    luma = np.array([0.299, 0.587, 0.114])
    expected = numpy_ssim_2d(pixels(reference) @ luma, pixels(shifted) @ luma, win=11)
    got = value(Ssim(SsimOptions(channels="grey")), reference, shifted)
    assert got == pytest.approx(expected, abs=1e-9)


def test_ssim_window_size_option(reference: Path, shifted: Path) -> None:
    expected = numpy_ssim_rgb(pixels(reference), pixels(shifted), win=7)
    score = Ssim(SsimOptions(win_size=7)).score(sample(reference), rendered_round(shifted))
    assert score.values["ssim"] == pytest.approx(expected, abs=1e-9)
    assert score.details["win_size"] == 7


def test_ssim_shrinks_the_window_for_small_images(tmp_path: Path) -> None:
    a = solid_image(tmp_path / "a.png", (9, 5), (10, 20, 30))
    b = solid_image(tmp_path / "b.png", (9, 5), (10, 20, 200))
    score = Ssim().score(sample(a), rendered_round(b))
    assert score.details["win_size"] == 5
    assert score.values["ssim"] == pytest.approx(numpy_ssim_rgb(pixels(a), pixels(b), win=5))

    tiny = solid_image(tmp_path / "tiny.png", (2, 2), (0, 0, 0))
    score = Ssim().score(sample(tiny), rendered_round(tiny))
    assert score.values["ssim"] is None and "undefined" in score.details["reason"]


# -- different sizes ----------------------------------------------------------------


def test_render_of_another_size_is_resized_to_the_reference(tmp_path: Path) -> None:
    # Solid colours survive any resampling exactly, so the expected MSE is known.
    ref = solid_image(tmp_path / "ref.png", (32, 24), (255, 0, 0))
    render = solid_image(tmp_path / "render.png", (64, 50), (255, 128, 0))
    score = Mse().score(sample(ref), rendered_round(render))
    assert score.values["mse"] == pytest.approx((128 / 255) ** 2 / 3, rel=1e-6)
    assert score.details["compared_at"] == [32, 24]
    assert score.details["resized_render_from"] == [64, 50]


def test_upscaled_render_is_close_after_resizing(tmp_path: Path, reference: Path) -> None:
    # The same drawing rendered at twice the size, as a renderer at scale 2 would.
    big = Image.new("RGB", (96, 80), "white")
    ImageDraw.Draw(big).rectangle((24, 20, 55, 51), fill=(200, 40, 40))
    big.save(tmp_path / "big.png")
    assert value(Mse(), reference, tmp_path / "big.png") < 0.01  # only the edges blur
    assert value(Ssim(), reference, tmp_path / "big.png") > 0.8


def test_size_option_compares_both_at_a_fixed_size(tmp_path: Path) -> None:
    ref = solid_image(tmp_path / "ref.png", (32, 24), (0, 0, 255))
    render = solid_image(tmp_path / "render.png", (20, 20), (0, 0, 0))
    metric = Mse(Mse.Options(size=16))
    score = metric.score(sample(ref), rendered_round(render))
    assert score.values["mse"] == pytest.approx(1 / 3, rel=1e-6)
    assert score.details["compared_at"] == [16, 16]
    assert score.details["resized_reference_from"] == [32, 24]
    assert score.details["resized_render_from"] == [20, 20]


# -- transparency -------------------------------------------------------------------


def test_rgba_is_composited_over_white(tmp_path: Path) -> None:
    # Half-transparent red square on a fully transparent background...
    ref = square_image(tmp_path / "ref.png", mode="RGBA", colour=(255, 0, 0, 128),
                       background=(0, 0, 0, 0))
    # ...equals its composite over white, drawn opaque.
    a = 128 / 255
    composite = tuple(round(c * a + 255 * (1 - a)) for c in (255, 0, 0))
    render = square_image(tmp_path / "render.png", colour=composite)
    assert value(Mse(), ref, render) < (0.5 / 255) ** 2  # within 8-bit rounding
    expected = np.array([255, 0, 0]) / 255 * a + (1 - a)
    stored = pixels(render)[15, 15]
    assert np.allclose(stored, expected, atol=0.5 / 255)


def test_transparent_render_equals_white(tmp_path: Path, reference: Path) -> None:
    transparent = square_image(tmp_path / "t.png", mode="RGBA", colour=(200, 40, 40, 255),
                               background=(0, 0, 0, 0))
    assert value(Mse(), reference, transparent) == 0.0


def test_background_option_changes_the_composite(tmp_path: Path) -> None:
    transparent = solid_image(tmp_path / "t.png", (8, 8), (0, 0, 0, 0), mode="RGBA")
    black = solid_image(tmp_path / "k.png", (8, 8), (0, 0, 0))
    assert value(Mse(), black, transparent) == pytest.approx(1.0)
    assert value(Mse(Mse.Options(background="black")), black, transparent) == 0.0


def test_palette_image_with_transparency(tmp_path: Path, reference: Path) -> None:
    rgba = Image.open(square_image(tmp_path / "t.png", mode="RGBA", colour=(200, 40, 40, 255),
                                   background=(0, 0, 0, 0)))
    palette = tmp_path / "p.png"
    rgba.convert("P").save(palette, transparency=rgba.convert("P").getpixel((0, 0)))
    assert value(Mse(), reference, palette) < 1e-4


# -- direction and naming -----------------------------------------------------------


@pytest.mark.parametrize(("metric", "key", "better"), [
    (Mse(), "mse", False), (Psnr(), "psnr", True), (Ssim(), "ssim", True),
])
def test_scores_name_their_value_and_direction(metric, key: str, better: bool,
                                               reference: Path, shifted: Path) -> None:
    score = metric.score(sample(reference), rendered_round(shifted))
    assert score.metric == key  # default component name = entry-point name
    assert set(score.values) == {key}
    assert score.higher_is_better == {key: better}
    assert score.rendered is True and score.policy is FailurePolicy.blank
    assert score.details["reference"] == str(reference)
    assert score.details["render"] == str(shifted)


def test_score_metric_is_the_configured_name(reference: Path, same: Path) -> None:
    metric = Mse(context=ComponentContext(name="pixel-mse"))
    assert metric.score(sample(reference), rendered_round(same)).metric == "pixel-mse"


# -- options ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [
    {"failure_policy": "ignore"},
    {"size": 0},
    {"background": "not-a-colour"},
    {"colour": "white"},
])
def test_bad_common_options_are_rejected(bad: dict[str, object]) -> None:
    for metric in (Mse, Psnr, Ssim):
        with pytest.raises(ValidationError):
            metric.Options(**bad)


@pytest.mark.parametrize("bad", [{"win_size": 8}, {"win_size": 1}, {"channels": "hsv"}])
def test_bad_ssim_options_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SsimOptions(**bad)


def test_option_defaults() -> None:
    options = SsimOptions()
    assert options.failure_policy is FailurePolicy.blank
    assert options.size is None and options.background == "#ffffff"
    assert options.channels == "rgb" and options.win_size == 11
