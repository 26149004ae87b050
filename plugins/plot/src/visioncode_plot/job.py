"""One chart job, inside the forked job process: run the program, save its figures, trace.

The program runs with the Agg backend (switching to another backend is ignored and
noted), `plt.show()`, `Figure.show()` and `plt.pause()` return at once, `input()` answers
an empty line, and `savefig` calls are recorded, not obeyed: once the program is done the
job saves every open figure itself, into its own folder, at the canvas it was asked for.
That is what makes the output independent of where and in what format the program meant
to save, and what stops a program from writing over anything with `savefig`.
"""

from __future__ import annotations

import builtins
import math
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from . import trace as tracing

PROGRAM_NAME = "program.py"


def fixed_style(background: str | None) -> None:
    """matplotlib's defaults, the bundled DejaVu fonts, and the canvas background as the
    figure's default face colour (a program that sets its own keeps it)."""
    matplotlib.rcdefaults()
    matplotlib.rcParams.update({
        "font.family": ["sans-serif"],
        "font.sans-serif": ["DejaVu Sans"],
        "font.serif": ["DejaVu Serif"],
        "font.monospace": ["DejaVu Sans Mono"],
        "mathtext.fontset": "dejavusans",
        "svg.hashsalt": "visioncode",
        "figure.max_open_warning": 0,
    })
    if background is None:
        matplotlib.rcParams["figure.facecolor"] = "none"
        matplotlib.rcParams["savefig.transparent"] = True
    else:
        matplotlib.rcParams["figure.facecolor"] = background
        matplotlib.rcParams["savefig.facecolor"] = "auto"


def _patch(notes: list[str], savefig_calls: list[dict[str, Any]]) -> None:
    def show(*args: Any, **kwargs: Any) -> None:
        if "show() ignored" not in notes:
            notes.append("show() ignored")

    def pause(interval: float = 0, *args: Any, **kwargs: Any) -> None:
        if "pause() ignored" not in notes:
            notes.append("pause() ignored")

    def savefig(self: Figure, fname: Any = None, *args: Any, **kwargs: Any) -> None:
        if len(savefig_calls) < 50:
            savefig_calls.append({"target": str(fname)[:200], "options": sorted(kwargs)})

    def use(backend: str, *args: Any, **kwargs: Any) -> None:
        if str(backend).lower() != "agg":
            notes.append(f"backend {backend!r} ignored (Agg is used)")

    def ask(prompt: Any = "") -> str:
        if "input() answered with an empty line" not in notes:
            notes.append("input() answered with an empty line")
        return ""

    plt.show = show
    Figure.show = show  # type: ignore[method-assign]
    plt.pause = pause
    Figure.savefig = savefig  # type: ignore[method-assign]
    matplotlib.use = use
    plt.switch_backend = use  # type: ignore[assignment]
    builtins.input = ask


def _program_line(tb: Any) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == PROGRAM_NAME:
            line = lineno
    return line


def _error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, SyntaxError):
        return {"kind": "SyntaxError", "message": str(exc.msg), "line": exc.lineno,
                "traceback": None}
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == PROGRAM_NAME]
    text = "".join(traceback.format_list(frames)) + \
        "".join(traceback.format_exception_only(type(exc), exc))
    return {"kind": type(exc).__name__, "message": str(exc)[:2000],
            "line": _program_line(exc.__traceback__), "traceback": text[-4000:]}


def canvas_size(fig: Figure, canvas: dict[str, Any] | None,
                max_pixels: int) -> tuple[float, tuple[int, int], tuple[int, int] | None]:
    """(dpi, pixels of the figure, size of the padded canvas or None).

    No canvas: the figure's own size and dpi (scaled down to `max_pixels` if larger).
    `stretch`: the figure is resized to fill the canvas at its own dpi. `contain`: the
    figure keeps its size in inches and its aspect, the dpi is chosen so it fits the
    canvas, and it is centred on the canvas."""
    w_in, h_in = (float(v) for v in fig.get_size_inches())
    if canvas is None:
        dpi = float(fig.dpi)
        pixels = w_in * h_in * dpi * dpi
        if pixels > max_pixels:
            dpi *= math.sqrt(max_pixels / pixels)
        return dpi, (round(w_in * dpi), round(h_in * dpi)), None
    width, height = int(canvas["width"]), int(canvas["height"])
    if canvas.get("fit") == "stretch":
        dpi = float(fig.dpi)
        fig.set_size_inches(width / dpi, height / dpi)
        return dpi, (width, height), (width, height)
    dpi = min(width / w_in, height / h_in)
    return dpi, (min(width, round(w_in * dpi)), min(height, round(h_in * dpi))), (width, height)


