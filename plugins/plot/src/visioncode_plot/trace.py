"""Tracing matplotlib's drawing calls inside a chart job (child side).

What is recorded is what ChartMimic's low-level evaluators record (github.com/ChartMimic/
ChartMimic, `chart2code/utils/evaluator/`), gathered in one run instead of four:

- chart types (`chart_type_evaluator_prefix.py`, `log_function`): how many times each
  plotting function was called, counting only the outermost traced call (a `hist` that
  calls `bar` counts once, as `hist`); a `plot` on polar axes counts as its own type;
- colours (`color_evaluator_prefix.py`, `log_function` and `update_drawed_colors`): per
  drawn element its plotting function and its colour, read back from the element once the
  program has finished (so later `set_color` calls count), de-duplicated, and thinned with
  `color_utils.filter_color` when more than 10 remain;
- layout (`layout_evaluator.py`, `get_gridspec_layout_info`): per axes of the current
  figure its gridspec geometry and row/column span;
- text (`text_evaluator.py`, `_log_texts` with `use_axs=False` as in
  `tasks/code4evaluation.py`): every string the PDF renderer draws for the current figure
  after the ticks of every axes are removed;
- Plot2Code's texts (github.com/TencentARC/Plot2Code, `plot2code/eval/text_match_score.py`,
  `extract_texts`): every visible, non-empty `Text` artist of the current figure,
  lower-cased, with its position, and the figure's size in inches.

Names are `Class.method` (ChartMimic keys by source file and function name; the grouping is
the same). This module is imported in the warm worker and `install`ed in each forked job.
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Callable
from typing import Any

import matplotlib
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.axes._base import _process_plot_var_args  # type: ignore[attr-defined]
from matplotlib.figure import Figure
from matplotlib.image import NonUniformImage
from matplotlib.patches import Circle, Ellipse, PathPatch
from matplotlib.projections.polar import PolarAxes
from mpl_toolkits.mplot3d import Axes3D

#: Caps on what one job may report (a program drawing a million texts is not refused, its
#: trace is cut and `truncated` says so).
MAX_ITEMS = 5000
MAX_TEXT = 500
#: `Figure.savefig` as matplotlib defines it (the job replaces it before the program runs).
ORIGINAL_SAVEFIG = Figure.savefig

Reader = Callable[[Any], list[str]]
Args = tuple[Any, ...]
Kw = dict[str, Any]
#: Records the elements a traced call drew: (tracer, kind, args, kwargs, result).
Recorder = Callable[["Tracer", str, Args, Kw, Any], None]


def to_hex(color: Any) -> str | None:
    """`#RRGGBB` for any matplotlib colour, None for what is not one."""
    try:
        return mcolors.to_hex(color).upper()
    except (ValueError, TypeError):
        return None


def _hexes(values: Any) -> list[str]:
    out = []
    for value in list(values):
        h = to_hex(value)
        if h:
            out.append(h)
    return out


def _cmap_name(kwargs: dict[str, Any]) -> str | None:
    cmap = kwargs.get("cmap")
    if cmap is None:
        return None
    return cmap if isinstance(cmap, str) else str(getattr(cmap, "name", cmap))


class Tracer:
    """Counts plotting calls and keeps the elements whose colours are read at the end."""

    def __init__(self) -> None:
        self.types: dict[str, int] = {}
        # (type, first colour) -> (element, reader): the last element wins, as in
        # ChartMimic's `drawed_objects` dict
        self.elements: dict[tuple[str, str], tuple[Any, Reader]] = {}
        self._type_depth = 0
        self._color_depth = 0
        self.truncated = False

    # -- recording ----------------------------------------------------------------------

    def _element(self, kind: str, obj: Any, reader: Reader) -> None:
        colours = reader(obj)
        if not colours:
            return
        if len(self.elements) >= MAX_ITEMS:
            self.truncated = True
            return
        self.elements[(kind, colours[-1])] = (obj, reader)

    def _wrap(self, owner: type, attr: str, type_name: str | None,
              colour: Recorder | None) -> None:
        original = owner.__dict__.get(attr) or getattr(owner, attr)
        tracer = self

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            polar = bool(args) and isinstance(args[0], PolarAxes)
            count = type_name is not None and tracer._type_depth == 0
            paint = colour is not None and tracer._color_depth == 0
            if count and type_name is not None:
                name = f"PolarAxes.{attr}" if polar and attr == "plot" else type_name
                tracer.types[name] = tracer.types.get(name, 0) + 1
                tracer._type_depth += 1
            if paint:
                tracer._color_depth += 1
            try:
                result = original(*args, **kwargs)
            finally:
                if count and type_name is not None:
                    tracer._type_depth -= 1
                if paint:
                    tracer._color_depth -= 1
            if paint and colour is not None:
                kind = f"{owner.__name__}.{attr}"
                if polar and attr in ("plot", "scatter"):
                    kind = f"PolarAxes.{attr}"
                # a colour that cannot be read is not the program's error
                with contextlib.suppress(Exception):
                    colour(tracer, kind, args, kwargs, result)
            return result

        setattr(owner, attr, wrapper)

    # -- reading back -------------------------------------------------------------------

    def colours(self) -> list[str]:
        """`type--#RRGGBB` (or `type--cmapname`), as ChartMimic's `drawed_colors`."""
        found: set[str] = set()
        for (kind, _), (obj, reader) in self.elements.items():
            try:
                values = reader(obj)
            except Exception:
                continue
            found.update(f"{kind}--{v}" for v in values)
        ordered = sorted(found)
        if len(ordered) > 10:
            ordered = filter_colours(ordered)
        return ordered


