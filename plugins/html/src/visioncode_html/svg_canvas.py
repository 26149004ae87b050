"""Fitting an SVG document onto the RenderSpec canvas for `chromium-svg`, by the same
rules the SVG plugin applies before cairosvg and resvg (so the three are swappable):

- `width`/`height` become the canvas size (CSS pixels; the device scale factor brings
  them to `RenderSpec.pixel_size`);
- a valid `viewBox` is kept; otherwise one is made from the document's `width`/`height`
  in user units (px, pt, pc, mm, cm, in, em, ex at 96 dpi and a 16 px font), a missing or
  percentage dimension defaulting to 300 x 150 one dimension at a time;
- `preserveAspectRatio` is `xMidYMid meet` for `fit="contain"`, `none` for `stretch`,
  unless the document declares its own (with a viewBox): then the viewBox is placed by the
  document's rule inside the document's own viewport (its width x height, or the canvas
  when it has none), that viewport is contained in (or stretched to) the canvas, and the
  result is written as an equivalent viewBox with `none`;
- an explicit zero or negative `width`/`height` renders nothing (the content is dropped);
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


_ALIGNS = {"none"} | {f"x{x}Y{y}" for x in ("Min", "Mid", "Max") for y in ("Min", "Mid", "Max")}


def _own_view_box(root: etree._Element, vb: tuple[float, float, float, float], width: int,
                  height: int, fit: str) -> tuple[float, float, float, float] | None:
    """The viewBox that, with preserveAspectRatio="none", draws the document as its own
    preserveAspectRatio places it; None when it declares none (or an invalid one)."""
    parts = (root.get("preserveAspectRatio") or "").split()
    parts = parts[1:] if parts[:1] == ["defer"] else parts
    if not parts or parts[0] not in _ALIGNS or len(parts) > 2 or parts[1:] not in (
            [], ["meet"], ["slice"]):
        return None
    align, slice_ = parts[0], parts[1:] == ["slice"]
    dw, dh = _length(root.get("width")), _length(root.get("height"))
    if dw is None or dh is None:
        if fit == "stretch":
            return vb
        dw, dh = float(width), float(height)
    x, y, w, h = vb
    if align == "none":
        ax, ay = dw / w, dh / h
        tx, ty = -x * ax, -y * ay
    else:
        ax = ay = (max if slice_ else min)(dw / w, dh / h)
        share = {"Min": 0.0, "Mid": 0.5, "Max": 1.0}
        tx = -x * ax + (dw - w * ax) * share[align[1:4]]
        ty = -y * ay + (dh - h * ay) * share[align[5:8]]
    if fit == "stretch":
        sx, sy, ox, oy = width / dw, height / dh, 0.0, 0.0
    else:
        sx = sy = min(width / dw, height / dh)
        ox, oy = (width - dw * sx) / 2, (height - dh * sy) / 2
    ax, ay, tx, ty = ax * sx, ay * sy, tx * sx + ox, ty * sy + oy
    return -tx / ax, -ty / ay, width / ax, height / ay


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
    aspect = "none" if fit == "stretch" else "xMidYMid meet"
    sizes = [_LENGTH.fullmatch(root.get(a) or "") for a in ("width", "height")]
    if any(m and m.group(2).lower() in _UNITS and float(m.group(1)) <= 0 for m in sizes):
        for child in list(root):
            root.remove(child)
        root.text = None
        vb, source, aspect = (0.0, 0.0, float(width), float(height)), "zero-size", "none"
    elif vb is not None and (own := _own_view_box(root, vb, width, height, fit)) is not None:
        vb, source, aspect = own, "preserveAspectRatio", "none"
    elif vb is not None:
        source = "viewBox"
    else:
        w, h = _length(root.get("width")), _length(root.get("height"))
        source = "width/height" if w is not None and h is not None else "default"
        vb = (0.0, 0.0, w or DEFAULT_SIZE[0], h or DEFAULT_SIZE[1])
    root.set("viewBox", " ".join(_fmt(v) for v in vb))
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
    return etree.tostring(root, encoding="unicode"), vb, source
