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
- `preserveAspectRatio` is `xMidYMid meet` for `fit="contain"` (keep the aspect ratio,
  centre, letterbox) and `none` for `fit="stretch"` (scale each axis to fill).

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


@dataclass(frozen=True)
class Canvas:
    """What `fit_to_canvas` decided: the viewBox used and where it came from."""

    view_box: tuple[float, float, float, float]
    source: str  # "viewBox", "width/height" or "default"


def parse_length(value: str | None) -> float | None:
    """A length in user units (px), or None for missing, percentage or invalid values."""
    if value is None:
        return None
    m = _LENGTH.fullmatch(value)
    if not m or m.group(2).lower() not in _UNITS:
        return None
    px = float(m.group(1)) * _UNITS[m.group(2).lower()]
    return px if px > 0 else None


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


def _fmt(v: float) -> str:
    return f"{v:.6g}" if v != int(v) else str(int(v))


def fit_root(root: etree._Element, width: int, height: int, fit: str) -> Canvas:
    """Rewrite the root `<svg>` element in place (see the module docstring)."""
    vb = parse_view_box(root.get("viewBox"))
    if vb is not None:
        canvas = Canvas(vb, "viewBox")
    else:
        w, h = parse_length(root.get("width")), parse_length(root.get("height"))
        source = "width/height" if w is not None and h is not None else "default"
        canvas = Canvas((0.0, 0.0, w or DEFAULT_SIZE[0], h or DEFAULT_SIZE[1]), source)
    root.set("viewBox", " ".join(_fmt(v) for v in canvas.view_box))
    root.set("width", str(width))
    root.set("height", str(height))
    root.set("preserveAspectRatio", "none" if fit == "stretch" else "xMidYMid meet")
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
