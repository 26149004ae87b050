"""Render the round's program a second time with another renderer, and compare.

Renderers disagree: on features one of them lacks, on anti-aliasing, and on which
documents make them fail (cairosvg recurses forever on a pattern that fills itself;
resvg draws it). Scoring a model with one renderer hides this. This metric re-renders the
same execution with `other` (any installed renderer, loaded through the registry) on the
same canvas as the pipeline's renderer, and reports per sample:

- `ssim_between`, `mse_between`: SSIM (StarVector's settings, as the `ssim` metric) and
  MSE between the two renders, when both rendered;
- `both_rendered` (1/0) and `status_agrees` (1 when both rendered or both failed);
- `seconds_primary`, `seconds_other`: each renderer's time for this render: the library
  call alone where the renderer reports it (`metadata["render_s"]`, as the SVG renderers
  do), else the whole render call (`duration_s`, which for the first render of a warm
  worker includes starting it). Both are in the details too.

The canvas is the one the primary renderer was asked for: its pixel size, `fit` and
`background` (read from the rendering's metadata, where the SVG renderers record them,
failed renders included), unless `render` sets one. The second render is written next
to the first, in `agreement-<other>/`.
`visioncode-metrics table RUN_DIR --metric renderer-agreement` prints the per-sample table.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PIL import UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field

from visioncode import (
    ComponentContext,
    ComponentOptions,
    Execution,
    Metric,
    Renderer,
    Rendering,
    RenderSpec,
    RoundRecord,
    Sample,
    Score,
)
from visioncode.registry import find, load

from .images import align, load_rgb, parse_color
from .mse import mean_squared_error
from .ssim import ssim

KEYS = ("ssim_between", "mse_between", "both_rendered", "status_agrees", "seconds_primary",
        "seconds_other")
BETTER = {"ssim_between": True, "mse_between": False, "both_rendered": True,
          "status_agrees": True, "seconds_primary": False, "seconds_other": False}


class RendererSpec(BaseModel):
    """A renderer component, as in a pipeline's `[renderer]` table."""

    model_config = ConfigDict(extra="forbid")
    use: str = Field(description="The other renderer's component name (`resvg`, ...).")
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="That renderer's options.")


class RendererAgreementOptions(ComponentOptions):
    other: RendererSpec = Field(description="The renderer to compare with: "
                                            "`{use = \"resvg\"}`.")
    render: RenderSpec | None = Field(
        None, description="The canvas for the second render (default: the one the "
                          "pipeline's renderer was asked for: size, fit, background).")
    win_size: int = Field(11, ge=3, le=101,
                          description="SSIM window side, odd (StarVector: 11).")


class RendererAgreement(Metric):
    """`renderer-agreement`: SSIM and MSE between the pipeline's render and another
    renderer's render of the same program, whether both rendered, and both timings."""

    Options = RendererAgreementOptions
    options: RendererAgreementOptions

    def __init__(self, options: ComponentOptions | None = None,
                 context: ComponentContext | None = None) -> None:
        super().__init__(options, context)
        self._other: Renderer | None = None
        self._lock = threading.Lock()

    @property
    def other(self) -> Renderer:
        """The second renderer (loaded, with its options validated, on first use)."""
        with self._lock:
            if self._other is None:
                name = self.options.other.use
                cls = load("renderer", name)
                entry = find("renderer", name)
                assert issubclass(cls, Renderer)
                opts = cls.Options.model_validate(self.options.other.options)
                self._other = cls(opts, ComponentContext(
                    name=name, slot=f"{self.context.slot}.other", version=entry.version,
                    distribution=entry.distribution, base_dir=self.context.base_dir))
            return self._other

    def spec_for(self, rendering: Rendering | None) -> RenderSpec:
        """The `render` option, else the canvas the primary renderer was asked for
        (`metadata["canvas"]`, recorded on failures too), else the rendering's size, fit
        and background, else RenderSpec's defaults."""
        if self.options.render is not None:
            return self.options.render
        if rendering is None:
            return RenderSpec()
        meta = rendering.metadata
        found = meta.get("canvas")
        canvas: dict[str, Any] = found if isinstance(found, dict) else {}
        width = canvas.get("width", rendering.width)
        height = canvas.get("height", rendering.height)
        if width is None or height is None:
            return RenderSpec()
        fit = canvas.get("fit", meta.get("fit"))
        return RenderSpec(width=width, height=height,
                          fit=fit if fit in ("contain", "stretch") else "contain",
                          background=canvas.get("background", meta.get("background",
                                                                        "#ffffff")))

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        values: dict[str, float | None] = dict.fromkeys(KEYS)
        execution, primary = result.execution, result.rendering
        if execution is None or not execution.ok:
            return self._score(values, result, {"reason": "no program to render "
                                                          f"({result.status})"})
        spec = self.spec_for(primary)
        folder = _workdir(execution, primary)
        if folder is None:
            return self._score(values, result, {"reason": "the execution has no artifact"})
        workdir = folder / f"agreement-{self.options.other.use}"
        second = self.other.render(execution, spec, workdir)
        first_ok, second_ok = result.rendered, second.ok
        values["both_rendered"] = float(first_ok and second_ok)
        values["status_agrees"] = float(first_ok == second_ok)
        values["seconds_other"] = _seconds(second)
        if primary is not None:
            values["seconds_primary"] = _seconds(primary)
        details: dict[str, Any] = {"canvas": spec.model_dump(include={"width", "height", "fit",
                                                                      "background"}),
                                   "primary": _about(primary), "other": _about(second)}
        if first_ok and second_ok and primary and primary.image and second.image:
            background = parse_color(spec.background or "#ffffff")
            try:
                a, b = load_rgb(primary.image, background), load_rgb(second.image, background)
            except (OSError, UnidentifiedImageError) as exc:
                details["reason"] = f"cannot read a render: {exc}"
            else:
                pair = align(a, b)
                values["ssim_between"], _ = ssim(pair.reference, pair.candidate,
                                                 win_size=self.options.win_size)
                values["mse_between"] = mean_squared_error(pair.reference, pair.candidate)
        return self._score(values, result, details)

    def _score(self, values: dict[str, float | None], result: RoundRecord,
               details: dict[str, Any]) -> Score:
        return Score(metric=self.name, values=values, rendered=result.rendered,
                     higher_is_better=BETTER, details=details)

    def close(self) -> None:
        with self._lock:
            if self._other is not None:
                self._other.close()
                self._other = None


def _workdir(execution: Execution, rendering: Rendering | None) -> Path | None:
    """The round's folder: where the primary render (or the executed program) is."""
    if rendering is not None and rendering.image is not None:
        return rendering.image.parent
    artifact = next(iter(execution.artifacts.values()), None)
    return Path(artifact).parent if artifact is not None else None


def _seconds(rendering: Rendering) -> float:
    """The library's own time when the renderer reports it, else the whole call's."""
    own = rendering.metadata.get("render_s")
    return float(own) if isinstance(own, int | float) else rendering.duration_s


def _about(rendering: Rendering | None) -> dict[str, Any]:
    if rendering is None:
        return {"status": "not rendered"}
    return {"renderer": rendering.renderer, "version": rendering.renderer_version,
            "status": rendering.status, "error": rendering.error,
            "image": str(rendering.image) if rendering.image else None,
            "seconds_total": rendering.duration_s,
            "seconds_library": rendering.metadata.get("render_s"),
            "worker_started": rendering.metadata.get("worker_started")}
