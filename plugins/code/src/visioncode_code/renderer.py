"""The `code-image` renderer: any execution's program text drawn as a highlighted picture.

It reads `execution.program` (the `text` executor's, or any other executor's: SVG,
Manim, HTML and chart programs render as code too), draws it with Pygments in a warm
sandboxed worker (`draw` says how: CodeOCR's settings by default, the wrapping rule, the
line boxes), and returns a PNG with its dpi recorded.

`size = "natural"` (default) keeps the image at the size the text needs (the RenderSpec's
width and height are not used: a code image's size is its content's); `size = "spec"`
fits it onto the RenderSpec's canvas (contain, centred, the spec's background), and the
line boxes are scaled and shifted with it.

Metadata: `lines` (per source line its number, rows and box `[left, top, right, bottom]`
in image pixels), `language`, `style`, `font`, `font_size`, `downscale`, `line_height`,
`char_width`, `rows`, `full_size` (before the downscale), `dpi`.
"""

from __future__ import annotations

import base64
import binascii
import io
import queue
import shutil
import tempfile
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

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
)

WORKER_MODULE = "visioncode_code.worker"


class CodeImageOptions(ComponentOptions):
    language: str = Field("auto", min_length=1, description="Pygments lexer alias "
                          "(`python`, `javascript`, ...); `auto`: the executor's "
                          "metadata['language'] if any, else guessed from the text")
    style: str = Field("vscode-light", min_length=1, description="Pygments style; "
                       "`vscode-light` is VS Code's Light+ colours (CodeOCR's theme)")
    font: str = Field("DejaVu Sans Mono", min_length=1, description="monospace font "
                      "family (DejaVu Sans Mono, Liberation Mono) or the path of a .ttf")
    font_size: int = Field(40, ge=4, le=400, description="font size in pixels at full size "
                           "(CodeOCR: 40)")
    line_spacing: float = Field(1.3, ge=1.0, le=4.0, description="line height as a "
                                "multiple of the font size")
    margin: int = Field(40, ge=0, le=2000, description="pixels around the text at full "
                        "size")
    wrap_columns: int = Field(100, ge=0, le=10_000, description="a line longer than this "
                              "many characters is cut into rows of exactly this many "
                              "(0: never wrap)")
    tab_size: int = Field(4, ge=1, le=16, description="columns per tab stop")
    line_numbers: bool = Field(False, description="draw line numbers in a gutter")
    downscale: Literal[1, 2, 4, 8] = Field(1, description="shrink the full-size image by "
                                           "this factor (CodeOCR's 1x/2x/4x/8x)")
    dpi: int = Field(300, ge=1, le=2400, description="resolution recorded in the PNG "
                     "(CodeOCR: 300)")
    size: Literal["natural", "spec"] = Field("natural", description="`natural`: the size "
                                             "the text needs; `spec`: fitted onto the "
                                             "RenderSpec canvas")
    background: Literal["theme", "spec"] = Field("theme", description="`theme`: the "
                                                 "style's background; `spec`: the "
                                                 "RenderSpec's (None: transparent)")
    max_chars: int = Field(200_000, ge=1, description="longest text drawn; a longer one "
                           "is a render error")
    max_pixels: int = Field(64_000_000, ge=10_000, description="largest full-size image")
    workers: int = Field(1, ge=1, le=16, description="warm sandboxed drawing workers")
    limits: Limits = Field(default_factory=lambda: Limits(wall_time_s=30, memory_mb=2048,
                                                          processes=32),
                           description="per drawing: wall time, memory")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LineBox(_Strict):
    line: int = Field(ge=1)
    rows: int = Field(ge=1)
    text: str = Field(max_length=2000)
    box: list[float] = Field(min_length=4, max_length=4)


class DrawMeta(_Strict):
    language: str
    style: str
    font: str
    font_size: int
    downscale: int
    wrap_columns: int
    tab_size: int
    line_height: float
    char_width: float
    rows: int
    full_size: list[int] = Field(min_length=2, max_length=2)
    lines: list[LineBox]


class DrawAnswer(_Strict):
    """The drawing worker's answer: the PNG (base64) and its layout, or why not."""

    ok: bool
    png: str | None = None
    meta: DrawMeta | None = None
    kind: str | None = None
    error: str | None = Field(None, max_length=20_000)


def _version() -> str:
    try:
        return f"pygments {metadata.version('pygments')}, pillow {metadata.version('pillow')}"
    except metadata.PackageNotFoundError:
        return "pygments"


