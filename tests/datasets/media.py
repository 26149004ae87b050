"""Small real media for the input tests: PNGs of one colour and an MP4 (MPEG-4 Part 2,
encoded with PyAV) whose colour changes once a second, so a test can tell which frame
it was sent from the pixels alone."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image

RED, GREEN, BLUE, YELLOW = (230, 20, 20), (20, 200, 40), (30, 40, 220), (240, 220, 30)


def png(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (32, 24)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


def video(path: Path, colours: list[tuple[int, int, int]], rate: int = 4,
          size: tuple[int, int] = (32, 32)) -> Path:
    """`len(colours)` seconds of video at `rate` frames per second, second k all
    `colours[k]`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=rate)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for colour in colours:
            arr = np.zeros((size[1], size[0], 3), np.uint8)
            arr[:] = colour
            for _ in range(rate):
                frame = av.VideoFrame.from_ndarray(arr, format="rgb24")
                for packet in stream.encode(frame):
                    out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def colour_of(data: bytes | Path) -> tuple[int, int, int]:
    """The mean colour of an image (bytes or a file)."""
    import io

    src = io.BytesIO(data) if isinstance(data, bytes) else data
    with Image.open(src) as im:
        r, g, b = im.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    return int(r), int(g), int(b)


def near(a: tuple[int, int, int], b: tuple[int, int, int], tol: int = 30) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))
