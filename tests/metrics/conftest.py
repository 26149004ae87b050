"""Fixtures for the visioncode-metrics tests: a reference square and variants of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from metrics_support import square_image


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    return square_image(tmp_path / "reference.png")


@pytest.fixture
def same(tmp_path: Path) -> Path:
    return square_image(tmp_path / "same.png")


@pytest.fixture
def shifted(tmp_path: Path) -> Path:
    """The reference's square moved 6 px to the right."""
    return square_image(tmp_path / "shifted.png", offset=6)
