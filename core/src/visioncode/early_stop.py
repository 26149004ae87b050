"""Ending the critique->revise loop when the score stops improving.

Each critique and revision costs two model calls; once revisions stop helping, more
rounds only cost. `ScoreWatch` follows one metric value (`loop.stop_metric`) round by
round and says when it has not beaten the best so far by more than `loop.min_delta` for
`loop.patience` rounds in a row. The metric's own `higher_is_better` says which way is
better. A round whose value is missing (excluded by the metric's failure policy) counts
as no improvement once there is a value to beat; before that it does not count.
"""

from __future__ import annotations

import math

from .config import LoopSpec
from .errors import VisioncodeError
from .records import RoundRecord


class ScoreWatch:
    def __init__(self, loop: LoopSpec) -> None:
        key = loop.stop_metric_key()
        if key is None:
            raise ValueError("ScoreWatch needs loop.stop_metric")
        self.metric, self.key = key
        self.patience, self.min_delta = loop.patience, loop.min_delta
        self.best: float | None = None
        self.stale = 0

    def value(self, rec: RoundRecord) -> tuple[float | None, bool]:
        """The round's value of the watched metric, and whether higher is better."""
        score = rec.scores.get(self.metric)
        if score is None or self.key not in score.values:
            have = ", ".join(f"{m}.{k}" for m, s in rec.scores.items() for k in s.values)
            raise VisioncodeError(
                f"loop.stop_metric {self.metric}.{self.key}: round {rec.round} has no such "
                f"value (the metrics gave: {have or 'nothing'})")
        v = score.values[self.key]
        finite = v if v is not None and math.isfinite(v) else None
        return finite, score.higher_is_better.get(self.key, True)

    def update(self, rec: RoundRecord) -> bool:
        """Take a scored round; True when the loop should stop after it."""
        value, higher = self.value(rec)
        if value is None and self.best is None:
            return False  # nothing to compare yet: let the loop revise
        improved = False
        if value is not None:
            if self.best is None:
                improved = True
            else:
                gain = value - self.best if higher else self.best - value
                improved = gain > self.min_delta
        if improved:
            self.best, self.stale = value, 0
            return False
        self.stale += 1
        return self.stale >= self.patience
