"""Fitting an SVG document onto the RenderSpec canvas for `chromium-svg`, by the same
rules the SVG plugin applies before cairosvg and resvg (so the three are swappable):

- `width`/`height` become the canvas size (CSS pixels; the device scale factor brings
  them to `RenderSpec.pixel_size`);
- a valid `viewBox` is kept; otherwise one is made from the document's `width`/`height`
  in user units (px, pt, pc, mm, cm, in, em, ex at 96 dpi and a 16 px font), a missing or
  percentage dimension defaulting to 300 x 150 one dimension at a time;
- `preserveAspectRatio` is `xMidYMid meet` for `fit="contain"`, `none` for `stretch`;
- `width`/`height` in the root's `style` are removed.

The document is parsed without entity expansion, DTD loading or network access.
"""

from __future__ import annotations

import re

from lxml import etree

DEFAULT_SIZE = (300.0, 150.0)
_UNITS = {"": 1.0, "px": 1.0, "pt": 96 / 72, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54,
          "in": 96.0, "em": 16.0, "ex": 8.0}
_LENGTH = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Z%]*)\s*")
_STYLE_SIZE = re.compile(r"(?:^|;)\s*(?:width|height)\s*:[^;]*", re.IGNORECASE)


class SvgCanvasError(ValueError):
    """The SVG artifact cannot be parsed."""


def _length(value: str | None) -> float | None:
    if value is None:
        return None
    m = _LENGTH.fullmatch(value)
    if not m or m.group(2).lower() not in _UNITS:
        return None
    px = float(m.group(1)) * _UNITS[m.group(2).lower()]
    return px if px > 0 else None


def _view_box(value: str | None) -> tuple[float, float, float, float] | None:
    parts = [p for p in re.split(r"[\s,]+", (value or "").strip()) if p]
    if len(parts) != 4:
        return None
    try:
        x, y, w, h = (float(p) for p in parts)
    except ValueError:
        return None
    finite = all(v == v and abs(v) != float("inf") for v in (x, y, w, h))
    return (x, y, w, h) if finite and w > 0 and h > 0 else None


def _fmt(v: float) -> str:
    return f"{v:.6g}" if v != int(v) else str(int(v))


def fit_svg(svg: str, width: int, height: int, fit: str) -> tuple[str, tuple[float, ...], str]:
    """(fitted SVG text, the viewBox used, where it came from)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=False)
    try:
        root = etree.fromstring(svg.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise SvgCanvasError(f"not well-formed XML: {exc}") from None
    if etree.QName(root).localname != "svg":
        raise SvgCanvasError(f"the root element is <{etree.QName(root).localname}>, not <svg>")
    vb = _view_box(root.get("viewBox"))
    if vb is not None:
        source = "viewBox"
    else:
        w, h = _length(root.get("width")), _length(root.get("height"))
        source = "width/height" if w is not None and h is not None else "default"
        vb = (0.0, 0.0, w or DEFAULT_SIZE[0], h or DEFAULT_SIZE[1])
    root.set("viewBox", " ".join(_fmt(v) for v in vb))
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
    return etree.tostring(root, encoding="unicode"), vb, source