def _write_new(path: Path, image: Any) -> None:
    """Write the PNG as a new file: whatever the program left at that name (a link to a
    file elsewhere, say) is removed first, and the file is created without following
    links, so the job's own save can only ever write inside the job folder."""
    import io

    data = io.BytesIO()
    image.save(data, format="PNG")
    if os.path.lexists(path):
        os.unlink(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as sink:
        sink.write(data.getvalue())


def save_figure(fig: Figure, path: Path, canvas: dict[str, Any] | None,
                max_pixels: int) -> dict[str, Any]:
    """Save `fig` as PNG at the canvas (see `canvas_size`); returns what was saved."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    dpi, (w, h), padded = canvas_size(fig, canvas, max_pixels)
    agg = FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    agg.draw()
    rgba = agg.buffer_rgba()
    image = Image.frombuffer("RGBA", (int(rgba.shape[1]), int(rgba.shape[0])), bytes(rgba),
                             "raw", "RGBA", 0, 1)
    if image.size != (w, h):
        image = image.resize((w, h), Image.Resampling.LANCZOS)
    if padded is not None and padded != image.size:
        background = canvas.get("background") if canvas else None
        sheet = Image.new("RGBA", padded, background or (0, 0, 0, 0))
        sheet.alpha_composite(image, ((padded[0] - w) // 2, (padded[1] - h) // 2))
        image = sheet
    if canvas is not None and canvas.get("background"):
        flat = Image.new("RGBA", image.size, canvas["background"])
        flat.alpha_composite(image)
        image = flat.convert("RGB")
    _write_new(path, image)
    return {"file": path.name, "width": image.size[0], "height": image.size[1],
            "dpi": round(dpi, 4), "size_inches": [round(float(v), 4)
                                                  for v in fig.get_size_inches()],
            "axes": len(fig.axes)}


def run(request: dict[str, Any], job_dir: Path) -> dict[str, Any]:
    """Run the request's program and report figures, trace, notes (a JSON-able dict)."""
    canvas = request.get("canvas")
    fixed_style(canvas.get("background") if canvas else "#ffffff")
    notes: list[str] = []
    savefig_calls: list[dict[str, Any]] = []
    _patch(notes, savefig_calls)
    tracer = tracing.Tracer() if request.get("trace") else None
    if tracer is not None:
        tracing.install(tracer)
    program = request["program"]
    try:
        code = compile(program, PROGRAM_NAME, "exec")
    except SyntaxError as exc:
        return {"ok": False, "status": "syntax_error", "error": _error(exc)}
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": PROGRAM_NAME,
                                 "__builtins__": builtins}
    sys.argv = [PROGRAM_NAME]
    try:
        exec(code, namespace)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            return {"ok": False, "status": "error", "error": {
                "kind": "SystemExit", "message": f"the program exited with {exc.code!r}",
                "line": _program_line(exc.__traceback__), "traceback": None}}
        notes.append("the program called exit(); the figures drawn so far are kept")
    except MemoryError:
        return {"ok": False, "status": "memory", "error": {
            "kind": "MemoryError", "message": "the program exceeded its memory limit",
            "line": None, "traceback": None}}
    except BaseException as exc:
        return {"ok": False, "status": "error", "error": _error(exc)}
    numbers = sorted(plt.get_fignums())
    current = int(plt.gcf().number) if numbers else None
    if not numbers:
        return {"ok": False, "status": "no_figure", "error": {
            "kind": "NoFigure", "line": None, "traceback": None,
            "message": "the program drew no figure (nothing was plotted with matplotlib)"}}
    max_figures = int(request.get("max_figures", 8))
    if len(numbers) > max_figures:
        notes.append(f"{len(numbers)} figures drawn; the first {max_figures} are kept")
    figures = []
    if request.get("save", True):
        for i, number in enumerate(numbers[:max_figures], 1):
            figures.append({"number": number, **save_figure(
                plt.figure(number), job_dir / f"figure-{i}.png", canvas,
                int(request.get("max_pixels", 16_000_000)))})
    else:
        figures = [{"number": n, "axes": len(plt.figure(n).axes),
                    "size_inches": [float(v) for v in plt.figure(n).get_size_inches()]}
                   for n in numbers[:max_figures]]
    answer: dict[str, Any] = {"ok": True, "status": "ok", "figures": figures, "notes": notes,
                              "savefig_calls": savefig_calls, "current_figure": current}
    if tracer is not None:
        try:
            answer["trace"] = tracing.collect(tracer, numbers[:max_figures], current)
        except Exception as exc:
            answer["notes"].append(f"tracing failed: {type(exc).__name__}: {exc}"[:300])
    return answer