def filter_colours(entries: list[str]) -> list[str]:
    """ChartMimic's `filter_color`: keep an entry only if its colour is at most 0.7 similar
    to every one kept before it (the list is sorted first, so the result is the same on
    every run; ChartMimic's order comes from a set)."""
    from .colours import similarity

    kept: list[str] = []
    for entry in entries:
        colour = entry.split("--", 1)[1]
        if all(similarity(colour, k.split("--", 1)[1]) <= 0.7 for k in kept):
            kept.append(entry)
    return kept


# -- what each traced function draws, and how its colour is read ----------------------------

def _single(reader: Reader) -> Recorder:
    def record(tracer: Tracer, kind: str, args: Args, kwargs: Kw, result: Any) -> None:
        tracer._element(kind, result, reader)
    return record


def _each(items: Callable[[Any], list[Any]], reader: Reader
          ) -> Recorder:
    def record(tracer: Tracer, kind: str, args: Args, kwargs: Kw, result: Any) -> None:
        for item in items(result):
            tracer._element(kind, item, reader)
    return record


def _constant(name: str) -> Reader:
    """A reader that always answers `name` (a colour map given by name)."""
    def read(_obj: Any) -> list[str]:
        return [name]
    return read


def _cmap_or(reader: Reader) -> Recorder:
    def record(tracer: Tracer, kind: str, args: Args, kwargs: Kw, result: Any) -> None:
        name = _cmap_name(kwargs)
        if name is not None:
            tracer._element(kind, result, _constant(name))
        else:
            tracer._element(kind, result, reader)
    return record


def _self_colour(tracer: Tracer, kind: str, args: Args, kwargs: Kw, result: Any) -> None:
    if args:
        tracer._element(kind, args[0], lambda o: _hexes([o.get_facecolor()]))


def _self_cmap(tracer: Tracer, kind: str, args: Args, kwargs: Kw, result: Any) -> None:
    if args:
        tracer._element(kind, args[0], lambda o: [o.get_cmap().name])


_line_colour: Reader = lambda line: _hexes([line.get_color()])  # noqa: E731
_face: Reader = lambda a: _hexes([a.get_facecolor()])  # noqa: E731
_first_face: Reader = lambda c: _hexes(list(c.get_facecolors())[:1])  # noqa: E731
_all_faces: Reader = lambda c: _hexes(c.get_facecolors())  # noqa: E731
_all_edges: Reader = lambda c: _hexes(c.get_edgecolors())  # noqa: E731
_cmap: Reader = lambda m: [m.get_cmap().name]  # noqa: E731


