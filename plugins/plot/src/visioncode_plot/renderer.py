"""The `matplotlib` renderer: a chart program's figures as PNGs at the RenderSpec.

By default (`source = "rerun"`) the program is run again in the sandbox (a warm worker,
a fresh forked job) and each figure is drawn at the canvas: the spec's pixel size
(`width`, `height` times `scale`) decides the figure size and dpi. With `fit = "contain"`
the figure keeps its size in inches and its aspect ratio, the dpi is chosen so that it
fits the canvas, and it is centred on it (so fonts and line widths scale with the chart);
with `stretch` the figure is resized to the canvas at its own dpi and re-laid out. The
spec's background is the figure's default face colour and the colour of any margin
(None: transparent); a program that sets its own face colour keeps it. Fonts are
matplotlib's bundled DejaVu family, so a render is the same on every machine.

`source = "executor"` skips the second run and fits the executor's own figure PNG onto the
canvas with Pillow (faster; the figure is resampled, not redrawn).

Images: the current figure (`plt.gcf()` when the program ended) first, then, with
`figures = "all"`, the others in figure-number order. Metadata: per figure its size, dpi
and axes count.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, Literal

from PIL import Image
from pydantic import Field

from visioncode import (
    ComponentContext,
    ComponentOptions,
    Execution,
    Limits,
    Renderer,
    Rendering,
    RenderSpec,
)

from .runtime import ChartPool, default_limits


class MatplotlibRendererOptions(ComponentOptions):
    source: Literal["rerun", "executor"] = Field(
        "rerun", description="`rerun`: draw the figures again at the RenderSpec in the "
        "sandbox; `executor`: fit the executor's own PNG onto the canvas (no second run)")
    figures: Literal["current", "all"] = Field(
        "current", description="which figures become images: the current one, or all "
        "(current first)")
    workers: int = Field(2, ge=1, le=64, description="warm sandboxed worker processes")
    limits: Limits = Field(default_factory=default_limits, description="per program: wall "
                           "time, address space, CPU seconds, output bytes kept")
    startup_timeout_s: float = Field(120.0, gt=0, description="allowance for a worker to "
                                     "import matplotlib and start")
    env: dict[str, str] = Field(default_factory=dict, description="extra environment "
                                "variables of the workers")


def _version() -> str:
    try:
        return f"matplotlib {metadata.version('matplotlib')}"
    except metadata.PackageNotFoundError:
        return "matplotlib (not installed)"


def fit_image(source: Path, dest: Path, spec: RenderSpec) -> tuple[int, int]:
    """Fit a PNG onto the spec's canvas (contain: centred, aspect kept; stretch: resized)."""
    width, height = spec.pixel_size
    with Image.open(source) as im:
        im.load()
        image = im.convert("RGBA")
    if spec.fit == "stretch":
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    else:
        s = min(width / image.width, height / image.height)
        size = (max(1, round(image.width * s)), max(1, round(image.height * s)))
        scaled = image.resize(size, Image.Resampling.LANCZOS)
        image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        image.alpha_composite(scaled, ((width - size[0]) // 2, (height - size[1]) // 2))
    if spec.background:
        flat = Image.new("RGBA", image.size, spec.background)
        flat.alpha_composite(image)
        flat.convert("RGB").save(dest, format="PNG")
    else:
        image.save(dest, format="PNG")
    return width, height


class MatplotlibRenderer(Renderer):
    """Draws a matplotlib program's figures at the RenderSpec in the core sandbox."""

    default_executor = "matplotlib"
    #: `visioncode render`'s canvas: matplotlib's default figure (6.4 x 4.8 in at 100 dpi).
    render_defaults: ClassVar[dict[str, Any]] = {"width": 640, "height": 480}
    Options = MatplotlibRendererOptions
    options: MatplotlibRendererOptions

    def __init__(self, options: ComponentOptions | None = None,
                 context: ComponentContext | None = None) -> None:
        super().__init__(options, context)
        o = self.options
        self.pool = ChartPool(o.workers, o.limits, o.startup_timeout_s, o.env)

    def render(self, execution: Execution, spec: RenderSpec, workdir: Path) -> Rendering:
        started = time.perf_counter()
        width, height = spec.pixel_size

        def failed(status: Literal["error", "timeout"], message: str,
                   **meta: Any) -> Rendering:
            return Rendering(status=status, renderer=self.name, renderer_version=_version(),
                             error=message, duration_s=time.perf_counter() - started,
                             metadata=meta)

        if not execution.ok:
            return failed("error", f"nothing to render: {execution.status}")
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        if self.options.source == "executor":
            return self._fit(execution, spec, workdir, started, failed)
        source = execution.artifacts.get("program")
        if source is None:
            return failed("error", "nothing to render: the execution has no 'program' "
                          "artifact (use the matplotlib executor)")
        try:
            program = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return failed("error", f"cannot read the program artifact {source}: {exc}")
        canvas = {"width": width, "height": height, "fit": spec.fit,
                  "background": spec.background}
        out = workdir / "render"
        answer = self.pool.run({"program": program, "canvas": canvas, "trace": False,
                                "save": True, "max_figures": 64}, take_to=out)
        if not answer.ok:
            err = answer.error
            where = f" (line {err.line})" if err and err.line else ""
            message = f"{err.kind}{where}: {err.message}" if err else answer.status
            return failed("timeout" if answer.status == "timeout" else "error", message,
                          error=err.model_dump() if err else None)
        ordered = sorted(answer.figures, key=lambda f: f.number != answer.current_figure)
        if self.options.figures == "current":
            ordered = ordered[:1]
        images = [Path(f.file) for f in ordered if f.file]
        return Rendering(
            status="ok", renderer=self.name, renderer_version=_version(), images=images,
            width=width, height=height, duration_s=time.perf_counter() - started,
            metadata={"figures": [f.model_dump() for f in ordered],
                      "current_figure": answer.current_figure, "fit": spec.fit,
                      "source": "rerun", "worker_s": round(answer.duration_s, 4)})

    def _fit(self, execution: Execution, spec: RenderSpec, workdir: Path, started: float,
             failed: Callable[..., Rendering]) -> Rendering:
        figure = execution.artifacts.get("figure")
        if figure is None:
            return failed("error", "nothing to render: the execution has no 'figure' "
                          "artifact (executor save_figures is off)")
        dest = workdir / "render-figure.png"
        try:
            width, height = fit_image(Path(figure), dest, spec)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            return failed("error", f"cannot read the figure {figure}: {exc}")
        return Rendering(status="ok", renderer=self.name, renderer_version=_version(),
                         images=[dest], width=width, height=height,
                         duration_s=time.perf_counter() - started,
                         metadata={"source": "executor", "fit": spec.fit,
                                   "figures": execution.metadata.get("figures", [])})

    def close(self) -> None:
        self.pool.close()
