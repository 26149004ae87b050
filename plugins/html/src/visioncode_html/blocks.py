"""Design2Code's low-level visual scores, on text blocks taken from the DOM.

A block is `{text, box: [x, y, w, h], color: [r, g, b]}` (what the `chromium` renderer
records in `Rendering.metadata["text_blocks"]`); boxes are normalised by the image size
before comparing. The formulas (docs/metrics/design2code.md):

- blocks are matched one-to-one by the Jonker-Volgenant / Hungarian assignment
  (`scipy.optimize.linear_sum_assignment`) maximising the summed text similarity;
  pairs below `min_similarity` are not matches;
- block-match = sum of the areas of matched blocks (both sides) / sum of the areas of all
  blocks (both sides): missing and invented blocks both lower it;
- text = mean over matches of `difflib.SequenceMatcher(None, a, b).ratio()`;
- position = mean over matches of 1 - max(|dx|, |dy|), dx, dy the normalised distance of
  the box centres;
- colour = mean over matches of max(0, 1 - CIEDE2000(c1, c2) / 100).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from skimage.color import deltaE_ciede2000, rgb2lab


@dataclass(frozen=True)
class Block:
    text: str
    x: float
    y: float
    w: float
    h: float
    color: tuple[float, float, float]

    @property
    def area(self) -> float:
        return self.w * self.h

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


@dataclass
class Match:
    block_match: float
    text: float | None
    position: float | None
    color: float | None
    pairs: list[dict[str, Any]] = field(default_factory=list)
    unmatched_prediction: list[str] = field(default_factory=list)
    unmatched_reference: list[str] = field(default_factory=list)


def normalised(raw: list[dict[str, Any]], width: float, height: float) -> list[Block]:
    """Blocks with boxes as fractions of the image size."""
    out = []
    for b in raw:
        x, y, w, h = (float(v) for v in b["box"])
        r, g, bl = (float(v) for v in b.get("color", (0, 0, 0)))
        out.append(Block(str(b["text"]), x / width, y / height, w / width, h / height,
                         (r, g, bl)))
    return out


def text_similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def position_similarity(a: Block, b: Block) -> float:
    (ax, ay), (bx, by) = a.center, b.center
    return max(0.0, 1.0 - max(abs(ax - bx), abs(ay - by)))


def color_similarity(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    lab = rgb2lab(np.array([[a, b]], dtype=float) / 255.0)
    delta = float(deltaE_ciede2000(lab[0, 0], lab[0, 1]))  # type: ignore[no-untyped-call, unused-ignore]
    return max(0.0, 1.0 - delta / 100.0)


def match_blocks(prediction: list[Block], reference: list[Block],
                 min_similarity: float = 0.5) -> Match:
    total_area = sum(b.area for b in prediction) + sum(b.area for b in reference)
    if not prediction or not reference:
        return Match(block_match=1.0 if not prediction and not reference else 0.0,
                     text=None if not reference and not prediction else 0.0,
                     position=None if not reference and not prediction else 0.0,
                     color=None if not reference and not prediction else 0.0,
                     unmatched_prediction=[b.text for b in prediction],
                     unmatched_reference=[b.text for b in reference])
    sim = np.array([[text_similarity(p.text, r.text) for r in reference] for p in prediction])
    rows, cols = linear_sum_assignment(sim, maximize=True)
    pairs, texts, positions, colors = [], [], [], []
    matched_area = 0.0
    used_p, used_r = set(), set()
    for i, j in zip(rows, cols, strict=True):
        if sim[i, j] < min_similarity:
            continue
        p, r = prediction[i], reference[j]
        used_p.add(i)
        used_r.add(j)
        matched_area += p.area + r.area
        t, pos = float(sim[i, j]), position_similarity(p, r)
        col = color_similarity(p.color, r.color)
        texts.append(t)
        positions.append(pos)
        colors.append(col)
        pairs.append({"prediction": p.text[:80], "reference": r.text[:80], "text": round(t, 4),
                      "position": round(pos, 4), "color": round(col, 4)})
    return Match(
        block_match=matched_area / total_area if total_area > 0 else 0.0,
        text=float(np.mean(texts)) if texts else 0.0,
        position=float(np.mean(positions)) if positions else 0.0,
        color=float(np.mean(colors)) if colors else 0.0,
        pairs=pairs,
        unmatched_prediction=[b.text[:80] for i, b in enumerate(prediction) if i not in used_p],
        unmatched_reference=[b.text[:80] for j, b in enumerate(reference) if j not in used_r],
    )
