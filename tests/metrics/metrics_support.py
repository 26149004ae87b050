"""Helpers for the visioncode-metrics tests: fixture images written with PIL, rounds and
samples built from the public API, and independent numpy versions of the metrics.
(A uniquely named module, so it cannot clash with other test folders' helpers.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image, ImageDraw

from visioncode import Execution, Rendering, RoundRecord, Sample

WHITE = (255, 255, 255)


def square_image(path: Path, *, size: tuple[int, int] = (48, 40), offset: int = 0,
                 colour: tuple[int, ...] = (200, 40, 40), background: tuple[int, ...] = WHITE,
                 mode: str = "RGB") -> Path:
    """A filled square at (12 + offset, 10) - (27 + offset, 25) on a plain background."""
    img = Image.new(mode, size, background)
    ImageDraw.Draw(img).rectangle((12 + offset, 10, 27 + offset, 25), fill=colour)
    img.save(path)
    return path


def solid_image(path: Path, size: tuple[int, int], colour: tuple[int, ...],
                mode: str = "RGB") -> Path:
    Image.new(mode, size, colour).save(path)
    return path


def pixels(path: Path) -> np.ndarray:
    """An opaque image as float RGB in [0, 1], read independently of the plugin."""
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0


def sample(reference: Path | None, sample_id: str = "s1") -> Sample:
    return Sample(id=sample_id, image=reference)


def rendered_round(image: Path, program: str = "<svg/>") -> RoundRecord:
    return RoundRecord(
        round=0,
        execution=Execution(status="ok", program=program),
        rendering=Rendering(status="ok", renderer="test", images=[image]),
    )


def failed_round(program: str = "<svg") -> RoundRecord:
    """A program that parsed but whose render failed."""
    return RoundRecord(
        round=0,
        status="render_error",
        reason="renderer crashed",
        execution=Execution(status="ok", program=program),
        rendering=Rendering(status="error", renderer="test", error="cairo: invalid path"),
    )


def numpy_mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a - b) ** 2))


def numpy_ssim_2d(x: np.ndarray, y: np.ndarray, win: int = 11) -> float:
    """Wang et al.'s SSIM with a uniform win x win window and sample (co)variances,
    averaged over every window position fully inside the image."""
    wx, wy = sliding_window_view(x, (win, win)), sliding_window_view(y, (win, win))
    mx, my = wx.mean(axis=(-2, -1)), wy.mean(axis=(-2, -1))
    vx, vy = wx.var(axis=(-2, -1), ddof=1), wy.var(axis=(-2, -1), ddof=1)
    n = win * win
    cxy = ((wx - mx[..., None, None]) * (wy - my[..., None, None])).sum(axis=(-2, -1)) / (n - 1)
    c1, c2 = 0.01**2, 0.03**2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return float(s.mean())


def numpy_ssim_rgb(a: np.ndarray, b: np.ndarray, win: int = 11) -> float:
    return float(np.mean([numpy_ssim_2d(a[..., c], b[..., c], win) for c in range(3)]))
