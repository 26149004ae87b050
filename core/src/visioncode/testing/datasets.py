"""Tiny datasets and the objects a component receives, made on the fly with Pillow.

Nothing is downloaded or stored in the repository: a test asks for three 32x32 images of
simple shapes and gets them in its own tmp folder, with a JSON Lines manifest the
pipeline reads like any dataset.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from ..execution import Execution
from ..records import RoundRecord
from ..rendering import Rendering
from ..samples import Sample

Shape = Literal["square", "circle", "triangle", "blank"]
#: (shape, colour) of the samples `tiny_dataset` makes, in order.
SHAPES: tuple[tuple[Shape, str], ...] = (
    ("square", "#d62728"), ("circle", "#1f77b4"), ("triangle", "#2ca02c"),
    ("square", "#ff7f0e"), ("circle", "#9467bd"), ("triangle", "#8c564b"),
)


def shape_image(path: Path, shape: Shape = "square", colour: str = "#d62728",
                size: tuple[int, int] = (32, 32), background: str | None = "#ffffff") -> Path:
    """Draw one shape centred on a canvas and save it as PNG (RGBA when `background` is
    None, i.e. transparent). Returns `path`."""
    from PIL import Image, ImageDraw

    w, h = size
    mode = "RGBA" if background is None else "RGB"
    img = Image.new(mode, size, (0, 0, 0, 0) if background is None else background)
    draw = ImageDraw.Draw(img)
    box = (w // 4, h // 4, w - 1 - w // 4, h - 1 - h // 4)
    if shape == "square":
        draw.rectangle(box, fill=colour)
    elif shape == "circle":
        draw.ellipse(box, fill=colour)
    elif shape == "triangle":
        draw.polygon([(w // 2, box[1]), (box[2], box[3]), (box[0], box[3])], fill=colour)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


def tiny_samples(dest: Path, n: int = 3, size: tuple[int, int] = (32, 32)) -> list[Sample]:
    """`n` samples (n <= len(SHAPES)), each with an image of a shape and a text saying
    what it shows; images are written under `dest`."""
    if not 1 <= n <= len(SHAPES):
        raise ValueError(f"n must be between 1 and {len(SHAPES)}")
    samples = []
    for i, (shape, colour) in enumerate(SHAPES[:n]):
        image = shape_image(dest / f"{i}-{shape}.png", shape, colour, size)
        samples.append(Sample(id=f"{i}-{shape}", image=image,
                              text=f"a {colour} {shape} on white",
                              meta={"shape": shape, "colour": colour}))
    return samples


def tiny_dataset(dest: Path, n: int = 3, size: tuple[int, int] = (32, 32)) -> Path:
    """`tiny_samples` written as a manifest (relative image paths); returns the
    manifest's path, ready for `[dataset] path = ...`."""
    dest.mkdir(parents=True, exist_ok=True)
    lines = []
    for s in tiny_samples(dest, n, size):
        row = s.model_dump(mode="json", exclude_none=True)
        row["image"] = Path(row["image"]).name
        lines.append(json.dumps(row))
    manifest = dest / "samples.jsonl"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def rendering_of(image: Path, renderer: str = "testing") -> Rendering:
    """A successful Rendering whose primary image is `image`."""
    from PIL import Image

    with Image.open(image) as img:
        width, height = img.size
    return Rendering(status="ok", renderer=renderer, renderer_version=f"{renderer} 0",
                     images=[image], width=width, height=height)


def round_of(rendering: Rendering | None, program: str = "",
             failure: str | None = None) -> RoundRecord:
    """A RoundRecord as the pipeline makes it: rendered when `rendering` is ok, else
    failed with status `render_error` (or the given `failure` status) and its reason."""
    execution = Execution(status="ok", program=program)
    if rendering is not None and rendering.ok and failure is None:
        return RoundRecord(round=0, execution=execution, rendering=rendering)
    reason = (rendering.error if rendering is not None else None) or "did not render"
    return RoundRecord(round=0, status=failure or "render_error", reason=reason,
                       execution=execution, rendering=rendering)


def pixel_colours(image: Path, points: Sequence[tuple[int, int]]) -> list[tuple[int, ...]]:
    """RGBA values of `image` at `points` (for checks on backgrounds and borders)."""
    from PIL import Image

    with Image.open(image) as img:
        rgba = img.convert("RGBA")
        return [tuple(rgba.getpixel(p)) for p in points]  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m visioncode.testing.datasets DEST [N]`: write a tiny dataset to DEST."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if not 1 <= len(args) <= 2:
        sys.exit("usage: python -m visioncode.testing.datasets DEST [N]")
    print(tiny_dataset(Path(args[0]), int(args[1]) if len(args) > 1 else 3))


if __name__ == "__main__":
    main()
