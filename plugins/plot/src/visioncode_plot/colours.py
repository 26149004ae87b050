"""Colour similarity as ChartMimic defines it (`chart2code/utils/evaluator/color_utils.py`,
`calculate_similarity_single`): two `#RRGGBB` colours are `max(0, 1 - dE2000 / 100)` alike,
with CIEDE2000 computed in CIELAB under D65 (colormath's `sRGBColor` -> `LabColor`, here
scikit-image's `rgb2lab` and `deltaE_ciede2000`, which follow the same standard); two
colour-map names are 1 alike when equal and 0 otherwise; a colour and a map name are 0."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16) / 255.0, int(h[2:4], 16) / 255.0, int(h[4:6], 16) / 255.0


@lru_cache(maxsize=65536)
def similarity(a: str, b: str) -> float:
    """ChartMimic's colour similarity of two entries' colour parts."""
    if a.startswith("#") and b.startswith("#"):
        lab = rgb2lab(np.array([[_rgb(a), _rgb(b)]], dtype=float))
        delta = float(deltaE_ciede2000(lab[0, 0], lab[0, 1]))
        return max(0.0, 1.0 - delta / 100.0)
    if not a.startswith("#") and not b.startswith("#"):
        return 1.0 if a == b else 0.0
    return 0.0
