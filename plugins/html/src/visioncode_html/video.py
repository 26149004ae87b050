"""Frames to an H.264 video with PyAV (the library the Manim plugin joins its sections
with), so an animation captured frame by frame plays as a normal MP4.

The frames are encoded as they are: one video frame per captured frame, frame k at
presentation time k / fps exactly (time base 1/fps). H.264 in yuv420p needs even sides,
so an odd width or height gets one column or row of the background colour on the
right or bottom; transparent pixels are composited over the background (H.264 has no
alpha). The frame PNGs stay the lossless record; the video is for people and for
metrics that read videos.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from PIL import Image

#: x264 settings: near-lossless quality, one thread so that two encodes of the same
#: frames give the same bytes.
X264_OPTIONS = {"crf": "16", "preset": "veryfast"}


def _flat(path: Path, size: tuple[int, int], background: str | None) -> Image.Image:
    with Image.open(path) as im:
        im.load()
        rgba = im.convert("RGBA")
    canvas = Image.new("RGBA", size, background or "#ffffff")
    canvas.alpha_composite(rgba)
    return canvas.convert("RGB")


def encode_h264(frames: list[Path], out: Path, fps: int, background: str | None) -> Path:
    """Write `frames` (PNGs of one size) to `out` as H.264 MP4 at `fps`; returns `out`."""
    import av

    if not frames:
        raise ValueError("no frames to encode")
    with Image.open(frames[0]) as first:
        width, height = first.size
    size = (width + width % 2, height + height % 2)
    tmp = out.with_name(out.name + ".part")
    with av.open(str(tmp), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = dict(X264_OPTIONS)
        stream.codec_context.thread_count = 1
        time_base = Fraction(1, fps)
        for k, path in enumerate(frames):
            frame = av.VideoFrame.from_image(_flat(path, size, background))  # type: ignore[no-untyped-call, unused-ignore]
            frame.pts, frame.time_base = k, time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.replace(out)
    return out
