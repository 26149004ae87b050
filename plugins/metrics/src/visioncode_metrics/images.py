"""Turning a reference image and a render into arrays that can be compared pixel by pixel.

Pixel metrics are only meaningful "at the same size, on the same background", and every
evaluation we follow decides those two things somewhere, often implicitly. Here they are
decided once, for all pixel metrics:

- **Colour space**: float64 RGB in [0, 1], shape (height, width, 3).
- **Transparency**: alpha is composited over the background colour (white by default,
  the colour renderers draw programs on), in floating point, so a transparent PNG
  reference and an opaque render of the same drawing compare equal.
- **Size**: the render is resized to the reference's size when they differ; with a fixed
  `size`, both are resized to size x size (StarVector rasterises at a fixed 224 x 224),
  stretching if the aspect ratio differs.
- **Resampling**: Pillow's bicubic filter (`Image.Resampling.BICUBIC`) on each channel
  as 32-bit float, then clipped to [0, 1]. Pillow widens the filter support when it
  downscales, so shrinking is antialiased rather than aliased. Bicubic is what
  StarVector's metrics use to bring a generated image to the ground truth's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from PIL import Image, ImageColor
from pydantic import AfterValidator

RESAMPLING = Image.Resampling.BICUBIC

RGB = tuple[float, float, float]


def parse_color(value: str) -> RGB:
    """A CSS-style colour ("white", "#fff", "rgb(255,255,255)") as RGB floats in [0, 1].

    Raises ValueError for a colour Pillow does not know."""
    rgb = ImageColor.getrgb(value)[:3]
    return (rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0)


def _known_colour(value: str) -> str:
    try:
        parse_color(value)
    except ValueError:
        raise ValueError(
            f"unknown colour {value!r}: use a name (white), #rrggbb or rgb(r,g,b)"
        ) from None
    return value


#: An option holding a colour, checked when the config is validated (not at the first
#: failed sample).
Colour = Annotated[str, AfterValidator(_known_colour)]


def load_rgb(path: Path, background: RGB = (1.0, 1.0, 1.0)) -> np.ndarray:
    """The image at `path` as float RGB in [0, 1], any transparency over `background`.

    Raises OSError (or Pillow's UnidentifiedImageError, a subclass) if it cannot be read."""
    with Image.open(path) as opened:
        opened.load()
        img: Image.Image = opened
        if img.mode not in ("RGB", "RGBA"):
            # Palette transparency, LA, L, CMYK, 16-bit...: let Pillow normalise them.
            img = img.convert("RGBA")
        pixels = np.asarray(img, dtype=np.float64) / 255.0
    if pixels.shape[2] == 4:
        alpha = pixels[..., 3:4]
        pixels = pixels[..., :3] * alpha + np.asarray(background) * (1.0 - alpha)
    return pixels


def blank(width: int, height: int, background: RGB = (1.0, 1.0, 1.0)) -> np.ndarray:
    """A canvas of the background colour: what a program that drew nothing would give."""
    canvas = np.empty((height, width, 3), dtype=np.float64)
    canvas[...] = background
    return canvas


def resize(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bicubic resize of a float RGB array, channel by channel, clipped to [0, 1]."""
    if pixels.shape[:2] == (height, width):
        return pixels
    channels = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(pixels[..., c], dtype=np.float32))
            .resize((width, height), RESAMPLING),
            dtype=np.float64,
        )
        for c in range(pixels.shape[2])
    ]
    return np.clip(np.stack(channels, axis=-1), 0.0, 1.0)


def size_of(pixels: np.ndarray) -> list[int]:
    """[width, height], the order image sizes are written in."""
    return [int(pixels.shape[1]), int(pixels.shape[0])]


@dataclass(frozen=True)
class AlignedPair:
    """A reference and a candidate of one size, and what was done to get there."""

    reference: np.ndarray
    candidate: np.ndarray
    details: dict[str, Any] = field(default_factory=dict)


def align(reference: np.ndarray, candidate: np.ndarray, size: int | None = None) -> AlignedPair:
    """Bring `candidate` (the render) to the reference's size, or both to size x size."""
    details: dict[str, Any] = {}
    if size is not None:
        width = height = size
        if size_of(reference) != [size, size]:
            details["resized_reference_from"] = size_of(reference)
            reference = resize(reference, width, height)
    else:
        width, height = size_of(reference)
    if size_of(candidate) != [width, height]:
        details["resized_render_from"] = size_of(candidate)
        candidate = resize(candidate, width, height)
    details["compared_at"] = [width, height]
    return AlignedPair(reference=reference, candidate=candidate, details=details)
