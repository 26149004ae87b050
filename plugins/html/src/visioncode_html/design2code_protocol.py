"""Design2Code's own scoring of text blocks, step by step (`protocol = "design2code"`).

Design2Code (Si et al., 2024; github.com/NoviScl/Design2Code, `Design2Code/metrics/
visual_score.py`, `visual_eval_v3_multi`) does more than a one-to-one assignment on text
similarity, and each step moves the numbers (docs/metrics/design2code.md measures how
much):

1. blocks of either page with the same box are merged first (`merge_blocks_by_bbox`:
   texts joined by a space, colours averaged);
2. neighbouring blocks are merged while that helps the match (`find_possible_merge`):
   for each pair of consecutive blocks of one page, the assignment is solved with the
   pair merged; a merge is kept when the costs that differ between the two solutions
   improve on average by more than 0.05 (`difference_of_means`); merges are applied best
   first, never two touching the same block in one pass; the prediction's blocks, then
   the reference's, until neither changes;
3. the final assignment adds a neighbour bonus to every pair more similar than 0.5: 0.1
   times the sum of the two best costs among its 3 x 3 neighbours in the cost matrix
   (`adjust_cost_for_context`, window 1), so runs of consecutive matches win;
4. matches below 0.5 text similarity are dropped; block-match is the matched area over
   all area (both pages), text, position (1 - the larger centre shift, not clamped) and
   colour (1 - CIEDE2000 / 100, at least 0) are means over matches;
5. no block on either page, or no match: every value is 0.

Blocks are `{"text", "bbox": (x, y, w, h) as fractions of the page, "color": (r, g, b)}`,
texts lower-cased by the block detector (`design2code_blocks`), as Design2Code does.
"""

from __future__ import annotations

from collections import Counter
from copy import deepcopy
from difflib import SequenceMatcher
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

ProtocolBlock = dict[str, Any]

#: `visual_eval_v3_multi`: consecutive_bonus, window_size of the final assignment.
FINAL_BONUS, FINAL_WINDOW = 0.1, 1
#: `find_possible_merge`: the assignments that decide merges use no bonus, window 1.
MERGE_BONUS, MERGE_WINDOW = 0.0, 1
#: A merge is kept when it improves the differing costs' mean by more than this.
MERGE_GAIN = 0.05
MIN_SIMILARITY = 0.5


def similarity(a: ProtocolBlock, b: ProtocolBlock) -> float:
    return SequenceMatcher(None, a["text"], b["text"]).ratio()


def cost_matrix(a: list[ProtocolBlock], b: list[ProtocolBlock]) -> np.ndarray:
    out = np.zeros((len(a), len(b)))
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i, j] = -similarity(x, y)
    return out


def with_context(cost: np.ndarray, bonus: float, window: int) -> np.ndarray:
    """The neighbour bonus: each cost below -0.5 gets `bonus` times the sum of the
    2 * window lowest other costs in its (2 window + 1)^2 neighbourhood."""
    if window <= 0:
        return cost
    n, m = cost.shape
    out = np.copy(cost)
    for i in range(n):
        for j in range(m):
            if out[i, j] >= -0.5:
                continue
            near = np.sort(cost[max(0, i - window):min(n, i + window + 1),
                                max(0, j - window):min(m, j + window + 1)].flatten())[::-1]
            near = np.delete(near, np.where(near == cost[i, j])[0][0])
            out[i, j] += bonus * np.sum(near[-window * 2:])
    return out


def assignment(a: list[ProtocolBlock], b: list[ProtocolBlock], bonus: float,
               window: int) -> tuple[list[tuple[int, int]], list[float]]:
    """The minimum-cost one-to-one matching and the costs of its pairs."""
    cost = with_context(cost_matrix(a, b), bonus, window)
    rows, cols = linear_sum_assignment(cost)
    return list(zip(rows.tolist(), cols.tolist(), strict=True)), cost[rows, cols].tolist()


def merged(a: ProtocolBlock, b: ProtocolBlock) -> ProtocolBlock:
    """Two blocks as one: texts joined by a space, the union box, colours averaged
    with floor division (as the original)."""
    (ax, ay, aw, ah), (bx, by, bw, bh) = a["bbox"], b["bbox"]
    x0, y0 = min(ax, bx), min(ay, by)
    x1, y1 = max(ax + aw, bx + bw), max(ay + ah, by + bh)
    return {"text": a["text"] + " " + b["text"], "bbox": (x0, y0, x1 - x0, y1 - y0),
            "color": tuple((c1 + c2) // 2 for c1, c2 in zip(a["color"], b["color"],
                                                              strict=True))}


