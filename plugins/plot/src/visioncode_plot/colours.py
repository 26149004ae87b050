"""Colour similarity as ChartMimic defines it (`chart2code/utils/evaluator/color_utils.py`,
`calculate_similarity_single`): two `#RRGGBB` colours are `max(0, 1 - dE2000 / 100)` alike,
with CIEDE2000 computed in CIELAB under D65; two colour-map names are 1 alike when equal
and 0 otherwise; a colour and a map name are 0.

ChartMimic converts with colormath 3.0 (`sRGBColor` -> `LabColor`), whose sRGB-to-XYZ
matrix and CIE epsilon differ in the fifth digit from scikit-image's `rgb2lab`, and whose
CIEDE2000 (`color_diff_matrix.delta_e_cie2000`) departs from Sharma et al.'s in its hue
steps. With scikit-image's `rgb2lab` and `deltaE_ciede2000` the similarities drift by up to
~4e-5 from ChartMimic's (tests/parity, `chartmimic`), so both steps here follow
colormath's formulas."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: colormath 3.0, `sRGBColor.conversion_matrices["rgb_to_xyz"]` (Bruce Lindbloom's sRGB).
_RGB_TO_XYZ = np.array([[0.412424, 0.357579, 0.180464],
                        [0.212656, 0.715158, 0.0721856],
                        [0.0193324, 0.119193, 0.950444]])
#: colormath's D65 white (2 degree observer) and `CIE_E`.
_WHITE = np.array([0.95047, 1.0, 1.08883])
_CIE_E = 216.0 / 24389.0


def _rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)]) / 255.0


def to_lab(hex_colour: str) -> np.ndarray:
    """CIELAB (D65) of `#RRGGBB` by colormath's sRGB -> XYZ -> Lab steps."""
    v = _rgb(hex_colour)
    linear = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    t = (_RGB_TO_XYZ @ linear) / _WHITE
    f = np.where(t > _CIE_E, np.cbrt(t), 7.787 * t + 16.0 / 116.0)
    return np.array([116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])])


def delta_e_2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """CIEDE2000 (kL = kC = kH = 1) as colormath 3.0 computes it. Where it departs from the
    standard: the mean hue adds 360 whenever the hues are over 180 apart (no `< 360`
    branch, no zero-chroma case), and the hue difference subtracts 720 whenever h2 > h1."""
    l1, a1, b1 = (float(x) for x in lab1)
    l2, a2, b2 = (float(x) for x in lab2)
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2.0
    g = 0.5 * (1 - np.sqrt(c_mean ** 7 / (c_mean ** 7 + 25.0 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360.0
    far = abs(h1p - h2p) > 180
    h_mean = (h1p + h2p + (360.0 if far else 0.0)) / 2.0
    t = (1 - 0.17 * np.cos(np.radians(h_mean - 30)) + 0.24 * np.cos(np.radians(2 * h_mean))
         + 0.32 * np.cos(np.radians(3 * h_mean + 6)) - 0.2 * np.cos(np.radians(4 * h_mean - 63)))
    dh = h2p - h1p
    dh += (360.0 if abs(dh) > 180 else 0.0) - (720.0 if h2p > h1p else 0.0)
    d_l, d_c = l2 - l1, c2p - c1p
    d_h = 2 * np.sqrt(c2p * c1p) * np.sin(np.radians(dh) / 2.0)
    l_mean = (l1 + l2) / 2.0
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    cp_mean = (c1p + c2p) / 2.0
    s_c, s_h = 1 + 0.045 * cp_mean, 1 + 0.015 * cp_mean * t
    r_c = np.sqrt(cp_mean ** 7 / (cp_mean ** 7 + 25.0 ** 7))
    r_t = -2 * r_c * np.sin(2 * np.radians(30 * np.exp(-(((h_mean - 275) / 25) ** 2))))
    x, y, z = d_l / s_l, d_c / s_c, d_h / s_h
    return float(np.sqrt(x * x + y * y + z * z + r_t * y * z))


@lru_cache(maxsize=65536)
def similarity(a: str, b: str) -> float:
    """ChartMimic's colour similarity of two entries' colour parts."""
    if a.startswith("#") and b.startswith("#"):
        delta = delta_e_2000(to_lab(a), to_lab(b))
        return max(0.0, 1.0 - delta / 100.0)
    if not a.startswith("#") and not b.startswith("#"):
        return 1.0 if a == b else 0.0
    return 0.0
