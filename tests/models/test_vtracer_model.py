"""The vtracer baseline: real tracing of PIL-drawn images, checked by rendering back."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from models_support import BLUE_BOX, RED_BOX, SIZE, image_request
from PIL import Image
from pydantic import ValidationError

from visioncode import Message, ModelError, ModelRequest
from visioncode_models.svg_viewbox import ensure_viewbox
from visioncode_models.vtracer_model import VtracerModel, VtracerOptions

SVG_NS = "{http://www.w3.org/2000/svg}"


def render(svg: str, width: int, height: int, background: str = "white") -> np.ndarray:
    """Render with cairosvg (the svg plugin's renderer library), as float RGB."""
    cairosvg = pytest.importorskip("cairosvg")
    png = cairosvg.svg2png(
        bytestring=svg.encode(), output_width=width, output_height=height,
        background_color=background,
    )
    img = Image.open(io.BytesIO(png)).convert("RGB")
    return np.asarray(img, dtype=np.float64) / 255.0


def load(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0


def parse(svg: str) -> ET.Element:
    """Parse vtracer's output (trusted: it comes from our own tracer, not a model)."""
    return ET.fromstring(svg)


def test_traces_two_rectangles_to_svg_that_renders_back(two_rectangles: Path) -> None:
    completion = VtracerModel().generate(image_request(two_rectangles))

    root = parse(completion.text)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") == f"0 0 {SIZE[0]} {SIZE[1]}"
    assert len(root.findall(f"{SVG_NS}path")) >= 3  # bg + 2 boxes

    rendered, original = render(completion.text, *SIZE), load(two_rectangles)
    assert np.mean((rendered - original) ** 2) < 1e-3
    # Spot-check the colours where the boxes are.
    cx, cy = (RED_BOX[0] + RED_BOX[2]) // 2, (RED_BOX[1] + RED_BOX[3]) // 2
    assert np.allclose(rendered[cy, cx], original[cy, cx], atol=0.05)
    cx, cy = (BLUE_BOX[0] + BLUE_BOX[2]) // 2, (BLUE_BOX[1] + BLUE_BOX[3]) // 2
    assert np.allclose(rendered[cy, cx], original[cy, cx], atol=0.05)


def test_svg_scales_to_a_larger_canvas(two_rectangles: Path) -> None:
    svg = VtracerModel().generate(image_request(two_rectangles)).text
    big = render(svg, SIZE[0] * 2, SIZE[1] * 2)
    expected = np.asarray(
        Image.open(two_rectangles).convert("RGB").resize(
            (SIZE[0] * 2, SIZE[1] * 2), Image.Resampling.NEAREST),
        dtype=np.float64,
    ) / 255.0
    assert np.mean((big - expected) ** 2) < 1e-3


def test_completion_reports_model_usage_and_latency(two_rectangles: Path) -> None:
    completion = VtracerModel().generate(image_request(two_rectangles))
    assert completion.model.startswith("vtracer ")
    assert completion.usage.calls == 1
    assert completion.usage.input_tokens == completion.usage.output_tokens == 0
    assert completion.usage.latency_s > 0


def test_transparent_pixels_are_traced_as_white(transparent_square: Path) -> None:
    svg = VtracerModel().generate(image_request(transparent_square)).text
    # Render on black: anything vtracer left transparent would show up black.
    rendered = render(svg, *SIZE, background="black") * 255
    assert np.allclose(rendered[SIZE[1] - 3, SIZE[0] - 3], 255, atol=3)  # corner: white
    cx, cy = (RED_BOX[0] + RED_BOX[2]) // 2, (RED_BOX[1] + RED_BOX[3]) // 2
    assert np.allclose(rendered[cy, cx], (20, 160, 40), atol=12)


def test_uses_the_first_image_of_the_request(two_rectangles: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.png"
    Image.new("RGB", (20, 10), "black").save(other)
    request = ModelRequest(messages=[
        Message.of("system", "You write SVG."),
        Message.of("user", "this one", two_rectangles, "not this one", other),
    ])
    root = parse(VtracerModel().generate(request).text)
    assert root.get("viewBox") == f"0 0 {SIZE[0]} {SIZE[1]}"


def test_options_are_passed_to_vtracer(two_rectangles: Path) -> None:
    polygon = VtracerModel(VtracerOptions(mode="polygon", path_precision=0))
    svg = polygon.generate(image_request(two_rectangles)).text
    d_attrs = [p.get("d") for p in parse(svg).iter(f"{SVG_NS}path")]
    assert d_attrs and not any("C" in d for d in d_attrs)  # straight segments only
    assert not any("." in d for d in d_attrs)  # zero decimal places


def test_binary_mode_traces_black_and_white(two_rectangles: Path) -> None:
    svg = VtracerModel(VtracerOptions(colormode="binary")).generate(
        image_request(two_rectangles)).text
    fills = {p.get("fill").lower() for p in parse(svg).iter(f"{SVG_NS}path")}
    assert fills <= {"#000000", "#000", "black"}


def test_request_without_image_is_a_non_retryable_model_error() -> None:
    request = ModelRequest(messages=[Message.of("user", "draw a cat")])
    with pytest.raises(ModelError, match="vtracer needs an image in the request") as info:
        VtracerModel().generate(request)
    assert info.value.retryable is False


def test_unreadable_image_is_a_non_retryable_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_text("not a png")
    with pytest.raises(ModelError, match="cannot read image") as info:
        VtracerModel().generate(image_request(bad))
    assert info.value.retryable is False
    with pytest.raises(ModelError, match="not found"):
        VtracerModel().generate(image_request(tmp_path / "missing.png"))


def test_defaults_are_vtracers() -> None:
    assert VtracerOptions().model_dump() == {
        "colormode": "color", "hierarchical": "stacked", "mode": "spline",
        "filter_speckle": 4, "color_precision": 6, "layer_difference": 16,
        "corner_threshold": 60, "length_threshold": 4.0, "max_iterations": 10,
        "splice_threshold": 45, "path_precision": 8,
    }


@pytest.mark.parametrize("bad", [
    {"colormode": "grey"},
    {"hierarchical": "flat"},
    {"mode": "pixel"},
    {"filter_speckle": 17},
    {"filter_speckle": -1},
    {"color_precision": 0},
    {"color_precision": 9},
    {"layer_difference": 256},
    {"corner_threshold": 181},
    {"length_threshold": 3.4},
    {"length_threshold": 10.5},
    {"max_iterations": 0},
    {"splice_threshold": -1},
    {"path_precision": -1},
    {"colour_mode": "color"},  # unknown option: a typo is an error
])
def test_bad_options_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        VtracerOptions(**bad)


def test_ensure_viewbox_adds_one_only_when_missing() -> None:
    assert ensure_viewbox('<svg width="4" height="2"><g/></svg>', 4, 2) == (
        '<svg viewBox="0 0 4 2" width="4" height="2"><g/></svg>'
    )
    kept = '<svg viewBox="0 0 10 10" width="4"/>'
    assert ensure_viewbox(kept, 4, 2) == kept
    assert ensure_viewbox("no svg here", 4, 2) == "no svg here"
    assert ensure_viewbox("<svg/>", 3, 1) == '<svg viewBox="0 0 3 1"/>'
