"""`motion`: did anything move? A still picture handed in as an animation scores 0.

Consecutive frames of the rendering (`Rendering.frames`, in order) are compared pixel by
pixel as float RGB (transparency over `background`): a pixel changed when one of its
channels moved by more than `pixel_delta`, and a pair of frames moves when more than
`min_changed` of its pixels changed (so codec noise or one blinking caret pixel is not
motion). Values:

- `motion`: 1.0 when at least one pair of consecutive frames moves, else 0.0 (also 0.0
  for a rendering with fewer than two frames, or a failed one);
- `moving_fraction`: the share of consecutive pairs that move (a 2 s animation that
  stops after 0.5 s scores about 0.25);
- `mean_change`: the mean absolute pixel difference between consecutive frames, over
  all pairs, in [0, 1].

With a reference animation on the sample (`reference_video`, `reference_images`), the
same numbers are computed for it and `moving_fraction_error` is the absolute difference
of the two moving fractions (0 when the render moves as often as the reference).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
from PIL import UnidentifiedImageError
from pydantic import Field

from visioncode import ComponentOptions, DatasetError, Metric, RoundRecord, Sample, Score

from .images import Colour, load_rgb, parse_color


class MotionOptions(ComponentOptions):
    pixel_delta: float = Field(8 / 255, ge=0, lt=1, description="a pixel changed when a "
                               "channel moved by more than this (RGB in [0, 1])")
    min_changed: float = Field(0.001, ge=0, lt=1, description="a pair of frames moves "
                               "when more than this fraction of its pixels changed")
    background: Colour = Field("#ffffff", description="colour transparency is "
                               "composited over")
    compare_reference: bool = Field(True, description="also measure the reference "
                                    "animation's motion when the sample has one")


def motion_of(frames: list[np.ndarray], pixel_delta: float,
              min_changed: float) -> dict[str, float]:
    """The three motion values of a sequence of same-size float RGB frames."""
    pairs = list(itertools.pairwise(frames))
    if not pairs:
        return {"motion": 0.0, "moving_fraction": 0.0, "mean_change": 0.0}
    moving, change = 0, 0.0
    for a, b in pairs:
        if a.shape != b.shape:  # a size change is a change of every pixel
            moving += 1
            change += 1.0
            continue
        diff = np.abs(a - b)
        change += float(diff.mean())
        if float((diff.max(axis=-1) > pixel_delta).mean()) > min_changed:
            moving += 1
    return {"motion": 1.0 if moving else 0.0, "moving_fraction": moving / len(pairs),
            "mean_change": change / len(pairs)}


class Motion(Metric):
    """Whether (and how much of the time) the rendering's frames change, so that an
    animation task cannot be passed with a still picture."""

    Options = MotionOptions
    options: MotionOptions

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        o = self.options
        background = parse_color(o.background)
        rendering = result.rendering
        details: dict[str, Any] = {}
        frames: list[Path] = list(rendering.frames) if rendering is not None and \
            rendering.ok else []
        if rendering is None or not rendering.ok:
            details["reason"] = result.reason or "nothing rendered"
        elif len(frames) < 2:
            details["reason"] = (f"the rendering has {len(frames)} frame(s): a still "
                                 "picture does not move (ask for frames with render.fps "
                                 "and render.frames)")
        arrays = []
        for path in frames:
            try:
                arrays.append(load_rgb(path, background))
            except (OSError, UnidentifiedImageError) as exc:
                details["reason"] = f"cannot read frame {path}: {exc}"
                arrays = []
                break
        values: dict[str, float | None] = dict(motion_of(arrays, o.pixel_delta,
                                                         o.min_changed))
        details["frames"] = len(arrays)
        higher = {"motion": True, "moving_fraction": True, "mean_change": True}
        reference = self._reference(sample, background) if o.compare_reference else None
        if reference is not None:
            ref = motion_of(reference, o.pixel_delta, o.min_changed)
            details["reference"] = ref
            values["moving_fraction_error"] = abs(float(values["moving_fraction"] or 0)
                                                  - ref["moving_fraction"])
            higher["moving_fraction_error"] = False
        return Score(metric=self.name, values=values, rendered=bool(arrays),
                     higher_is_better=higher, details=details)

    def _reference(self, sample: Sample, background: tuple[float, float, float],
                   ) -> list[np.ndarray] | None:
        video = getattr(sample, "reference_video", None)
        if video:
            from .frames import _video_frames

            return [a for _, a in _video_frames(sample, Path(video))]
        images = list(getattr(sample, "reference_images", []) or [])
        if len(images) < 2:
            return None
        try:
            return [load_rgb(Path(p), background) for p in images]
        except (OSError, UnidentifiedImageError) as exc:
            raise DatasetError(f"sample {sample.id!r}: cannot read a reference image: "
                               f"{exc}") from None
