"""Fixtures of the security battery: a started `Listener` and a `Canary` folder."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator

import pytest

from visioncode.sandbox import ENV_ALLOW_ENV

from .harness import RUN_MARKER_ENV, Canary, Listener, outside_temp


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A started TCP listener on 127.0.0.1; assert `listener.hits == []` at the end."""
    with Listener() as server:
        yield server


@pytest.fixture
def canary() -> Iterator[Canary]:
    """A folder with secret.txt outside every scratch dir and outside the temp folder
    (sandboxed children may write the temp folder), removed afterwards."""
    folder = outside_temp() / f"canary-{uuid.uuid4().hex[:12]}"
    yield Canary(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def children_carry_the_run_marker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sandboxed children get an allow-listed environment; the batteries find every
    process of a run by the marker variable they set (`processes_with_env`), so that
    one name is on the allow-list here (and only here)."""
    monkeypatch.setenv(ENV_ALLOW_ENV, RUN_MARKER_ENV)
