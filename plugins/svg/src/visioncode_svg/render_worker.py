"""Child side of the SVG renderers: `python -m visioncode_svg.render_worker`.

Started by `visioncode.Worker` and kept warm: its engine (`$VISIONCODE_SVG_ENGINE`,
`cairosvg` or `resvg`; both when unset) is imported once, before any job (cairosvg's
import costs about 1.5 s, resvg's a few milliseconds, so a resvg worker does not pay for
cairosvg), and
`visioncode.serve` runs every request in a fresh, walled child forked from this process
(its own folder, cgroup, Landlock, seccomp). One JSON request per line, a
`protocol.RenderRequest`:

    {"engine": "cairosvg" | "resvg", "svg": "<svg ...>...</svg>", "width": 512,
     "height": 512, "background": "#ffffff" | "rgba(255,0,0,0.5)" | null}

The PNG is written as `render.png` in the job's own folder (the working folder of the job's
child), and the answer is a `protocol.RenderAnswer`: `{"ok": true, "width": ...,
"height": ..., "version": "cairosvg 2.9.1", "render_s": 0.004, "file": "render.png"}`
(`render_s`: the library call alone, for timing comparisons), or, through
`visioncode.serve`, `{"ok": false, "kind": ..., "error": ...}`.

The SVG should already be sanitised and fitted to the canvas, but this process does not
trust that: before rendering it refuses any document with entity declarations, any href
other than a `#fragment` or `data:` URL (resvg reads local files named by `<image href>`,
absolute paths included), and CSS that loads anything (read with the same tokenizer as the
sanitiser). cairosvg runs with `unsafe=False` and a URL fetcher that serves only `data:`
URLs; resvg gets an empty `resources_dir`, `dpi=96` and the language list `["en"]`
(resvg's own defaults, which resvg-py leaves at zero and empty).

An opaque background (or none) is drawn by the library itself, so the PNG it encodes is
the answer as it is: nothing is decoded or encoded again. A translucent background, or
any background under a document that uses `mix-blend-mode` or `isolation` (blending must
see a transparent backdrop), is composited afterwards with Pillow. The PNG's size is read
from its header and must be exactly the requested one.
"""

from __future__ import annotations

import atexit
import importlib
import io
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree
from PIL import Image, ImageColor

from visioncode import serve

from .protocol import OUTPUT_NAME, RenderAnswer, RenderRequest
from .sanitize import SanitizeError, clean_css, is_href, local_name, parse

#: Set by the renderer: the one engine this worker serves (both when unset).
ENGINE_ENV = "VISIONCODE_SVG_ENGINE"
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
        root, _, _ = parse(data.decode("utf-8", "replace"), entities=False)
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
            elif ("(" in v or "\\" in v or "@" in v) and clean_css(
                    v, "declarations" if name == "style" else "value")[1]:
                raise RefusedError(
                    f"not rendered: {where} has an external CSS reference in {name!r}"
                )
        if local_name(el) == "style":
            css = "".join(el.itertext())
            if css.strip() and clean_css(css)[1]:
                raise RefusedError(f"not rendered: {where} has an external CSS reference")


def _data_only_fetcher(url: str, resource_type: str) -> bytes:
    """cairosvg's URL fetcher: data: URLs only. Anything else (cairosvg asks for the
    working directory when an `<image>` has no href) gets an empty SVG, as cairosvg's own
    `safe_fetch` does."""
    if url.startswith("data:"):
        from cairosvg.url import fetch

        data: bytes = fetch(url, resource_type)
        return data
    return b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


def render_cairosvg(data: bytes, width: int, height: int, background: str | None) -> bytes:
    from cairosvg.surface import PNGSurface

    # svg2png does not pass url_fetcher on; PNGSurface.convert (what it calls) does.
    png = PNGSurface.convert(
        bytestring=data, unsafe=False, url_fetcher=_data_only_fetcher,
        output_width=width, output_height=height, background_color=background,
    )
    assert isinstance(png, bytes)
    return png


#: resvg's own defaults (its CLI and `usvg::Options`), which resvg-py leaves at zero and
#: empty: without them `mm`/`in` lengths become zero and `systemLanguage` never matches.
RESVG_DPI = 96.0
RESVG_LANGUAGES = ["en"]


def render_resvg(data: bytes, width: int, height: int, background: str | None) -> bytes:
    import resvg_py

    return bytes(resvg_py.svg_to_bytes(
        svg_string=data.decode("utf-8"), width=width, height=height, resources_dir=EMPTY_DIR,
        dpi=RESVG_DPI, languages=RESVG_LANGUAGES, background=background,
    ))


RENDER: dict[str, Callable[[bytes, int, int, str | None], bytes]] = {
    "cairosvg": render_cairosvg, "resvg": render_resvg}


def engine_version(engine: str) -> str:
    """`cairosvg 2.9.1` or `resvg 0.48.1 (resvg-py 0.5.0)` (imports the engine)."""
    if engine == "cairosvg":
        cairosvg = importlib.import_module("cairosvg")
        return f"cairosvg {cairosvg.__version__}"
    resvg_py = importlib.import_module("resvg_py")
    return f"resvg {resvg_py.__resvg_version__} (resvg-py {resvg_py.__version__})"


#: The engines this worker serves, imported now (before the first job is forked), with
#: their versions.
ENGINES: dict[str, str] = {
    name: engine_version(name) for name in RENDER
    if os.environ.get(ENGINE_ENV) in (None, "", name)}
if "cairosvg" in ENGINES:
    importlib.import_module("cairosvg.surface")
    importlib.import_module("cairosvg.url")


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (no decoding)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise RuntimeError("the library did not produce a PNG")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def composite(png: bytes, background: str) -> bytes:
    """`png` over a translucent `background`, with Pillow."""
    color = ImageColor.getcolor(background, "RGBA")
    assert isinstance(color, tuple)
    with Image.open(io.BytesIO(png)) as im:
        image = Image.alpha_composite(Image.new("RGBA", im.size, color), im.convert("RGBA"))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def handle(raw: dict[str, Any]) -> dict[str, Any]:
    request = RenderRequest.model_validate(raw)
    if request.engine not in ENGINES:
        raise ValueError(f"this worker serves {sorted(ENGINES)}, not {request.engine!r}")
    render, version = RENDER[request.engine], ENGINES[request.engine]
    width, height, background = request.width, request.height, request.background
    data = request.svg.encode("utf-8")
    check_self_contained(data)
    # The library draws an opaque background itself, unless the document blends with its
    # backdrop: the canvas is not part of the root's isolated group, so blending must see
    # transparency, and the background goes under afterwards.
    opaque = background is None or (
        ImageColor.getcolor(background, "RGBA")[3] == 255  # type: ignore[index]
        and b"mix-blend-mode" not in data and b"isolation" not in data)
    started = time.perf_counter()
    png = render(data, width, height, background if opaque else None)
    render_s = time.perf_counter() - started
    if png_size(png) != (width, height):
        got = png_size(png)
        raise RuntimeError(
            f"{request.engine} produced {got[0]}x{got[1]} pixels, expected {width}x{height}"
        )
    if not opaque:
        assert background is not None
        png = composite(png, background)
    # The job's working folder is its own; the host copies the file from there.
    Path(OUTPUT_NAME).write_bytes(png)
    return RenderAnswer(ok=True, width=width, height=height, version=version,
                        render_s=render_s).model_dump()


def main() -> None:
    serve(handle)


if __name__ == "__main__":
    main()
