"""`frames`: a pixel or feature metric (mse, psnr, ssim, siglip, dinov2, clip) applied
frame by frame to an animation, against the sample's reference animation, reporting the
mean over frames and the worst frame.

The reference is, in this order: the sample's `reference_video` (decoded with PyAV, each
frame at its own presentation time), its `reference_images` (frames in order, at
`reference_fps`), or a folder of PNG frames named by `meta["reference_frames"]` (sorted
by file name, at `reference_fps`; relative to the pipeline file's folder). Frames given
as images run at the option `reference_fps`, else the sample's `meta["reference_fps"]`,
else the render's fps.

Alignment (stated, not guessed): frames are compared on the render's own frame grid,
times k / F for the render's fps F (`Rendering.metadata["fps"]`, which chromium and
chromium-svg record). At each time, each side shows the last frame it has at or before
that time (sample and hold, what a player shows), so:

- same fps: frame i against frame i;
- different fps: the reference is resampled to the render's times, nearest frame at or
  before each time, never interpolated;
- different lengths: the grid runs to the longer of the two, and the shorter one holds
  its last frame, so an animation that stops early (or runs on) is compared with what
  the other shows meanwhile instead of being cut to the common part.

Every compared pair is aligned in size exactly as the still metric does (`images.align`:
render resized to the reference, bicubic, transparency over `background`). Values:
`{key}_mean`, `{key}_worst` (the lowest for similarities, the highest for errors) and
`frames_compared`; the details list every frame's value and name the worst frame.

A round without frames (a still render, or none) follows `failure_policy`: `worst` (the
default) gives the inner metric's worst value, `exclude` None, and `blank` compares the
reference frames with a blank canvas.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image, UnidentifiedImageError
from pydantic import Field

from visioncode import (
    ComponentContext,
    ComponentOptions,
    DatasetError,
    FailurePolicy,
    Metric,
    RoundRecord,
    Sample,
    Score,
)

from .images import Colour, align, blank, load_rgb, parse_color, size_of

#: The most reference frames read from one video or folder.
MAX_REFERENCE_FRAMES = 3600
PIXEL = ("mse", "psnr", "ssim")
FEATURE = ("siglip", "dinov2", "clip")


class FramesOptions(ComponentOptions):
    compare: Literal["mse", "psnr", "ssim", "siglip", "dinov2", "clip"] = Field(
        "ssim", description="the still metric applied to each pair of frames")
    compare_options: dict[str, Any] = Field(
        default_factory=dict, description="options of that metric (as in its own "
        "[[metrics]] table; e.g. `model`, `local_path` for siglip)")
    reference_fps: float | None = Field(None, gt=0, le=1000, description="frame rate of "
                                        "reference frames given as images (default: the "
                                        "render's); a reference video carries its own")
    failure_policy: FailurePolicy = Field(FailurePolicy.worst, description="a round "
                                          "without frames: `worst`, `exclude` or `blank`")
    background: Colour = Field("#ffffff", description="colour transparency is "
                               "composited over (match RenderSpec.background)")


class Frames(Metric):
    """Compares an animation with its reference frame by frame (mean and worst frame),
    with any pixel or embedding metric of this plugin."""

    Options = FramesOptions
    options: FramesOptions

    def __init__(self, options: ComponentOptions | None = None,
                 context: ComponentContext | None = None) -> None:
        super().__init__(options, context)
        self.inner = _inner(self.options, self.context)
        self.key = self.inner.key
        self.higher = (self.inner.higher_is_better if self.options.compare in PIXEL
                       else True)

    # -- references ------------------------------------------------------------------

    def reference(self, sample: Sample, fps: float) -> tuple[list[tuple[float, Any]],
                                                             dict[str, Any]]:
        """[(time_s, frame)], frame a path or an RGB array, and where it came from."""
        video = getattr(sample, "reference_video", None) or sample.meta.get(
            "reference_video")
        if video:
            path = self.context.resolve_path(video)
            return _video_frames(sample, path), {"reference": str(path),
                                                 "reference_kind": "video"}
        images = [Path(p) for p in getattr(sample, "reference_images", []) or []]
        kind = "reference_images"
        folder = sample.meta.get("reference_frames")
        if not images and folder:
            root = self.context.resolve_path(folder)
            if not root.is_dir():
                raise DatasetError(f"sample {sample.id!r}: meta.reference_frames {root} is "
                                   "not a folder (a folder of PNG frames, sorted by name)")
            images = sorted(root.glob("*.png"))[:MAX_REFERENCE_FRAMES]
            kind = "reference_frames"
        if not images:
            return [], {"reason": "sample has no reference animation (set reference_video, "
                                  "reference_images, or meta.reference_frames)"}
        rate = float(self.options.reference_fps or sample.meta.get("reference_fps") or fps)
        return ([(i / rate, p) for i, p in enumerate(images)],
                {"reference_kind": kind, "reference_fps": rate,
                 "reference": str(images[0].parent)})

    # -- scoring ---------------------------------------------------------------------

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        background = parse_color(self.options.background)
        rendering = result.rendering
        frames = list(rendering.frames) if rendering is not None and rendering.ok else []
        fps = float((rendering.metadata.get("fps") if rendering is not None else None)
                    or self.options.reference_fps or 0)
        details: dict[str, Any] = {"compare": self.options.compare}
        if frames and not fps:
            details["reason"] = ("the rendering's frames have no fps (metadata['fps']); "
                                 "set reference_fps to compare them")
            return self._score(None, None, True, details)
        reference, about = self.reference(sample, fps or 1.0)
        details.update(about)
        if not reference:
            return self._score(None, None, bool(frames), details)
        policy = self.options.failure_policy
        if not frames:
            details["failure"] = {"status": result.status,
                                  "reason": result.reason or "the rendering has no frames"}
            if policy is FailurePolicy.exclude:
                return self._score(None, None, False, details)
            if policy is FailurePolicy.worst:
                worst = float(self.inner.worst)
                return self._score(worst, worst, False, details)
            fps = self.options.reference_fps or (
                1.0 / reference[1][0] if len(reference) > 1 and reference[1][0] else 1.0)
        grid = _grid(len(frames) or 1, fps, reference)
        details["alignment"] = {"render_fps": fps, "times": len(grid),
                                "rule": "sample and hold on the render's frame grid"}
        pairs: list[tuple[Any, Any]] = []
        for t in grid:
            ref = _held(reference, t)
            cand = frames[min(round(t * fps), len(frames) - 1)] if frames else None
            pairs.append((ref, cand))
        values = self._values(sample, pairs, background)
        worst_i = int(np.argmin(values) if self.higher else np.argmax(values))
        details["per_frame"] = [round(v, 6) for v in values]
        details["worst_frame"] = {"index": worst_i, "time_s": round(grid[worst_i], 6),
                                  "value": values[worst_i]}
        if not frames:
            details["compared_with"] = f"blank canvas {self.options.background}"
        return self._score(float(np.mean(values)), values[worst_i], bool(frames), details,
                           len(values))

    def _values(self, sample: Sample, pairs: list[tuple[Any, Any]],
                background: tuple[float, float, float]) -> list[float]:
        def pixels(frame: Any) -> np.ndarray:
            if isinstance(frame, np.ndarray):
                return frame
            try:
                return load_rgb(Path(frame), background)
            except (OSError, UnidentifiedImageError) as exc:
                raise DatasetError(f"sample {sample.id!r}: cannot read frame {frame}: "
                                   f"{exc}") from None

        cache: dict[str, np.ndarray] = {}

        def cached(frame: Any) -> np.ndarray:
            if isinstance(frame, np.ndarray):
                return frame
            key = str(frame)
            if key not in cache:
                cache[key] = pixels(frame)
            return cache[key]

        loaded = []
        for ref, cand in pairs:
            r = cached(ref)
            width, height = size_of(r)
            c = cached(cand) if cand is not None else blank(width, height, background)
            loaded.append((r, c))
        if self.options.compare in PIXEL:
            size = getattr(self.inner.options, "size", None)
            out = []
            for r, c in loaded:
                pair = align(r, c, size)
                value, _ = self.inner.compare(pair.reference, pair.candidate)
                out.append(float(value) if value is not None else math.nan)
            return out
        from .features.base import to_pil

        images = [to_pil(x) for pair in loaded for x in pair]
        vectors = self.inner.embed_images(images)
        return [float(self.inner.similarity(vectors[2 * i], vectors[2 * i + 1]))
                for i in range(len(loaded))]

    def _score(self, mean: float | None, worst: float | None, rendered: bool,
               details: dict[str, Any], count: int = 0) -> Score:
        k = self.key
        return Score(metric=self.name,
                     values={f"{k}_mean": mean, f"{k}_worst": worst,
                             "frames_compared": float(count)},
                     rendered=rendered, policy=self.options.failure_policy,
                     higher_is_better={f"{k}_mean": self.higher, f"{k}_worst": self.higher},
                     details=details)


def _inner(options: FramesOptions, context: ComponentContext) -> Any:
    """The still metric that compares one pair of frames, built from this plugin."""
    name = options.compare
    if name == "mse":
        from .mse import Mse as cls
    elif name == "psnr":
        from .psnr import Psnr as cls  # type: ignore[assignment]
    elif name == "ssim":
        from .ssim import Ssim as cls  # type: ignore[assignment]
    elif name == "siglip":
        from .features.siglip import Siglip as cls  # type: ignore[assignment]
    elif name == "dinov2":
        from .features.dinov2 import Dinov2 as cls  # type: ignore[assignment]
    else:
        from .features.clip import Clip as cls  # type: ignore[assignment]
    inner_options = dict(options.compare_options)
    if name in FEATURE:
        inner_options.setdefault("failure_policy", "exclude")
    inner_options.setdefault("background", options.background)
    return cls(cls.Options.model_validate(inner_options), context)


def _grid(frames: int, fps: float, reference: list[tuple[float, Any]]) -> list[float]:
    """The render's frame times, run on to cover the reference's length."""
    ref_end = reference[-1][0] if reference else 0.0
    count = max(frames, math.floor(ref_end * fps + 1e-6) + 1)
    return [k / fps for k in range(count)]


def _held(reference: list[tuple[float, Any]], t: float) -> Any:
    """The reference frame shown at time t: the last one at or before it."""
    chosen = reference[0][1]
    for when, frame in reference:
        if when <= t + 1e-6:
            chosen = frame
        else:
            break
    return chosen


def _video_frames(sample: Sample, path: Path) -> list[tuple[float, np.ndarray]]:
    """Every frame of a video as (presentation time in seconds, float RGB)."""
    import av

    if not path.is_file():
        raise DatasetError(f"sample {sample.id!r}: reference_video {path} not found")
    out: list[tuple[float, np.ndarray]] = []
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            start = None
            for frame in container.decode(stream):
                t = float(frame.time or 0.0)
                start = t if start is None else start
                image: Image.Image = frame.to_image()
                out.append((t - start, np.asarray(image.convert("RGB"),
                                                  dtype=np.float64) / 255.0))
                if len(out) >= MAX_REFERENCE_FRAMES:
                    break
    except (av.error.FFmpegError, IndexError) as exc:
        raise DatasetError(f"sample {sample.id!r}: cannot read reference_video {path}: "
                           f"{exc}") from None
    return out