def merge_pairs(blocks: list[ProtocolBlock], pairs: list[list[Any]]) -> list[ProtocolBlock]:
    """Apply merges (i, i + 1, gain), best first; a merge touching a block already merged
    in this pass is skipped."""
    popped: list[int] = []
    while pairs:
        i, j = pairs[0][0], pairs[0][1]
        blocks[i] = merged(blocks[i], blocks[j])
        popped.append(j)
        pairs = [p for p in pairs[1:] if p[0] not in (i, j) and p[1] not in (i, j)]
    for index in sorted(popped, reverse=True):
        if index < len(blocks):
            blocks.pop(index)
    return blocks


def mean_gain(before: list[float], after: list[float]) -> float:
    """How much the costs that differ between two solutions improved on average
    (`difference_of_means`): costs both share are cancelled first."""
    c1, c2 = Counter(before), Counter(after)
    for value in set(before) & set(after):
        common = min(c1[value], c2[value])
        c1[value] -= common
        c2[value] -= common
    u1, u2 = list(c1.elements()), list(c2.elements())
    m1 = sum(u1) / len(u1) if u1 else 0
    m2 = sum(u2) / len(u2) if u2 else 0
    if m1 - m2 > 0:
        return m1 - m2 if min(u1) > min(u2) else 0.0
    return m1 - m2


def _merge_side(side: list[ProtocolBlock], other: list[ProtocolBlock], current: list[float],
                prediction_side: bool) -> tuple[list[ProtocolBlock], bool]:
    if len(side) < 2:
        return side, False
    pairs = []
    for i in range(len(side) - 1):
        trial = deepcopy(side)
        trial[i] = merged(trial[i], trial[i + 1])
        trial.pop(i + 1)
        a, b = (trial, other) if prediction_side else (other, trial)
        _, cost = assignment(a, b, MERGE_BONUS, MERGE_WINDOW)
        gain = mean_gain(current, cost)
        if gain > MERGE_GAIN:
            pairs.append([i, i + 1, gain])
    pairs.sort(key=lambda p: p[2], reverse=True)
    if not pairs:
        return side, False
    return merge_pairs(side, pairs), True


def merge_neighbours(prediction: list[ProtocolBlock], reference: list[ProtocolBlock]
                     ) -> tuple[list[ProtocolBlock], list[ProtocolBlock], list[tuple[int, int]]]:
    """`find_possible_merge`: merge consecutive blocks while it helps, then the final
    assignment with the neighbour bonus."""
    while True:
        _, current = assignment(prediction, reference, MERGE_BONUS, MERGE_WINDOW)
        prediction, a_changed = _merge_side(prediction, reference, current, True)
        if a_changed:
            _, current = assignment(prediction, reference, MERGE_BONUS, MERGE_WINDOW)
        reference, b_changed = _merge_side(reference, prediction, current, False)
        if not a_changed and not b_changed:
            break
    matching, _ = assignment(prediction, reference, FINAL_BONUS, FINAL_WINDOW)
    return prediction, reference, matching


def merge_same_box(blocks: list[ProtocolBlock]) -> list[ProtocolBlock]:
    """`merge_blocks_by_bbox`: blocks with the same box become one (first kept)."""
    out: dict[tuple[float, ...], ProtocolBlock] = {}
    for block in blocks:
        key = tuple(block["bbox"])
        if key in out:
            kept = out[key]
            kept["text"] += " " + block["text"]
            kept["color"] = [(a + b) / 2 for a, b in zip(kept["color"], block["color"],
                                                          strict=True)]
        else:
            out[key] = dict(block)
    return list(out.values())