def _original_face(patch: Any) -> list[str]:
    """A bar's colour as the program gave it (ChartMimic reads `_original_facecolor`)."""
    colour = getattr(patch, "_original_facecolor", None)
    return _hexes([patch.get_facecolor() if colour is None else colour])


def _hist_patches(result: Any) -> list[Any]:
    patches = result[2]
    if patches and not hasattr(patches[0], "get_facecolor"):
        return [p for container in patches for p in container]
    return list(patches)


def _makeline(tracer: Tracer, kind: str, args: Args, kwargs: Kw, result: Any) -> None:
    tracer._element("Axes.plot-line", result[0], _line_colour)


def _lines(tracer: Tracer, kind: str, args: Args, kwargs: Kw, result: Any) -> None:
    for line in result:
        tracer._element(kind, line, _line_colour)


def _boxes(tracer: Tracer, kind: str, args: Args, kwargs: Kw, result: Any) -> None:
    for box in result["boxes"]:
        if isinstance(box, PathPatch):
            tracer._element(kind, box, _face)


def _surface(tracer: Tracer, kind: str, args: Args, kwargs: Kw, result: Any) -> None:
    name = _cmap_name(kwargs)
    if name is not None:
        tracer._element(kind, result, _constant(name))
    else:
        tracer._element(kind, result, _first_face)


def install(tracer: Tracer) -> None:
    """Wrap the plotting functions ChartMimic traces (see the module docstring)."""
    line_maker = "_make_line" if hasattr(_process_plot_var_args, "_make_line") else "_makeline"
    w = tracer._wrap
    w(_process_plot_var_args, line_maker, None, _makeline)
    w(Axes, "_fill_between_x_or_y", None, _single(_first_face))
    # type and colour
    w(Axes, "bar", "Axes.bar", _each(list, _original_face))
    w(Axes, "barh", "Axes.barh", None)
    w(Axes, "scatter", "Axes.scatter", _cmap_or(_first_face))
    w(Axes, "axhline", "Axes.axhline", _single(_line_colour))
    w(Axes, "axvline", "Axes.axvline", _single(_line_colour))
    w(Axes, "axvspan", "Axes.axvspan", _single(_face))
    w(Axes, "axhspan", "Axes.axhspan", _single(_face))
    w(Axes, "hlines", "Axes.hlines", _single(_all_edges))
    w(Axes, "vlines", "Axes.vlines", _single(_all_edges))
    w(Axes, "boxplot", "Axes.boxplot", _boxes)
    w(Axes, "violinplot", "Axes.violinplot", _each(lambda r: list(r["bodies"]), _first_face))
    w(Axes, "hist", "Axes.hist", _each(_hist_patches, _face))
    w(Axes, "quiver", "Axes.quiver", _single(_all_faces))
    w(Axes, "pie", "Axes.pie", _each(lambda r: list(r[0]), _face))
    w(Axes, "imshow", "Axes.imshow", _single(_cmap))
    w(Axes, "pcolor", "Axes.pcolor", _single(_cmap))
    w(Axes, "contour", "Axes.contour", _single(_cmap))
    w(Axes, "contourf", "Axes.contourf", _single(_cmap))
    w(Axes, "tripcolor", "Axes.tripcolor", _single(_cmap))
    w(Axes, "fill", "Axes.fill", _each(list, _face))
    w(Axes, "broken_barh", "Axes.broken_barh", _single(_all_faces))
    w(NonUniformImage, "__init__", "NonUniformImage.__init__", _self_cmap)
    w(Ellipse, "__init__", "Ellipse.__init__", _self_colour)
    w(Circle, "__init__", "Circle.__init__", _self_colour)
    # type only
    w(Axes, "plot", "Axes.plot", None)
    w(Axes, "errorbar", "Axes.errorbar", None)
    w(Axes, "violin", "Axes.violin", None)
    w(Axes, "fill_between", "Axes.fill_between", None)
    w(Axes, "fill_betweenx", "Axes.fill_betweenx", None)
    # colour only: polar plots (their type is counted by the Axes.plot wrapper)
    w(PolarAxes, "plot", None, _lines)
    # 3D axes
    w(Axes3D, "scatter", "Axes3D.scatter", _cmap_or(_all_faces))
    w(Axes3D, "plot", "Axes3D.plot", _lines)
    w(Axes3D, "plot_surface", "Axes3D.plot_surface", _surface)
    w(Axes3D, "bar3d", "Axes3D.bar3d", _single(_first_face))
    w(Axes3D, "bar", "Axes3D.bar", _each(list, _face))
    w(Axes3D, "add_collection3d", "Axes3D.add_collection3d", _single(_all_faces))


