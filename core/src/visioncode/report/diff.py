"""Diff heatmaps: where a render differs from its reference, as a PNG the report shows
beside them (computed once here, because a browser may not read pixels of local files)."""

from __future__ import annotations

from pathlib import Path


def diff_heatmap(reference: Path, render: Path, out: Path, size: int = 256) -> float | None:
    """Write a heatmap of |reference - render| (both fitted on white to `size` x `size`)
    to `out` and return the mean absolute difference in [0, 1]; None when either image
    cannot be read."""
    from PIL import Image, ImageChops, ImageOps, UnidentifiedImageError

    def load(path: Path) -> Image.Image:
        with Image.open(path) as im:
            im.load()
            rgba = im.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        canvas.alpha_composite(rgba)
        return ImageOps.pad(canvas.convert("RGB"), (size, size), color=(255, 255, 255))

    try:
        a, b = load(reference), load(render)
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    grey = ImageChops.difference(a, b).convert("L")
    hist = grey.histogram()
    mean = sum(i * n for i, n in enumerate(hist)) / (255 * size * size)
    # black (same) -> red -> yellow (most different), so small differences stay visible
    heat = ImageOps.colorize(ImageOps.autocontrast(grey), black="#000000", mid="#d62728",
                             white="#ffdd57")
    out.parent.mkdir(parents=True, exist_ok=True)
    heat.save(out)
    return mean
