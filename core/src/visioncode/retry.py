"""When and how long to wait before calling a model again.

Providers only classify their failures (`ModelError.retryable`, `.auth`, `.retry_after`);
the decision to retry lives here, once, so every provider behaves the same under rate
limits and outages. Waits grow exponentially with jitter, so the workers of a run that
all hit a 429 at the same moment do not come back at the same moment either.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .errors import ModelError


@dataclass(frozen=True)
class RetryPolicy:
    """`max_retries` retries after the first attempt; attempt n (0-based) waits between
    half and all of `backoff_base_s * 2**n`, never more than `backoff_max_s`. A server's
    Retry-After replaces the computed wait (plus up to 10% jitter), capped the same way."""

    max_retries: int = 6
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0

    def should_retry(self, error: ModelError, retries_so_far: int) -> bool:
        """Retry a retryable, non-auth failure while retries are left."""
        return error.retryable and not error.auth and retries_so_far < self.max_retries

    def delay(self, error: ModelError, retries_so_far: int,
              rng: random.Random | None = None) -> float:
        """Seconds to wait before the next attempt."""
        draw = (rng or random).random()
        if error.retry_after is not None:
            wait = max(error.retry_after, 0.0) * (1.0 + 0.1 * draw)
        else:
            ceiling = self.backoff_base_s * (2.0 ** min(retries_so_far, 60))
            wait = ceiling * (0.5 + 0.5 * draw)
        return min(wait, self.backoff_max_s)
