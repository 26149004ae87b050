"""What every image-comparison metric (mse, psnr, ssim) shares: options, loading the
reference and the render, and the failure policy.

A metric subclass only says how to compare two aligned arrays (`compare`), the name of
its value, which direction is better, and its worst value. Everything that decides
whether two numbers from different metrics or runs are comparable (background, size,
resampling, what a failed render counts as) lives here, once.

Failure policy (`failure_policy`, default `blank` as in StarVector), for a round whose
program did not render, or whose render has no readable still image:

- `blank`: compare the reference with a blank canvas of the background colour at the
  reference's size (a program that drew nothing). `Score.rendered` is False.
- `worst`: the metric's worst value (`worst` on the subclass: MSE 1.0, PSNR 0.0 dB,
  SSIM -1.0), so a failure never scores better than any render could.
- `exclude`: the value is None and the sample drops out of the mean; `render-success`
  beside it says how many were dropped.

A sample without a reference image is not a failure of the program: it gets None with
a `reason` in the details, whatever the policy.
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from PIL import UnidentifiedImageError
from pydantic import Field

from visioncode import (
    ComponentOptions,
    DatasetError,
    FailurePolicy,
    Metric,
    RoundRecord,
    Sample,
    Score,
)

from .images import RGB, Colour, align, blank, load_rgb, parse_color, size_of

#: What `compare` returns: the value (None when undefined) and extra details.
Comparison = tuple[float | None, dict[str, Any]]


class ImageMetricOptions(ComponentOptions):
    #: How a round that did not render is scored (see the module docstring).
    failure_policy: FailurePolicy = FailurePolicy.blank
    #: Compare at size x size instead of at the reference's size (e.g. 224 to follow
    #: StarVector's fixed-resolution evaluation). Both images are resized, bicubic.
    size: int | None = Field(None, ge=1, le=16384)
    #: The colour transparency is composited over, and the colour of the `blank` canvas.
    #: Match the renderer's background (RenderSpec.background).
    background: Colour = "#ffffff"


class ImageComparisonMetric(Metric):
    """Base of metrics that compare the render with the sample's reference image."""

    Options = ImageMetricOptions
    options: ImageMetricOptions

    #: The key of the one value this metric reports.
    key: ClassVar[str]
    higher_is_better: ClassVar[bool]
    #: The value the `worst` failure policy gives.
    worst: ClassVar[float]

    @abstractmethod
    def compare(self, reference: np.ndarray, candidate: np.ndarray) -> Comparison:
        """The metric's value for two float RGB arrays of one size, and extra details
        (None with a `reason` in the details when the metric is undefined for them)."""

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        reference_path = sample.target_image
        if reference_path is None:
            return self._score(
                None, rendered=result.rendered, policy=self.options.failure_policy,
                details={"reason": "sample has no reference image (set image or "
                                   "reference_image in the dataset)"},
            )
        background = parse_color(self.options.background)
        reference = self._load_reference(sample, reference_path, background)
        candidate, about_render = self._load_render(result, background)
        details: dict[str, Any] = {"reference": str(reference_path), **about_render}

        if candidate is None:
            policy = self.options.failure_policy
            if policy is FailurePolicy.worst:
                return self._score(self.worst, rendered=False, policy=policy, details=details)
            if policy is FailurePolicy.exclude:
                return self._score(None, rendered=False, policy=policy, details=details)
            width, height = size_of(reference)
            candidate = blank(width, height, background)
            details["compared_with"] = f"blank canvas {self.options.background}"
            value, extra = self._compare_aligned(reference, candidate, details)
            return self._score(value, rendered=False, policy=policy, details=extra)

        value, extra = self._compare_aligned(reference, candidate, details)
        return self._score(value, rendered=True, policy=self.options.failure_policy,
                           details=extra)

    def _compare_aligned(self, reference: np.ndarray, candidate: np.ndarray,
                         details: dict[str, Any]) -> Comparison:
        pair = align(reference, candidate, self.options.size)
        value, extra = self.compare(pair.reference, pair.candidate)
        return value, {**details, **pair.details, **extra}

    def _score(self, value: float | None, *, rendered: bool,
               policy: FailurePolicy | None = None,
               details: dict[str, Any] | None = None) -> Score:
        return Score(
            metric=self.name,
            values={self.key: None if value is None else float(value)},
            rendered=rendered,
            policy=policy,
            higher_is_better={self.key: self.higher_is_better},
            details=details or {},
        )

    @staticmethod
    def _load_reference(sample: Sample, path: Path, background: RGB) -> np.ndarray:
        # A broken reference is the dataset's fault, not the program's: say so loudly.
        try:
            return load_rgb(path, background)
        except (OSError, UnidentifiedImageError) as exc:
            raise DatasetError(
                f"sample {sample.id!r}: cannot read reference image {path}: {exc}"
            ) from None

    @staticmethod
    def _load_render(result: RoundRecord, background: RGB,
                     ) -> tuple[np.ndarray | None, dict[str, Any]]:
        """The render's pixels and `{"render": path}`, or None and `{"failure": why}`."""
        rendering = result.rendering
        failure: dict[str, Any] = {"status": result.status, "reason": result.reason}
        if rendering is None or not rendering.ok:
            if rendering is not None and rendering.error and not result.reason:
                failure["reason"] = rendering.error
            if result.status == "ok":
                failure["status"] = "no_render" if rendering is None else rendering.status
            return None, {"failure": failure}
        if rendering.image is None:
            failure.update(status="no_image", reason="the rendering has no still image")
            return None, {"failure": failure}
        try:
            return load_rgb(rendering.image, background), {"render": str(rendering.image)}
        except (OSError, UnidentifiedImageError) as exc:
            failure.update(status="unreadable_render",
                           reason=f"cannot read render {rendering.image}: {exc}")
            return None, {"failure": failure}
