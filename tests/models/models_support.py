"""Shared constants and helpers of the visioncode-models tests (a uniquely named module,
so it cannot clash with other test folders' helpers on sys.path)."""

from __future__ import annotations

from pathlib import Path

from visioncode import Message, ModelRequest

SIZE = (96, 64)
RED_BOX = (8, 8, 40, 40)
BLUE_BOX = (52, 16, 88, 56)


def image_request(path: Path, **kwargs: object) -> ModelRequest:
    return ModelRequest(
        messages=[Message.of("user", "Write SVG code for this image.", path)], **kwargs
    )
