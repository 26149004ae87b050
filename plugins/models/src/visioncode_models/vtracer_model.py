"""The vtracer baseline: image -> SVG by classical tracing, no model and no network.

StarVector reports VTracer as its image-vectorisation baseline; having it as a `Model`
lets an img2svg pipeline run and be scored end to end offline, and gives every learned
model a floor to beat on the same dataset, renderer and metrics.

Pipeline use::

    [model]
    use = "vtracer"
    options = { colormode = "color", mode = "spline", filter_speckle = 4 }
"""

from __future__ import annotations

import time
from importlib import metadata
from typing import Literal

import vtracer
from pydantic import Field

from visioncode import Completion, ComponentOptions, Model, ModelError, ModelRequest, Usage

from .image_input import first_image, load_over_white
from .svg_viewbox import ensure_viewbox


class VtracerOptions(ComponentOptions):
    """vtracer's parameters, with its defaults and the ranges its command-line app
    enforces (the Python binding checks none of them and silently falls back to defaults
    for unknown strings, so a typo here would otherwise go unnoticed)."""

    #: `color` traces true colour; `binary` traces a black-and-white image.
    colormode: Literal["color", "binary"] = "color"
    #: `stacked` layers shapes on top of each other; `cutout` makes non-overlapping shapes.
    hierarchical: Literal["stacked", "cutout"] = "stacked"
    #: Curve fitting: `spline` (smooth), `polygon` (straight segments), `none` (pixel edges).
    mode: Literal["spline", "polygon", "none"] = "spline"
    #: Discard patches smaller than this many pixels across.
    filter_speckle: int = Field(4, ge=0, le=16)
    #: Significant bits per RGB channel used when clustering colours.
    color_precision: int = Field(6, ge=1, le=8)
    #: Colour difference between gradient layers.
    layer_difference: int = Field(16, ge=0, le=255)
    #: Minimum momentary angle (degrees) to count as a corner.
    corner_threshold: int = Field(60, ge=0, le=180)
    #: Subdivide-smooth until segments are shorter than this (pixels).
    length_threshold: float = Field(4.0, ge=3.5, le=10.0)
    #: Iterations of the subdivide-smooth loop.
    max_iterations: int = Field(10, ge=1, le=1000)
    #: Minimum angle displacement (degrees) to splice a spline.
    splice_threshold: int = Field(45, ge=0, le=180)
    #: Decimal places in path coordinates (vtracer's documented default is 8; None writes
    #: full double precision, which is what the binding does when the argument is omitted).
    path_precision: int | None = Field(8, ge=0, le=16)


def _vtracer_version() -> str:
    try:
        return metadata.version("vtracer")
    except metadata.PackageNotFoundError:  # pragma: no cover - vtracer is a dependency
        return "unknown"


class VtracerModel(Model):
    """Vectorises the request's first image with vtracer and answers with the SVG.

    The text of the request is ignored: vtracer sees pixels only. The SVG always has a
    viewBox matching the image, so renderers can fit it to any canvas."""

    Options = VtracerOptions
    options: VtracerOptions

    def generate(self, request: ModelRequest) -> Completion:
        started = time.perf_counter()
        image = load_over_white(first_image(request))
        try:
            svg = vtracer.convert_raw_image_to_svg(
                image.png, img_format="png", **self.options.model_dump()
            )
        except Exception as exc:  # the binding raises a bare Exception subclass
            raise ModelError(
                f"vtracer failed on {image.path}: {exc}", retryable=False
            ) from exc
        svg = ensure_viewbox(svg, image.width, image.height)
        return Completion(
            text=svg,
            model=f"vtracer {_vtracer_version()}",
            usage=Usage(calls=1, latency_s=time.perf_counter() - started),
            finish_reason="stop",
        )
