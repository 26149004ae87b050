"""Edit distances for the OCR and code-understanding metrics (no dependency)."""

from __future__ import annotations

from collections.abc import Sequence


def levenshtein(a: Sequence[object], b: Sequence[object]) -> int:
    """Insertions, deletions and substitutions, each costing 1 (two-row programme)."""
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def error_rate(hypothesis: Sequence[object], reference: Sequence[object]) -> float:
    """Edits to turn the hypothesis into the reference, over the reference's length (the
    usual CER/WER; it can exceed 1 for a long wrong hypothesis). An empty reference: 0 for
    an empty hypothesis, else 1."""
    if not reference:
        return 0.0 if not hypothesis else 1.0
    return levenshtein(hypothesis, reference) / len(reference)


def edit_similarity(a: str, b: str) -> float:
    """1 - Levenshtein(a, b) / max(len(a), len(b)) (CodeXGLUE's and RepoBench's "edit
    similarity" on a 0-1 scale); 1 for two empty strings."""
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - levenshtein(a, b) / longest
