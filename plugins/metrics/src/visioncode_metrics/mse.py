"""Mean squared error between the render and the reference (StarVector's "L2").

Computed over every pixel and RGB channel of float images in [0, 1], after the shared
alignment in `images` (composited over white, render resized to the reference, bicubic);
StarVector's L2 is the same mean over [0, 1] tensors. Lower is better; 0 is identical,
1.0 (black against white everywhere) is the worst possible and what the `worst` failure
policy gives.
"""

from __future__ import annotations

import numpy as np

from .comparison import Comparison, ImageComparisonMetric


def mean_squared_error(reference: np.ndarray, candidate: np.ndarray) -> float:
    """Mean of the squared differences, over all pixels and channels."""
    diff = reference - candidate
    return float(np.mean(diff * diff))


class Mse(ImageComparisonMetric):
    """`mse`: pixel mean squared error, lower is better.

    (The class is named so that its default component name, derived from the class
    name, is the entry-point name `mse`.)"""

    key = "mse"
    higher_is_better = False
    worst = 1.0

    def compare(self, reference: np.ndarray, candidate: np.ndarray) -> Comparison:
        return mean_squared_error(reference, candidate), {}
