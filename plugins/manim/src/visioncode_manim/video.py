"""Video files with PyAV (bundled with Manim, so no ffmpeg binary): joining the sections
of a video into one file and reading a video's length.

Sections rendered with the same settings share codec, size, pixel format and frame rate,
so joining is a remux (packets copied, timestamps shifted): no frame is decoded or
re-encoded, and the result is bit-identical to the sections' frames.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av


def duration_s(video: Path) -> float:
    with av.open(str(video)) as container:
        if container.duration:
            return container.duration / 1_000_000
        stream = container.streams.video[0]
        return float((stream.duration or 0) * (stream.time_base or 0))


def concatenate(parts: list[Path], out: Path) -> float:
    """Join `parts` (same codec and size) into `out`; returns its length in seconds."""
    if not parts:
        raise ValueError("nothing to concatenate")
    tmp = out.with_name(out.name + ".part.mp4")
    with av.open(str(tmp), mode="w") as output:
        with av.open(str(parts[0])) as first:
            template = first.streams.video[0]
            stream = output.add_stream_from_template(template)
        offset = Fraction(0)
        for part in parts:
            with av.open(str(part)) as source:
                src = source.streams.video[0]
                time_base = src.time_base or Fraction(1, 90000)
                end = Fraction(0)
                shift = None
                for packet in source.demux(src):
                    if packet.dts is None:
                        continue
                    if shift is None:
                        shift = offset / time_base
                    packet.pts = None if packet.pts is None else int(packet.pts + shift)
                    packet.dts = int(packet.dts + shift)
                    last = Fraction(packet.pts if packet.pts is not None else packet.dts) \
                        * time_base + Fraction(packet.duration or 0) * time_base
                    end = max(end, last)
                    packet.stream = stream
                    output.mux(packet)
                offset = max(offset + Fraction(src.duration or 0) * time_base, end)
    tmp.replace(out)
    return float(offset)
