"""Child side of the SVG renderers: `python -m visioncode_svg.render_worker`.

Started by `visioncode.Worker` (own session, rlimits, no network) and kept warm: cairosvg
and resvg are imported once. One JSON request per line:

    {"engine": "cairosvg" | "resvg", "svg": "/abs/render.svg", "out": "/abs/render.png",
     "width": 512, "height": 512, "background": "#ffffff" | null}

answered with `{"ok": true, "width": ..., "height": ..., "version": "cairosvg 2.9.1",
"render_s": 0.004}` (`render_s`: the library call alone, for timing comparisons)
(or, through `visioncode.serve`, `{"ok": false, "kind": ..., "error": ...}`).

The SVG should already be sanitised and fitted to the canvas, but this process does not
trust that: before rendering it refuses any document with entity declarations, any href
other than a `#fragment` or `data:` URL (resvg reads local files named by `<image href>`,
absolute paths included), and CSS `@import` or non-fragment `url()`. cairosvg runs with
`unsafe=False` and a URL fetcher that serves only `data:` URLs; resvg gets an empty
`resources_dir`. The background is composited here with Pillow, identically for both
engines, and the PNG is checked to be exactly the requested size.
"""

from __future__ import annotations

import atexit
import io
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import cairosvg
import resvg_py
from cairosvg.surface import PNGSurface
from cairosvg.url import fetch as _fetch
from lxml import etree
from PIL import Image, ImageColor

from visioncode import serve

from .sanitize import SanitizeError, clean_css, is_href, local_name, parse

CAIROSVG_VERSION = f"cairosvg {cairosvg.__version__}"
RESVG_VERSION = f"resvg {resvg_py.__resvg_version__} (resvg-py {resvg_py.__version__})"
EMPTY_DIR_ENV = "VISIONCODE_SVG_EMPTY_DIR"  # same name in renderers.py


class RefusedError(Exception):
    """The document references something outside itself; it is not rendered."""


def _empty_dir() -> str:
    given = os.environ.get(EMPTY_DIR_ENV)
    if given and Path(given).is_dir() and not any(Path(given).iterdir()):
        return given
    made = tempfile.mkdtemp(prefix="visioncode-svg-empty-")
    atexit.register(shutil.rmtree, made, True)
    return made


EMPTY_DIR = _empty_dir()


def check_self_contained(data: bytes) -> None:
    """Raise RefusedError unless the document only references itself or data: URLs."""
    try:
        root, _, _ = parse(data.decode("utf-8", "replace"))
    except SanitizeError as exc:
        raise RefusedError(f"not rendered: {exc.message}") from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise RefusedError("not rendered: the document declares XML entities")
    for pi in [*root.itersiblings(etree.ProcessingInstruction, preceding=True),
               *root.iter(etree.ProcessingInstruction)]:
        if pi.target == "xml-stylesheet":
            raise RefusedError(
                f"not rendered: <?xml-stylesheet?> (line {pi.sourceline}) loads a stylesheet"
            )
    for el in root.iter(etree.Element):
        where = f"<{local_name(el)}> (line {el.sourceline})"
        for name, value in el.attrib.items():
            v = value.strip()
            if is_href(name):
                if not (v.startswith("#") or v[:5].lower() == "data:"):
                    raise RefusedError(
                        f"not rendered: {where} references {v[:80]!r}; only #fragment and "
                        "data: URLs are rendered"
                    )
            elif ("url(" in v.lower() or "@import" in v.lower()) and clean_css(v)[1]:
                raise RefusedError(
                    f"not rendered: {where} has an external CSS reference in {name!r}"
                )
        if local_name(el) == "style" and el.text and clean_css(el.text)[1]:
            raise RefusedError(f"not rendered: {where} has an external CSS reference")


def _data_only_fetcher(url: str, resource_type: str) -> bytes:
    """cairosvg's URL fetcher: data: URLs only. Anything else (cairosvg asks for the
    working directory when an `<image>` has no href) gets an empty SVG, as cairosvg's own
    `safe_fetch` does."""
    if url.startswith("data:"):
        return _fetch(url, resource_type)
    return b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


def render_cairosvg(data: bytes, width: int, height: int) -> bytes:
    # svg2png does not pass url_fetcher on; PNGSurface.convert (what it calls) does.
    png = PNGSurface.convert(
        bytestring=data, unsafe=False, url_fetcher=_data_only_fetcher,
        output_width=width, output_height=height,
    )
    assert isinstance(png, bytes)
    return png


def render_resvg(data: bytes, width: int, height: int) -> bytes:
    return bytes(resvg_py.svg_to_bytes(
        svg_string=data.decode("utf-8"), width=width, height=height, resources_dir=EMPTY_DIR,
    ))


ENGINES = {"cairosvg": (render_cairosvg, CAIROSVG_VERSION),
           "resvg": (render_resvg, RESVG_VERSION)}


def handle(request: dict[str, Any]) -> dict[str, Any]:
    engine = request["engine"]
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {sorted(ENGINES)}")
    render, version = ENGINES[engine]
    width, height = int(request["width"]), int(request["height"])
    background = request.get("background")
    data = Path(request["svg"]).read_bytes()
    check_self_contained(data)
    started = time.perf_counter()
    png = render(data, width, height)
    render_s = time.perf_counter() - started
    with Image.open(io.BytesIO(png)) as im:
        image = im.convert("RGBA")
    if image.size != (width, height):
        raise RuntimeError(
            f"{engine} produced {image.size[0]}x{image.size[1]} pixels, expected {width}x{height}"
        )
    if background is not None:
        color = ImageColor.getcolor(background, "RGBA")
        assert isinstance(color, tuple)
        if color[3] == 255:
            # Over an opaque colour, pasting through the alpha channel gives exactly the
            # pixels alpha_composite gives, in one step and without a second conversion.
            opaque = Image.new("RGB", image.size, color[:3])
            opaque.paste(image, mask=image.getchannel("A"))
            image = opaque
        else:
            image = Image.alpha_composite(Image.new("RGBA", image.size, color), image)
    out = Path(request["out"])
    tmp = out.with_name(out.name + ".part")
    # Fast zlib level: renders are written once and read by metrics, rarely kept long.
    image.save(tmp, format="PNG", compress_level=1)
    tmp.replace(out)
    return {"ok": True, "width": width, "height": height, "version": version,
            "render_s": render_s}


def main() -> None:
    serve(handle)


if __name__ == "__main__":
    main()
