"""Fit an SVG onto the RenderSpec's canvas, the same way for every renderer.

Renderers disagree on how to size a document without `width`/`height`, with percentages,
or without a `viewBox`. Rather than rely on each library, the root `<svg>` is rewritten
before rendering so that every renderer gets an unambiguous instruction:

- `width`/`height` become the canvas size in pixels (`RenderSpec.pixel_size`);
- a `viewBox` always exists. A valid one (four numbers, positive width and height) is
  kept. Otherwise it is derived from the document's own `width`/`height` converted to
  user units (px; `pt`, `pc`, `mm`, `cm`, `in`, `em`, `ex` are converted at 96 dpi and a
  16 px font). A missing or percentage dimension defaults to the SVG/CSS default object
  size, 300 x 150, one dimension at a time: `width="100"` alone gives `0 0 100 150`.
  (The content's bounding box would be a better guess but needs a renderer to compute;
  this keeps both renderers identical and matches what a browser shows at that size.)
- without a `preserveAspectRatio` of its own, the document gets `xMidYMid meet` for
  `fit="contain"` (keep the aspect ratio, centre, letterbox) and `none` for
  `fit="stretch"` (scale each axis to fill);
- a document that declares its own `preserveAspectRatio` (and a viewBox) keeps it, as a
  browser shows it: the viewBox is placed by the document's rule inside the document's
  own viewport (its `width` x `height`, or the whole canvas when it has no size), and that
  viewport is then contained in the canvas (`contain`, centred) or stretched to it
  (`stretch`). The result is written as an equivalent `viewBox` with
  `preserveAspectRatio="none"`, so every renderer draws the same pixels;
- an explicit zero (or negative) `width` or `height` disables rendering in SVG: the
  document's content is dropped and the canvas stays empty (only the background).

Any `width`/`height` declared in the root's `style` attribute is removed so it cannot
override the attributes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .sanitize import parse

DEFAULT_SIZE = (300.0, 150.0)
_UNITS = {"": 1.0, "px": 1.0, "pt": 96 / 72, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54,
          "in": 96.0, "em": 16.0, "ex": 8.0}
_LENGTH = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Z%]*)\s*")
_STYLE_SIZE = re.compile(r"(?:^|;)\s*(?:width|height)\s*:[^;]*", re.IGNORECASE)
_ALIGNS = frozenset({"none"} | {f"x{x}Y{y}" for x in ("Min", "Mid", "Max")
                                for y in ("Min", "Mid", "Max")})


@dataclass(frozen=True)
class Canvas:
    """What `fit_to_canvas` decided: the viewBox used and where it came from
    (`viewBox`, `width/height`, `default`, `preserveAspectRatio` or `zero-size`)."""

    view_box: tuple[float, float, float, float]
    source: str


def _number_and_unit(value: str | None) -> float | None:
    """A length in user units (px) of any sign, or None for missing, percentage or
    invalid values."""
    if value is None:
        return None
    m = _LENGTH.fullmatch(value)
    if not m or m.group(2).lower() not in _UNITS:
        return None
    return float(m.group(1)) * _UNITS[m.group(2).lower()]


def parse_length(value: str | None) -> float | None:
    """A positive length in user units (px), or None for missing, percentage, invalid,
    zero or negative values."""
    px = _number_and_unit(value)
    return px if px is not None and px > 0 else None


def parse_view_box(value: str | None) -> tuple[float, float, float, float] | None:
    if not value:
        return None
    parts = [p for p in re.split(r"[\s,]+", value.strip()) if p]
    if len(parts) != 4:
        return None
    try:
        x, y, w, h = (float(p) for p in parts)
    except ValueError:
        return None
    if not (w > 0 and h > 0) or any(v != v or v in (float("inf"), float("-inf"))
                                     for v in (x, y, w, h)):
        return None
    return x, y, w, h


def parse_aspect_ratio(value: str | None) -> tuple[str, bool] | None:
    """(`align`, `slice`) of a `preserveAspectRatio` value, or None if absent or invalid."""
    if value is None:
        return None
    parts = value.split()
    if parts[:1] == ["defer"]:
        parts = parts[1:]
    if not parts or parts[0] not in _ALIGNS or len(parts) > 2:
        return None
    if len(parts) == 2 and parts[1] not in ("meet", "slice"):
        return None
    return parts[0], len(parts) == 2 and parts[1] == "slice"


def view_box_transform(
    vb: tuple[float, float, float, float], width: float, height: float, align: str,
    slice_: bool,
) -> tuple[float, float, float, float]:
    """(scale x, scale y, translate x, translate y) that maps user space to a `width` x
    `height` viewport by the SVG viewBox/preserveAspectRatio rule."""
    x, y, w, h = vb
    if align == "none":
        ax, ay = width / w, height / h
        return ax, ay, -x * ax, -y * ay
    s = (max if slice_ else min)(width / w, height / h)
    share = {"Min": 0.0, "Mid": 0.5, "Max": 1.0}
    tx = -x * s + (width - w * s) * share[align[1:4]]
    ty = -y * s + (height - h * s) * share[align[5:8]]
    return s, s, tx, ty


def _fmt(v: float) -> str:
    return f"{v:.6g}" if v != int(v) else str(int(v))


def _own_aspect_ratio(
    root: etree._Element, vb: tuple[float, float, float, float], par: tuple[str, bool],
    width: int, height: int, fit: str,
) -> tuple[float, float, float, float]:
    """The viewBox that, with `preserveAspectRatio="none"`, draws the document on the
    canvas as its own preserveAspectRatio places it (see the module docstring)."""
    dw, dh = parse_length(root.get("width")), parse_length(root.get("height"))
    if dw is None or dh is None:
        if fit == "stretch":
            return vb  # no own viewport: stretching the viewBox is stretching the document
        dw, dh = float(width), float(height)
    ax, ay, tx, ty = view_box_transform(vb, dw, dh, *par)
    if fit == "stretch":
        sx, sy, ox, oy = width / dw, height / dh, 0.0, 0.0
    else:
        sx = sy = min(width / dw, height / dh)
        ox, oy = (width - dw * sx) / 2, (height - dh * sy) / 2
    ax, ay, tx, ty = ax * sx, ay * sy, tx * sx + ox, ty * sy + oy
    return -tx / ax, -ty / ay, width / ax, height / ay


def fit_root(root: etree._Element, width: int, height: int, fit: str) -> Canvas:
    """Rewrite the root `<svg>` element in place (see the module docstring)."""
    vb = parse_view_box(root.get("viewBox"))
    par = parse_aspect_ratio(root.get("preserveAspectRatio"))
    own_w, own_h = (_number_and_unit(root.get(a)) for a in ("width", "height"))
    if (own_w is not None and own_w <= 0) or (own_h is not None and own_h <= 0):
        for child in list(root):
            root.remove(child)
        root.text = None
        canvas = Canvas((0.0, 0.0, float(width), float(height)), "zero-size")
        aspect = "none"
    elif vb is not None and par is not None:
        canvas = Canvas(_own_aspect_ratio(root, vb, par, width, height, fit),
                        "preserveAspectRatio")
        aspect = "none"
    else:
        if vb is not None:
            canvas = Canvas(vb, "viewBox")
        else:
            w, h = parse_length(root.get("width")), parse_length(root.get("height"))
            source = "width/height" if w is not None and h is not None else "default"
            canvas = Canvas((0.0, 0.0, w or DEFAULT_SIZE[0], h or DEFAULT_SIZE[1]), source)
        aspect = "none" if fit == "stretch" else "xMidYMid meet"
    root.set("viewBox", " ".join(_fmt(v) for v in canvas.view_box))
    root.set("width", str(width))
    root.set("height", str(height))
    root.set("preserveAspectRatio", aspect)
    style = root.get("style")
    if style is not None:
        cleaned = _STYLE_SIZE.sub("", style).strip(" ;")
        if cleaned:
            root.set("style", cleaned)
        else:
            del root.attrib["style"]
    return canvas


def fit_to_canvas(svg: str, width: int, height: int, fit: str) -> tuple[str, Canvas]:
    """The SVG text with its root fitted to a `width` x `height` pixel canvas."""
    root, _, _ = parse(svg)
    canvas = fit_root(root, width, height, fit)
    return etree.tostring(root, encoding="unicode"), canvas
