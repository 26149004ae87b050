"""What a sample shows the model: its images in order, then its video.

A video reaches a model the way `task.video` says: as frames sampled with PyAV (image
parts, in time order, after the sample's images, each optionally preceded by a line
giving its time), or whole (a `VideoPart`, for providers that take video). Frames are
written once per sample into the sample's own folder (`inputs/frame-000.png`...), so
the records and the report can show exactly what the model saw, and the response cache
keys on their bytes like any other image.

PyAV is imported only when a sample has a video, so `visioncode --help` and runs
without video never load FFmpeg.
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from .config import VideoSpec
from .errors import VisioncodeError
from .messages import ImagePart, TextPart, VideoPart
from .samples import Sample


class VideoInputError(VisioncodeError):
    """A sample's video cannot be read or has no frames."""


class Frame(BaseModel):
    """One sampled frame: the PNG written and the frame's time in the video."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    path: Path
    timestamp_s: float = Field(ge=0)


class SampleInputs(BaseModel):
    """The images and the video of one sample, as the model is shown them."""

    model_config = ConfigDict(extra="forbid")
    images: list[Path] = Field(default_factory=list)
    video: Path | None = None
    frames: list[Frame] = Field(default_factory=list)
    spec: VideoSpec = Field(default_factory=VideoSpec)

    def parts(self) -> list[TextPart | ImagePart | VideoPart]:
        """The message parts, in order: the images, then the frames (each after its
        label when `label_frames`) or the whole video."""
        out: list[TextPart | ImagePart | VideoPart] = [ImagePart(path=p) for p in self.images]
        if self.video is not None and self.spec.mode == "whole":
            out.append(VideoPart(path=self.video, fps=self.spec.fps))
        n = len(self.frames)
        for k, frame in enumerate(self.frames, 1):
            if self.spec.label_frames:
                out.append(TextPart(text=f"Frame {k} of {n} at {frame.timestamp_s:.2f} s:"))
            out.append(ImagePart(path=frame.path, timestamp_s=frame.timestamp_s))
        return out

    def template_fields(self) -> dict[str, str]:
        """`{images}` (images the model is shown, frames included), `{frames}` and
        `{frame_times}` for the task's templates."""
        return {"images": str(len(self.images) + len(self.frames)),
                "frames": str(len(self.frames)),
                "frame_times": ", ".join(f"{f.timestamp_s:.2f} s" for f in self.frames)}


def prepare_inputs(sample: Sample, spec: VideoSpec, folder: Path) -> SampleInputs:
    """The inputs of `sample`; a video in `frames` mode is sampled into `folder`."""
    frames: list[Frame] = []
    if sample.video is not None and spec.mode == "frames":
        frames = sample_frames(sample.video, folder, fps=spec.fps, max_frames=spec.max_frames)
    return SampleInputs(images=sample.input_images, video=sample.video, frames=frames,
                        spec=spec)


def frame_times(duration_s: float | None, fps: float, max_frames: int) -> list[float]:
    """The times to sample: every 1/fps seconds from 0 while inside the video; when that
    is more than `max_frames`, `max_frames` times spread evenly over the whole video (a
    long recording is summarised, not cut short). Unknown duration: every 1/fps seconds,
    up to `max_frames`, for as long as the video lasts."""
    if duration_s is None or duration_s <= 0:
        return [k / fps for k in range(max_frames)]
    n = max(1, math.ceil(duration_s * fps - 1e-9))
    if n <= max_frames:
        return [k / fps for k in range(n)]
    return [k * duration_s / max_frames for k in range(max_frames)]


def sample_frames(video: Path, folder: Path, *, fps: float, max_frames: int) -> list[Frame]:
    """Decode `video` with PyAV and write the frame shown at each of `frame_times` as
    `folder/frame-NNN.png`. A frame shown at several sampled times is written once, at
    the first, so a slow video sampled fast gives fewer, distinct frames."""
    try:
        import av
    except ImportError as exc:  # pragma: no cover - av is a dependency of visioncode
        raise VideoInputError(f"reading video {video} needs PyAV (pip install av): "
                              f"{exc}") from None
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Frame] = []
    try:
        with av.open(str(video)) as container:
            if not container.streams.video:
                raise VideoInputError(f"{video}: the file has no video stream")
            stream = container.streams.video[0]
            duration = _duration(container, stream)
            targets = frame_times(duration, fps, max_frames)
            shown = None  # the latest decoded frame: what is on screen until the next
            idx = 0
            for frame in container.decode(stream):
                t = float(frame.time) if frame.time is not None else 0.0
                while idx < len(targets) and shown is not None and t > targets[idx] + 1e-6:
                    _keep(written, shown, folder)
                    idx += 1
                if idx >= len(targets):
                    break
                shown = frame
            while shown is not None and idx < len(targets):  # the last frame lasts
                if duration is None and targets[idx] > _time(shown) + 1.0 / fps:
                    break
                _keep(written, shown, folder)
                idx += 1
    except av.error.FFmpegError as exc:
        raise VideoInputError(f"{video}: cannot be read as a video ({exc})") from None
    if not written:
        raise VideoInputError(f"{video}: no frame could be decoded")
    return written


def _time(frame: object) -> float:
    t = getattr(frame, "time", None)
    return float(t) if t is not None else 0.0


def _keep(written: list[Frame], frame: object, folder: Path) -> None:
    t = _time(frame)
    if written and written[-1].timestamp_s == t:
        return  # the same frame again
    path = folder / f"frame-{len(written):03d}.png"
    frame.to_image().save(path)  # type: ignore[attr-defined]
    written.append(Frame(path=path, timestamp_s=max(t, 0.0)))


def _duration(container: object, stream: object) -> float | None:
    d = getattr(stream, "duration", None)
    base = getattr(stream, "time_base", None)
    if d is not None and base is not None:
        return float(d * base)
    cd = getattr(container, "duration", None)
    return cd / 1_000_000 if cd else None
