"""Fixtures of the security battery: a started `Listener` and a `Canary` folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import Canary, Listener


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A started TCP listener on 127.0.0.1; assert `listener.hits == []` at the end."""
    with Listener() as server:
        yield server


@pytest.fixture
def canary(tmp_path_factory: pytest.TempPathFactory) -> Canary:
    """A folder with secret.txt outside every scratch dir (its own temp folder)."""
    return Canary(Path(tmp_path_factory.mktemp("canary")))
