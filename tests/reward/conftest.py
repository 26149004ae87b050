"""One warm RewardFunction on the example reward config, shared by the tests that score."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from visioncode.reward import RewardFunction

from .programs import CONFIG


@pytest.fixture(scope="session")
def reward_fn() -> Iterator[RewardFunction]:
    rf = RewardFunction(CONFIG, workers=2)
    try:
        yield rf
    finally:
        rf.close()
