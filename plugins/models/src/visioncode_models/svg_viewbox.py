"""Giving vtracer's SVG a viewBox.

vtracer writes `<svg width="W" height="H">` without a viewBox. Without one, a renderer
asked for a canvas of another size draws the paths at their pixel coordinates and crops
or pads them instead of scaling; with `viewBox="0 0 W H"` the drawing fits any canvas
(RenderSpec `fit = contain|stretch`) the way a model-written SVG would.
"""

from __future__ import annotations

import re

_SVG_OPEN = re.compile(r"<svg\b(?P<attrs>[^>]*)>", re.IGNORECASE)
_HAS_VIEWBOX = re.compile(r"\sviewBox\s*=", re.IGNORECASE)


def ensure_viewbox(svg: str, width: int, height: int) -> str:
    """Return `svg` with `viewBox="0 0 width height"` on its root element, unless it has
    a viewBox already. Text without an `<svg` tag is returned unchanged."""
    match = _SVG_OPEN.search(svg)
    if match is None or _HAS_VIEWBOX.search(match.group("attrs")):
        return svg
    insert_at = match.start("attrs")
    return f'{svg[:insert_at]} viewBox="0 0 {width} {height}"{svg[insert_at:]}'
