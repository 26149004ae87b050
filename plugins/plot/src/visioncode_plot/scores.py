"""ChartMimic's low-level scores and Plot2Code's text match, as pure functions of traces.

Each function follows the published evaluator named in its docstring (github.com/ChartMimic/
ChartMimic at `chart2code/utils/evaluator/`, github.com/TencentARC/Plot2Code at
`plot2code/eval/text_match_score.py`); where the published code leaves a case undefined or
carries state between samples, the choice made here is stated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from .colours import similarity


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float

    @staticmethod
    def of(precision: float, recall: float) -> PRF:
        total = precision + recall
        return PRF(precision, recall, 0.0 if total == 0 else 2 * precision * recall / total)

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


ZERO = PRF(0.0, 0.0, 0.0)


def _multiset_match(generated: Sequence[Any], golden: Sequence[Any]) -> int:
    """How many golden items find an equal generated item, each used once."""
    left = Counter(generated)
    found = 0
    for item in golden:
        if left[item] > 0:
            left[item] -= 1
            found += 1
    return found


def text_score(generated: Sequence[str], golden: Sequence[str]) -> PRF:
    """`text_evaluator.py`, `TextEvaluator._calculate_metrics` with `use_position=False`:
    the strings drawn are matched exactly, each once; precision over the generated
    strings, recall over the golden ones; 0 when either side drew no text."""
    if not generated or not golden:
        return ZERO
    n = _multiset_match(generated, golden)
    return PRF.of(n / len(generated), n / len(golden))


def layout_score(generated: Sequence[dict[str, int]],
                 golden: Sequence[dict[str, int]]) -> PRF:
    """`layout_evaluator.py`, `LayoutEvaluator._calculate_metrics`: each axes' (nrows,
    ncols, row span, column span) matched exactly, each once; 0 when either is empty."""
    if not generated or not golden:
        return ZERO

    def key(d: dict[str, int]) -> tuple[int, ...]:
        return tuple(int(d[k]) for k in ("nrows", "ncols", "row_start", "row_end",
                                         "col_start", "col_end"))

    n = _multiset_match([key(d) for d in generated], [key(d) for d in golden])
    return PRF.of(n / len(generated), n / len(golden))


def type_score(generated: dict[str, int], golden: dict[str, int]) -> PRF:
    """`chart_type_evaluator.py`, `ChartTypeEvaluator._calculate_metrics`: per plotting
    function `min(generated calls, golden calls)` are correct; precision over all
    generated calls, recall over all golden calls. ChartMimic leaves the previous
    sample's numbers in place when the generated program called nothing (its metrics dict
    lives on the evaluator); here that case, and an empty golden side, score 0."""
    total_gen = sum(generated.values())
    total_gold = sum(golden.values())
    if total_gen == 0 or total_gold == 0:
        return ZERO
    n = sum(min(count, golden.get(name, 0)) for name, count in generated.items())
    return PRF.of(n / total_gen, n / total_gold)


def _group(entries: Sequence[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for entry in entries:
        kind, _, colour = entry.partition("--")
        groups.setdefault(kind, []).append(colour)
    return groups


def best_assignment(a: Sequence[str], b: Sequence[str]) -> float:
    """The largest total similarity of a one-to-one pairing of the shorter list into the
    longer. ChartMimic (`color_evaluator.py`, `calculate_similarity_parallel`) tries every
    permutation; the Hungarian algorithm finds the same maximum without the factorial."""
    if not a or not b:
        return 0.0
    matrix = np.array([[similarity(x, y) for y in b] for x in a])
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    return float(matrix[rows, cols].sum())


def colour_score(generated: Sequence[str], golden: Sequence[str]) -> PRF:
    """`color_evaluator.py`, `ColorEvaluator._calculate_metrics`: colours are grouped by
    the plotting function that drew them, each group paired one-to-one for the largest
    summed similarity (`colours.similarity`: `max(0, 1 - dE2000/100)`), and the sums
    divided by the number of generated (precision) and golden (recall) colours; 0 when
    either side has none."""
    if not generated or not golden:
        return ZERO
    gen, gold = _group(generated), _group(golden)
    total = sum(best_assignment(gen.get(k, []), gold.get(k, [])) for k in set(gen) | set(gold))
    return PRF.of(total / len(generated), total / len(golden))


def _position_similarity(p1: np.ndarray, p2: np.ndarray, ratio: np.ndarray) -> float:
    return float(np.exp(-np.sqrt(np.sum((p1 - p2 * ratio) ** 2)) / 100))


def plot2code_text_match(golden: Sequence[Sequence[Any]], generated: Sequence[Sequence[Any]],
                         golden_size: Sequence[float] | None,
                         generated_size: Sequence[float] | None) -> float:
    """Plot2Code's `match_texts`: for each golden text, the generated text with the least
    Levenshtein distance among those whose position similarity `exp(-d/100)` (positions
    scaled by the ratio of figure sizes) exceeds 0.8 is its match if the distance is 0;
    score = matched / (matched + unmatched golden + unmatched generated); 1 when neither
    side has text."""
    from .textdistance import levenshtein

    ratio = np.array([1.0, 1.0])
    if golden_size and generated_size and all(generated_size):
        ratio = np.array(golden_size, dtype=float) / np.array(generated_size, dtype=float)
    pool = [(str(t[0]), np.array([float(t[1]), float(t[2])])) for t in generated]
    matched = 0
    unmatched_gold = len(golden)
    for item in golden:
        text, pos = str(item[0]), np.array([float(item[1]), float(item[2])])
        best, best_index = float("inf"), None
        for i, (other, other_pos) in enumerate(pool):
            distance = levenshtein(text, other)
            if distance < best and _position_similarity(pos, other_pos, ratio) > 0.8:
                best, best_index = distance, i
        if best <= 0 and best_index is not None:
            matched += 1
            pool.pop(best_index)
            unmatched_gold -= 1
    total = matched + unmatched_gold + len(pool)
    return 1.0 if total == 0 else matched / total
