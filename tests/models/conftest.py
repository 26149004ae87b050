"""Fixtures for the visioncode-models tests: small images drawn with PIL."""

from __future__ import annotations

from pathlib import Path

import pytest
from models_support import BLUE_BOX, RED_BOX, SIZE
from PIL import Image, ImageDraw


@pytest.fixture
def two_rectangles(tmp_path: Path) -> Path:
    """A red and a blue rectangle on white: easy to trace, easy to check."""
    img = Image.new("RGB", SIZE, "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle(RED_BOX, fill=(220, 30, 30))
    draw.rectangle(BLUE_BOX, fill=(30, 60, 200))
    path = tmp_path / "two_rectangles.png"
    img.save(path)
    return path


@pytest.fixture
def transparent_square(tmp_path: Path) -> Path:
    """A green square on a fully transparent background."""
    img = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle(RED_BOX, fill=(20, 160, 40, 255))
    path = tmp_path / "transparent_square.png"
    img.save(path)
    return path

