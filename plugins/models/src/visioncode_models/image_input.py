"""Reading the image a request carries, in the form vtracer should see.

vtracer keys fully transparent pixels out and traces the rest, so a logo on a transparent
background comes back with holes where the renderer's background shows through. The
framework's renderers and metrics put programs on white, so the tracer must see the
image the way they will: composited over white first.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from visioncode import ModelError, ModelRequest

WHITE = (255, 255, 255, 255)


@dataclass(frozen=True)
class InputImage:
    """An opaque RGB image encoded as PNG, with its size and where it came from."""

    png: bytes
    width: int
    height: int
    path: Path


def first_image(request: ModelRequest) -> Path:
    """The path of the request's first image part, across all messages, in order."""
    images = request.images
    if not images:
        raise ModelError("vtracer needs an image in the request", retryable=False)
    return images[0].path


def load_over_white(path: Path) -> InputImage:
    """Open `path`, composite it over white and encode it as PNG.

    Unreadable files are the request's fault, not a transient failure: not retryable."""
    try:
        with Image.open(path) as img:
            img.load()
            flat = flatten_over_white(img)
    except FileNotFoundError:
        raise ModelError(f"vtracer: image not found: {path}", retryable=False) from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ModelError(f"vtracer: cannot read image {path}: {exc}", retryable=False) from None
    buf = io.BytesIO()
    # Fast, lossless: the bytes only travel from here to vtracer's decoder.
    flat.save(buf, format="PNG", compress_level=1)
    return InputImage(png=buf.getvalue(), width=flat.width, height=flat.height, path=path)


def flatten_over_white(img: Image.Image) -> Image.Image:
    """An RGB copy of `img` with any transparency (alpha, palette or LA) over white."""
    if img.mode == "RGB":
        return img.copy()
    rgba = img.convert("RGBA")
    canvas = Image.new("RGBA", rgba.size, WHITE)
    return Image.alpha_composite(canvas, rgba).convert("RGB")
