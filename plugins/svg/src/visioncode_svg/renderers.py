"""The `cairosvg` and `resvg` renderers: the same canvas, two libraries, one warm worker each.

Both read the `svg` artifact of an `svg` execution, fit it to the RenderSpec's canvas
(`canvas.fit_to_canvas`), and hand the document (not a path: `protocol.RenderRequest`) to a
warm worker (`visioncode_svg.render_worker`) whose per-job children render it under
`Limits`; the PNG comes back through the job's folder (`visioncode.take_file`) and the
answer is validated (`protocol.RenderAnswer`) before it is used. Swapping one for the other
in a pipeline config changes the library and nothing else: same size, same fit, same
background handling, same failure statuses.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import weakref
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, Literal

from PIL import ImageColor
from pydantic import Field

from visioncode import (
    ComponentContext,
    ComponentOptions,
    Execution,
    Limits,
    Renderer,
    Rendering,
    RenderSpec,
    SandboxError,
    Worker,
    parse_answer,
    take_file,
)

from .canvas import fit_to_canvas
from .protocol import RenderAnswer, RenderFailure, RenderRequest
from .sanitize import SanitizeError

WORKER_MODULE = "visioncode_svg.render_worker"
#: Read by the worker: the empty folder resvg resolves relative hrefs against.
EMPTY_DIR_ENV = "VISIONCODE_SVG_EMPTY_DIR"
#: Read by the worker: the one engine it imports and serves.
ENGINE_ENV = "VISIONCODE_SVG_ENGINE"


class SvgRendererOptions(ComponentOptions):
    """Options shared by both SVG renderers."""

    limits: Limits = Field(
        default_factory=lambda: Limits(wall_time_s=20, memory_mb=1024),
        description="limits of the render worker process; wall_time_s applies per render",
    )


class _SvgRenderer(Renderer):
    """Shared machinery: canvas fitting, the warm worker, and turning failures into
    Renderings. Subclasses only name the engine."""

    engine: ClassVar[str]
    #: The distribution of the engine's Python binding, for the version of a render that
    #: failed before the worker could report its own.
    binding: ClassVar[str]
    default_executor = "svg"
    Options = SvgRendererOptions
    options: SvgRendererOptions

    def __init__(
        self, options: ComponentOptions | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(options, context)
        self._worker: Worker | None = None
        self._release: weakref.finalize[Any, Any] | None = None
        self._lock = threading.Lock()
        self._version: str | None = None
        #: The worker's working folder (where a worker without per-job children writes).
        self._empty = Path()

    @property
    def engine_version(self) -> str:
        """The version the worker last reported (`cairosvg 2.9.1`, `resvg 0.48.1
        (resvg-py 0.5.0)`), or, before any render, the binding's installed version, so a
        failed render records one too."""
        if self._version is None:
            try:
                return f"{self.engine} (binding {self.binding} {metadata.version(self.binding)})"
            except metadata.PackageNotFoundError:
                return f"{self.engine} (binding {self.binding} not installed)"
        return self._version

    @property
    def worker(self) -> Worker:
        """The warm render process (created on first use; `Worker` restarts it after a
        crash or timeout)."""
        if self._worker is None:
            empty = Path(tempfile.mkdtemp(prefix=f"visioncode-{self.engine}-empty-"))
            self._empty = empty
            self._worker = Worker(
                WORKER_MODULE, self.options.limits, cwd=empty,
                env={EMPTY_DIR_ENV: str(empty), ENGINE_ENV: self.engine},
            )
            # Stop the worker and remove the folder on close(), when this renderer is
            # garbage-collected, or at interpreter exit, whichever comes first.
            self._release = weakref.finalize(self, _release, self._worker, empty)
        return self._worker

    def render(self, execution: Execution, spec: RenderSpec, workdir: Path) -> Rendering:
        start = time.perf_counter()
        width, height = spec.pixel_size
        # The canvas asked for, recorded on failures too (a second renderer or a metric
        # can then draw the same canvas without the pipeline's RenderSpec).
        canvas_asked = {"width": width, "height": height, "fit": spec.fit,
                        "background": spec.background}

        def failed(status: Literal["error", "timeout"], error: str, **meta: Any) -> Rendering:
            return Rendering(
                status=status, renderer=self.name, renderer_version=self.engine_version,
                error=error, duration_s=time.perf_counter() - start,
                metadata={"engine": self.engine, "canvas": canvas_asked, **meta},
            )

        if not execution.ok:
            return failed("error", f"nothing to render: {execution.status}")
        source = execution.artifacts.get("svg")
        if source is None:
            return failed("error", "nothing to render: the execution has no 'svg' artifact")
        background = spec.background
        if background is not None:
            try:
                rgba = ImageColor.getcolor(background, "RGBA")
            except ValueError:
                return failed("error", f"RenderSpec.background {spec.background!r} is not a "
                              "colour (use e.g. '#ffffff', 'white', 'rgb(0,0,0)' or null)")
            assert isinstance(rgba, tuple)
            # One spelling both libraries read the same way.
            background = "#{:02x}{:02x}{:02x}".format(*rgba[:3]) if rgba[3] == 255 else \
                f"rgba({rgba[0]},{rgba[1]},{rgba[2]},{rgba[3] / 255:.6g})"
        workdir = Path(workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        svg_path, png_path = workdir / "render.svg", workdir / "render.png"
        try:
            fitted, canvas = fit_to_canvas(
                Path(source).read_text(encoding="utf-8"), width, height, spec.fit
            )
        except (OSError, UnicodeDecodeError) as exc:
            return failed("error", f"cannot read the SVG artifact {source}: {exc}")
        except SanitizeError as exc:
            return failed("error", f"the SVG artifact is not well-formed: {exc.message}")
        svg_path.write_text(fitted, encoding="utf-8")
        request = RenderRequest(engine=self.engine, svg=fitted, width=width,
                                height=height, background=background).model_dump()
        png_path.unlink(missing_ok=True)
        try:
            with self._lock:
                worker = self.worker
                starts = worker.started
                raw = worker.call(request)
                cold = worker.started != starts
                if raw.get("ok") is not True:
                    failure = parse_answer(RenderFailure, raw)
                    return failed("error", f"{self.engine} failed ({failure.kind}): "
                                  f"{failure.error}")
                answer = parse_answer(RenderAnswer, raw)
                if (answer.width, answer.height) != (width, height):
                    return failed("error", f"{self.engine} answered a {answer.width}x"
                                  f"{answer.height} render for a {width}x{height} canvas")
                take_file(worker.job_dir or self._empty, answer.file, png_path,
                          max_bytes=max_png_bytes(width, height))
        except SandboxError as exc:
            if exc.reason == "timeout":
                return failed("timeout", f"{self.engine} did not finish within "
                              f"{self.options.limits.wall_time_s:g}s; the worker was killed")
            return failed("error", f"{self.engine} worker {exc.reason}: {exc}")
        self._version = answer.version or self._version
        return Rendering(
            status="ok", renderer=self.name, renderer_version=self.engine_version,
            images=[png_path], width=answer.width, height=answer.height,
            duration_s=time.perf_counter() - start,
            metadata={"engine": self.engine, "canvas": canvas_asked, "fit": spec.fit,
                      "background": spec.background, "svg": str(svg_path),
                      "view_box": list(canvas.view_box), "view_box_source": canvas.source,
                      # the library call alone, and whether this render started the worker
                      # (then duration_s includes the worker's imports)
                      "render_s": answer.render_s, "worker_started": cold},
        )

    def close(self) -> None:
        with self._lock:
            if self._release is not None:
                self._release()
            self._worker, self._release = None, None


def max_png_bytes(width: int, height: int) -> int:
    """The largest PNG accepted for a canvas: raw RGBA plus generous headroom (a PNG
    never needs more, so anything larger is not a render)."""
    return width * height * 4 + height + 1_048_576


def _release(worker: Worker, folder: Path) -> None:
    worker.close()
    shutil.rmtree(folder, ignore_errors=True)


class CairoSvgRenderer(_SvgRenderer):
    """Renders SVG with cairosvg (Cairo): the long-standing reference renderer for SVG
    benchmarks, kept warm in a sandboxed worker so one hostile or heavy document costs one
    sample, never the run."""

    engine = "cairosvg"
    binding = "CairoSVG"


class ResvgRenderer(_SvgRenderer):
    """Renders SVG with resvg (Rust): fast and spec-faithful, a second opinion on the same
    document. Runs in a sandboxed warm worker that refuses external references, since
    resvg would otherwise read local image files named by `<image href>`."""

    engine = "resvg"
    binding = "resvg_py"