class CodeImageRenderer(Renderer):
    """Draws program text as a highlighted image with each line's box recorded."""

    default_executor = "text"
    Options = CodeImageOptions
    options: CodeImageOptions

    def __init__(self, options: ComponentOptions | None = None,
                 context: ComponentContext | None = None) -> None:
        super().__init__(options, context)
        self._lock = threading.Lock()
        self._free: queue.Queue[Worker] | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._release: weakref.finalize[Any, Any] | None = None

    def _pool(self) -> tuple[queue.Queue[Worker], ThreadPoolExecutor]:
        with self._lock:
            if self._free is None or self._threads is None:
                o = self.options
                self._free = queue.Queue()
                self._threads = ThreadPoolExecutor(o.workers, thread_name_prefix="code-image")
                members, folders = [], []
                for _ in range(o.workers):
                    folder = Path(tempfile.mkdtemp(prefix="visioncode-code-"))
                    worker = Worker(WORKER_MODULE, o.limits, cwd=folder)
                    members.append(worker)
                    folders.append(folder)
                    self._free.put(worker)
                self._release = weakref.finalize(self, _release, members, folders,
                                                 self._threads)
            return self._free, self._threads

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        free, threads = self._pool()

        def go() -> dict[str, Any]:
            worker = free.get()
            try:
                return worker.call(request)
            finally:
                free.put(worker)

        return threads.submit(go).result()

    def draw_options(self, execution: Execution, spec: RenderSpec) -> dict[str, Any]:
        o = self.options
        language = o.language
        if language == "auto" and isinstance(execution.metadata.get("language"), str):
            language = execution.metadata["language"]
        return {"language": language, "style": o.style, "font": o.font,
                "font_size": o.font_size, "line_spacing": o.line_spacing,
                "margin": o.margin, "wrap_columns": o.wrap_columns, "tab_size": o.tab_size,
                "line_numbers": o.line_numbers, "downscale": o.downscale,
                "max_pixels": o.max_pixels,
                "background": spec.background if o.background == "spec" else "theme"}

    def render(self, execution: Execution, spec: RenderSpec, workdir: Path) -> Rendering:
        started = time.perf_counter()

        def failed(status: Literal["error", "timeout"], message: str) -> Rendering:
            return Rendering(status=status, renderer=self.name, renderer_version=_version(),
                             error=message, duration_s=time.perf_counter() - started)

        text = execution.program
        if not text:
            return failed("error", "nothing to render: the execution has no program text")
        if len(text) > self.options.max_chars:
            return failed("error", f"the program is {len(text)} characters, over "
                          f"max_chars = {self.options.max_chars}")
        try:
            answer = self._call({"text": text, "options": self.draw_options(execution, spec),
                                 "dpi": self.options.dpi})
        except SandboxError as exc:
            return failed("timeout" if exc.reason == "timeout" else "error",
                          f"drawing the code failed: {exc}")
        try:
            parsed = parse_answer(DrawAnswer, answer)
        except SandboxError as exc:
            return failed("error", str(exc))
        if not parsed.ok or parsed.png is None or parsed.meta is None:
            return failed("error", (parsed.error or "drawing the code failed")[:2000])
        try:
            data = base64.b64decode(parsed.png, validate=True)
            with Image.open(io.BytesIO(data)) as im:
                if im.format != "PNG":
                    raise ValueError("not a PNG")
                image = im.convert("RGBA" if "A" in im.getbands() else "RGB")
        except (ValueError, OSError, binascii.Error, Image.DecompressionBombError) as exc:
            return failed("error", f"the drawing worker's image was unusable: {exc}")
        meta = parsed.meta.model_dump()
        lines = meta["lines"]
        if self.options.size == "spec":
            image, lines = _fit(image, lines, spec, self.options.background == "spec")
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        out = workdir / "code.png"
        image.save(out, format="PNG", dpi=(self.options.dpi,) * 2)
        meta.update(lines=lines, dpi=self.options.dpi, size=self.options.size)
        return Rendering(status="ok", renderer=self.name, renderer_version=_version(),
                         images=[out], width=image.width, height=image.height,
                         duration_s=time.perf_counter() - started, metadata=meta)

    def close(self) -> None:
        with self._lock:
            if self._release is not None:
                self._release()
            self._free, self._threads, self._release = None, None, None


def _fit(image: Image.Image, lines: list[dict[str, Any]], spec: RenderSpec,
         spec_background: bool) -> tuple[Image.Image, list[dict[str, Any]]]:
    width, height = spec.pixel_size
    s = min(width / image.width, height / image.height)
    size = (max(1, round(image.width * s)), max(1, round(image.height * s)))
    dx, dy = (width - size[0]) // 2, (height - size[1]) // 2
    if spec.background is None and spec_background:
        canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    else:
        canvas = Image.new("RGB", (width, height), spec.background or "#ffffff")
    scaled = image.resize(size, Image.Resampling.LANCZOS)
    canvas.paste(scaled, (dx, dy), scaled if scaled.mode == "RGBA" else None)
    moved = [{**line, "box": [round(line["box"][0] * s + dx, 2), round(line["box"][1] * s + dy, 2),
                              round(line["box"][2] * s + dx, 2),
                              round(line["box"][3] * s + dy, 2)]} for line in lines]
    return canvas, moved


def _release(workers: list[Worker], folders: list[Path], threads: ThreadPoolExecutor) -> None:
    for worker in workers:
        worker.close()
    threads.shutdown(wait=False)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