# -- what is read from the figures once the program is done ----------------------------------

def layout(fig: Figure) -> list[dict[str, int]]:
    """ChartMimic's `get_gridspec_layout_info`: per axes with a subplot spec."""
    found = []
    for ax in fig.axes:
        spec = ax.get_subplotspec()
        if spec is None:
            continue
        nrows, ncols = spec.get_gridspec().get_geometry()
        found.append({"nrows": nrows, "ncols": ncols,
                      "row_start": spec.rowspan.start, "row_end": spec.rowspan.stop - 1,
                      "col_start": spec.colspan.start, "col_end": spec.colspan.stop - 1})
    return found


def plot2code_texts(fig: Figure) -> list[tuple[str, float, float]]:
    """Plot2Code's `extract_texts`: visible non-empty Text artists, lower-cased."""
    found: list[tuple[str, float, float]] = []

    def walk(artist: Any) -> None:
        if len(found) >= MAX_ITEMS:
            return
        if isinstance(artist, matplotlib.text.Text) and artist.get_visible():
            text = artist.get_text().strip().lower()
            if text:
                x, y = artist.get_position()
                try:
                    found.append((text[:MAX_TEXT], float(x), float(y)))
                except (TypeError, ValueError):
                    found.append((text[:MAX_TEXT], 0.0, 0.0))
        for child in artist.get_children():
            walk(child)

    walk(fig)
    return found


def drawn_texts(fig: Figure) -> list[str]:
    """ChartMimic's text log: remove every axes' ticks, save the figure as PDF, and keep
    every string the PDF renderer draws. Changes the figure (call it last)."""
    from matplotlib.backends.backend_pdf import RendererPdf

    for ax in fig.get_axes():
        ax.set_xticks([])
        ax.set_yticks([])
    drawn: list[str] = []
    original = RendererPdf.draw_text

    def draw_text(self: Any, gc: Any, x: float, y: float, s: str, *args: Any,
                  **kwargs: Any) -> Any:
        if len(drawn) < MAX_ITEMS:
            drawn.append(str(s)[:MAX_TEXT])
        return original(self, gc, x, y, s, *args, **kwargs)

    RendererPdf.draw_text = draw_text  # type: ignore[method-assign]
    try:
        ORIGINAL_SAVEFIG(fig, io.BytesIO(), format="pdf")
    finally:
        RendererPdf.draw_text = original  # type: ignore[method-assign]
    return drawn


def collect(tracer: Tracer | None, figure_numbers: list[int],
            current_number: int | None) -> dict[str, Any]:
    """The trace of a finished program: per figure its layout, and for the current figure
    (`plt.gcf()` when the program ended) its layout and the texts of both benchmarks."""
    figures = [plt.figure(n) for n in figure_numbers]
    current = plt.figure(current_number) if current_number is not None else None
    trace: dict[str, Any] = {
        "types": dict(tracer.types) if tracer else {},
        "colors": tracer.colours() if tracer else [],
        "layouts": [layout(f) for f in figures],
        "layout": layout(current) if current is not None else [],
        "plot2code_texts": plot2code_texts(current) if current is not None else [],
        "size_inches": list(map(float, current.get_size_inches())) if current else None,
        "texts": [],
        "truncated": bool(tracer and tracer.truncated),
    }
    if current is not None:
        trace["texts"] = drawn_texts(current)
    return trace
