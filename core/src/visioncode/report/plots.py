"""Score distributions as inline SVG histograms (no plotting library, no scripts)."""

from __future__ import annotations

import math
from html import escape


def histogram_svg(values: list[float], title: str, bins: int = 20, width: int = 320,
                  height: int = 160) -> str:
    """A histogram of `values` with its range and count on the axes. Empty input gives a
    placeholder saying so, so every metric still has its figure."""
    pad_l, pad_b, pad_t = 34, 26, 20
    plot_w, plot_h = width - pad_l - 8, height - pad_b - pad_t
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="hist" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}"><text x="{pad_l}" y="14" class="t">'
            f'{escape(title)}</text>')
    finite = [v for v in values if isinstance(v, int | float) and math.isfinite(v)]
    if not finite:
        return head + (f'<text x="{pad_l}" y="{pad_t + plot_h / 2:.0f}">no values'
                       '</text></svg>')
    lo, hi = min(finite), max(finite)
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    counts = [0] * bins
    for v in finite:
        counts[min(int((v - lo) / (hi - lo) * bins), bins - 1)] += 1
    top = max(counts)
    bar_w = plot_w / bins
    parts = [head]
    for i, c in enumerate(counts):
        if not c:
            continue
        h = plot_h * c / top
        x = pad_l + i * bar_w
        left = lo + (hi - lo) * i / bins
        parts.append(f'<rect x="{x:.1f}" y="{pad_t + plot_h - h:.1f}" width="{bar_w - 1:.1f}"'
                     f' height="{h:.1f}"><title>{c} in [{left:.4g}, '
                     f'{left + (hi - lo) / bins:.4g})</title></rect>')
    base = pad_t + plot_h
    parts += [
        f'<line x1="{pad_l}" y1="{base}" x2="{pad_l + plot_w}" y2="{base}" class="ax"/>',
        f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{base}" class="ax"/>',
        f'<text x="{pad_l}" y="{base + 16}">{lo:.4g}</text>',
        f'<text x="{pad_l + plot_w}" y="{base + 16}" text-anchor="end">{hi:.4g}</text>',
        f'<text x="{pad_l - 4}" y="{pad_t + 8}" text-anchor="end">{top}</text>',
        f'<text x="{pad_l - 4}" y="{base}" text-anchor="end">0</text>',
        f'<text x="{pad_l + plot_w / 2:.0f}" y="{base + 16}" text-anchor="middle">'
        f'n={len(finite)}</text>',
        "</svg>",
    ]
    return "".join(parts)
