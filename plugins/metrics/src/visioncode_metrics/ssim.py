"""Structural similarity (SSIM) of the render against the reference, by scikit-image.

Defaults follow StarVector's evaluation (`starvector/metrics/compute_SSIM.py`), the one
img2svg evaluation we found that computes SSIM: VCode's released evaluation
(`evaluation/metrics.py`) reports SigLIP similarity, success rate and token counts, but
no SSIM. StarVector calls `skimage.metrics.structural_similarity` on RGB images with
`channel_axis=-1` (SSIM per colour channel, averaged) and `win_size=11`; it also passes
`sigma=1.5`, which scikit-image ignores unless `gaussian_weights=True`, so the window is
a uniform 11 x 11 one. We do the same, on float images with `data_range=1.0` (StarVector
passes uint8 images, for which scikit-image infers a range of 255: the same thing).

- `channels = "rgb"` (default): per-channel SSIM, averaged (StarVector).
- `channels = "grey"`: SSIM of the luma, Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601,
  as Pillow's "L" conversion), computed in floating point.

Higher is better, 1.0 is identical. SSIM lies in [-1, 1]; the `worst` failure policy
gives -1.0, its lower bound, so a failure never scores above a render that got a
negative SSIM. Images smaller than the window use the largest odd window that fits
(recorded as `win_size` in the details); below 3 x 3 pixels SSIM is undefined (None).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator
from skimage.metrics import structural_similarity

from .comparison import Comparison, ImageComparisonMetric, ImageMetricOptions

LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])


class SsimOptions(ImageMetricOptions):
    #: `rgb`: SSIM per colour channel, averaged (StarVector); `grey`: SSIM of the luma.
    channels: Literal["rgb", "grey"] = "rgb"
    #: Side of the uniform averaging window, odd (StarVector: 11; scikit-image's own
    #: default is 7).
    win_size: int = Field(11, ge=3, le=101)

    @field_validator("win_size")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError(f"must be odd, got {value}")
        return value


def ssim(reference: np.ndarray, candidate: np.ndarray, *, channels: str = "rgb",
         win_size: int = 11) -> tuple[float | None, int]:
    """Mean SSIM of two float RGB arrays in [0, 1], and the window actually used."""
    fitting = min(win_size, *reference.shape[:2])
    if fitting % 2 == 0:
        fitting -= 1
    if fitting < 3:
        return None, fitting
    if channels == "grey":
        value = structural_similarity(
            reference @ LUMA_WEIGHTS, candidate @ LUMA_WEIGHTS,
            win_size=fitting, data_range=1.0,
        )
    else:
        value = structural_similarity(
            reference, candidate, win_size=fitting, data_range=1.0, channel_axis=-1,
        )
    return float(value), fitting


class Ssim(ImageComparisonMetric):
    """`ssim`: structural similarity, higher is better, 1.0 for identical images."""

    Options = SsimOptions
    options: SsimOptions

    key = "ssim"
    higher_is_better = True
    worst = -1.0

    def compare(self, reference: np.ndarray, candidate: np.ndarray) -> Comparison:
        value, used = ssim(reference, candidate, channels=self.options.channels,
                           win_size=self.options.win_size)
        details: dict[str, Any] = {"win_size": used, "channels": self.options.channels}
        if value is None:
            details["reason"] = "image smaller than 3 x 3 pixels: SSIM is undefined"
        return value, details