def rgb_to_lab(rgb: Any) -> np.ndarray:
    """sRGB (0-255) to CIE Lab under D65, 2 degrees, with python-colormath's constants
    (the library Design2Code calls): its sRGB matrix and companding."""
    c = np.asarray(rgb, dtype=float) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.412424, 0.357579, 0.180464],
                  [0.212656, 0.715158, 0.0721856],
                  [0.0193324, 0.119193, 0.950444]])
    xyz = m @ linear / np.array([0.95047, 1.00000, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), (7.787 * xyz) + (16.0 / 116.0))
    return np.array([116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])])


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """CIEDE2000 colour difference (kL = kC = kH = 1)."""
    L1, a1, b1 = lab1
    L2, a2, b2 = lab2
    avg_lp = (L1 + L2) / 2.0
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    avg_c = (c1 + c2) / 2.0
    g = 0.5 * (1 - np.sqrt(avg_c ** 7 / (avg_c ** 7 + 25.0 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    avg_cp = (c1p + c2p) / 2.0
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    avg_hp = (h1p + h2p + 360) / 2.0 if abs(h1p - h2p) > 180 else (h1p + h2p) / 2.0
    t = (1 - 0.17 * np.cos(np.radians(avg_hp - 30)) + 0.24 * np.cos(np.radians(2 * avg_hp))
         + 0.32 * np.cos(np.radians(3 * avg_hp + 6))
         - 0.2 * np.cos(np.radians(4 * avg_hp - 63)))
    diff_h = h2p - h1p
    if abs(diff_h) > 180:
        diff_h += -360 if h2p > h1p else 360
    delta_lp, delta_cp = L2 - L1, c2p - c1p
    delta_hp = 2 * np.sqrt(c2p * c1p) * np.sin(np.radians(diff_h) / 2.0)
    s_l = 1 + (0.015 * (avg_lp - 50) ** 2) / np.sqrt(20 + (avg_lp - 50) ** 2)
    s_c = 1 + 0.045 * avg_cp
    s_h = 1 + 0.015 * avg_cp * t
    delta_ro = 30 * np.exp(-(((avg_hp - 275) / 25) ** 2))
    r_c = np.sqrt(avg_cp ** 7 / (avg_cp ** 7 + 25.0 ** 7))
    r_t = -2 * r_c * np.sin(2 * np.radians(delta_ro))
    return float(np.sqrt((delta_lp / s_l) ** 2 + (delta_cp / s_c) ** 2 + (delta_hp / s_h) ** 2
                         + r_t * (delta_cp / s_c) * (delta_hp / s_h)))


def colour_similarity(a: Any, b: Any) -> float:
    return max(0.0, 1.0 - ciede2000(rgb_to_lab(a), rgb_to_lab(b)) / 100.0)


def score_blocks(prediction: list[ProtocolBlock], reference: list[ProtocolBlock]
                 ) -> dict[str, Any]:
    """Design2Code's block-match, text, position and colour of two pages' blocks, and
    the matched pairs (details)."""
    zero = {"block_match": 0.0, "text": 0.0, "position": 0.0, "color": 0.0, "pairs": []}
    reference = merge_same_box(deepcopy(reference))
    if not prediction or not reference:
        return {**zero, "reason": "no text block on the "
                + ("generated page" if not prediction else "reference page")}
    prediction = merge_same_box(deepcopy(prediction))
    pred, ref, matching = merge_neighbours(prediction, reference)
    kept = []
    for i, j in matching:
        s = SequenceMatcher(None, pred[i]["text"], ref[j]["text"]).ratio()
        if s >= MIN_SIMILARITY:
            kept.append((i, j, s))
    if not kept:
        return {**zero, "reason": "no block pair reaches 0.5 text similarity"}
    used_p, used_r = {i for i, _, _ in kept}, {j for _, j, _ in kept}

    def area(b: ProtocolBlock) -> float:
        return float(b["bbox"][2] * b["bbox"][3])

    unmatched = (sum(area(b) for i, b in enumerate(pred) if i not in used_p)
                 + sum(area(b) for j, b in enumerate(ref) if j not in used_r))
    matched, texts, positions, colours, pairs = [], [], [], [], []
    for i, j, s in kept:
        p, r = pred[i], ref[j]
        matched.append(area(p) + area(r))
        (px, py, pw, ph), (rx, ry, rw, rh) = p["bbox"], r["bbox"]
        pos = 1 - max(abs((rx + rw / 2) - (px + pw / 2)), abs((ry + rh / 2) - (py + ph / 2)))
        col = colour_similarity(p["color"], r["color"])
        texts.append(s)
        positions.append(pos)
        colours.append(col)
        pairs.append({"prediction": p["text"][:80], "reference": r["text"][:80],
                      "text": round(s, 4), "position": round(float(pos), 4),
                      "color": round(col, 4)})
    return {"block_match": float(np.sum(matched) / (unmatched + np.sum(matched))),
            "text": float(np.mean(texts)), "position": float(np.mean(positions)),
            "color": float(np.mean(colours)), "pairs": pairs}
