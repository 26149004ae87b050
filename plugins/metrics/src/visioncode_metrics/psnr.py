"""Peak signal-to-noise ratio, in dB, of the render against the reference.

PSNR = 10 * log10(1 / MSE) for images in [0, 1] (peak 1), with MSE as in `mse`. Higher is
better. Identical images have MSE 0 and an infinite PSNR, which would make any mean
infinite; the value is capped at `PSNR_CAP_DB` = 100 dB instead (MSE <= 1e-10: far below
anything visible, and the cap keeps a mean over samples finite and comparable). The worst
value is 0 dB (MSE 1.0, black against white everywhere), which the `worst` failure
policy gives.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .comparison import Comparison, ImageComparisonMetric
from .mse import mean_squared_error

#: The value reported for identical (or practically identical) images.
PSNR_CAP_DB = 100.0


def psnr_from_mse(mse: float) -> float:
    """10 * log10(1 / mse) in dB for a peak of 1, capped at PSNR_CAP_DB."""
    if mse <= 10.0 ** (-PSNR_CAP_DB / 10.0):
        return PSNR_CAP_DB
    return min(PSNR_CAP_DB, 10.0 * math.log10(1.0 / mse))


class Psnr(ImageComparisonMetric):
    """`psnr`: peak signal-to-noise ratio in dB, higher is better, capped at 100 dB."""

    key = "psnr"
    higher_is_better = True
    worst = 0.0

    def compare(self, reference: np.ndarray, candidate: np.ndarray) -> Comparison:
        mse = mean_squared_error(reference, candidate)
        value = psnr_from_mse(mse)
        details: dict[str, Any] = {"mse": mse}
        if value == PSNR_CAP_DB:
            details["capped"] = True
        return value, details
