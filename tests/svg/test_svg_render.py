"""Both renderers: exact canvas size, fit, background, transparency, agreement."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from visioncode import Execution, RenderSpec
from visioncode_svg import CairoSvgRenderer, ResvgRenderer, SvgExecutor
from visioncode_svg.canvas import fit_to_canvas

from .conftest import execute, render_svg

NS = 'xmlns="http://www.w3.org/2000/svg"'
WIDE_RED = f'<svg {NS} viewBox="0 0 100 50"><rect width="100" height="50" fill="#ff0000"/></svg>'
DOT = f'<svg {NS} viewBox="0 0 100 100"><circle cx="50" cy="50" r="20" fill="#0000ff"/></svg>'


@pytest.mark.parametrize("size", [(64, 64), (200, 120), (33, 171), (1, 1)])
@pytest.mark.parametrize("fit", ["contain", "stretch"])
def test_exact_size(executor: SvgExecutor, renderer, tmp_path: Path, size, fit) -> None:
    r, im = render_svg(executor, renderer, WIDE_RED, tmp_path, width=size[0], height=size[1],
                       fit=fit)
    assert im.size == size and (r.width, r.height) == size
    assert r.renderer_version.startswith(renderer.engine)
    assert r.images == [tmp_path / "render" / "render.png"]


def test_scale_multiplies_the_canvas(executor: SvgExecutor, renderer, tmp_path: Path) -> None:
    r, im = render_svg(executor, renderer, WIDE_RED, tmp_path, width=50, height=40, scale=2.5)
    assert im.size == (125, 100) == (r.width, r.height)


def test_contain_letterboxes(executor: SvgExecutor, renderer, tmp_path: Path) -> None:
    _, im = render_svg(executor, renderer, WIDE_RED, tmp_path, width=200, height=200,
                       fit="contain", background="#ffffff")
    assert im.getpixel((100, 100)) == (255, 0, 0, 255)      # centre: the drawing
    assert im.getpixel((0, 0)) == (255, 255, 255, 255)      # top band: background
    assert im.getpixel((199, 199)) == (255, 255, 255, 255)  # bottom band
    assert im.getpixel((0, 60)) == (255, 0, 0, 255)         # full width, rows 50..150
    assert im.getpixel((100, 45)) == (255, 255, 255, 255)


def test_stretch_fills(executor: SvgExecutor, renderer, tmp_path: Path) -> None:
    _, im = render_svg(executor, renderer, WIDE_RED, tmp_path, width=200, height=200,
                       fit="stretch", background="#ffffff")
    for xy in [(0, 0), (199, 0), (0, 199), (199, 199), (100, 100)]:
        assert im.getpixel(xy) == (255, 0, 0, 255)


def test_background_colour(executor: SvgExecutor, renderer, tmp_path: Path) -> None:
    _, im = render_svg(executor, renderer, DOT, tmp_path, width=100, height=100,
                       background="#00ff00")
    assert im.getpixel((0, 0)) == (0, 255, 0, 255)
    assert im.getpixel((50, 50)) == (0, 0, 255, 255)
    with Image.open(tmp_path / "render" / "render.png") as raw:
        # drawn by the library under the drawing: every pixel opaque
        assert raw.convert("RGBA").getchannel("A").getextrema() == (255, 255)


def test_transparent_background(executor: SvgExecutor, renderer, tmp_path: Path) -> None:
    _, im = render_svg(executor, renderer, DOT, tmp_path, width=100, height=100,
                       background=None)
    assert im.getpixel((0, 0))[3] == 0
    assert im.getpixel((50, 50)) == (0, 0, 255, 255)


def test_renderers_agree(executor: SvgExecutor, renderers: dict, tmp_path: Path) -> None:
    svg = f"""<svg {NS} width="120" height="80">
<defs><linearGradient id="g">
  <stop offset="0" stop-color="#ff0"/><stop offset="1" stop-color="#f0f"/>
</linearGradient></defs>
<rect x="5" y="5" width="50" height="30" fill="url(#g)" stroke="#000" stroke-width="2"/>
<circle cx="90" cy="40" r="25" fill="#08c" opacity="0.7"/>
<polygon points="10,75 40,45 70,75" fill="#3a3"/>
<path d="M70 10 Q 100 0 115 30" stroke="#c00" stroke-width="4" fill="none"/>
</svg>"""
    images = {}
    for name, renderer in renderers.items():
        _, im = render_svg(executor, renderer, svg, tmp_path / name, width=240, height=160)
        images[name] = im.convert("RGB")
    diff = ImageChops.difference(images["cairosvg"], images["resvg"])
    mean = sum(ImageStat.Stat(diff).mean) / 3
    assert mean < 2.0, mean


def test_missing_size_uses_default_viewbox(executor: SvgExecutor, renderer, tmp_path: Path):
    svg = f'<svg {NS}><rect width="300" height="150" fill="#ff0000"/></svg>'
    r, im = render_svg(executor, renderer, svg, tmp_path, width=300, height=150)
    assert r.metadata["view_box"] == [0, 0, 300, 150]
    assert r.metadata["view_box_source"] == "default"
    assert im.getpixel((299, 149)) == (255, 0, 0, 255)


def test_failed_execution_is_not_rendered(renderer, tmp_path: Path) -> None:
    bad = SvgExecutor().execute("<svg><g></svg>", tmp_path)
    r = renderer.render(bad, RenderSpec(), tmp_path / "r")
    assert r.status == "error" and r.error == "nothing to render: parse_error" and not r.ok
    # a failed render still names the renderer, its version and the canvas it was asked for
    assert r.renderer_version.startswith(renderer.engine)
    assert r.metadata["canvas"] == {"width": 512, "height": 512, "fit": "contain",
                                    "background": "#ffffff"}
    r = renderer.render(Execution(status="ok", program=""), RenderSpec(), tmp_path / "r")
    assert r.status == "error" and "no 'svg' artifact" in (r.error or "")


def test_bad_background_is_an_error(executor: SvgExecutor, renderer, tmp_path: Path) -> None:
    ex = execute(executor, DOT, tmp_path / "e")
    r = renderer.render(ex, RenderSpec(background="not-a-colour"), tmp_path / "r")
    assert r.status == "error" and "not a colour" in (r.error or "")


def test_library_error_is_an_error(renderers: dict, tmp_path: Path) -> None:
    """A library exception is that render's error; the warm worker survives it.

    cairosvg recurses forever on `<use href="#">` (the sanitiser removes such a `<use>`;
    here the document is handed to the renderer unsanitised)."""
    svg = tmp_path / "raw.svg"
    svg.write_text(f'<svg {NS} width="10" height="10"><style>rect {{fill: red}}</style>'
                   '<use href="#"/><rect width="5" height="5"/></svg>')
    ex = Execution(status="ok", program=svg.read_text(), artifacts={"svg": svg})
    cairo = renderers["cairosvg"]
    starts = cairo.worker.started
    r = cairo.render(ex, RenderSpec(width=10, height=10), tmp_path / "r")
    assert r.status == "error"
    assert r.error and r.error.startswith("cairosvg failed (RecursionError)"), r.error
    assert renderers["resvg"].render(ex, RenderSpec(width=10, height=10), tmp_path / "s").ok
    simple = execute(SvgExecutor(), DOT, tmp_path / "e")
    assert cairo.render(simple, RenderSpec(width=10, height=10), tmp_path / "t").ok
    assert cairo.worker.started == max(starts, 1)


def test_component_metadata() -> None:
    for cls in (CairoSvgRenderer, ResvgRenderer):
        assert cls.default_executor == "svg"
        opts = cls.Options()
        assert opts.limits.wall_time_s == 20 and opts.limits.memory_mb == 1024
        assert not opts.limits.network


@pytest.mark.parametrize(("attrs", "view_box", "source"), [
    ('viewBox="10 20 30 40" width="5" height="5"', "10 20 30 40", "viewBox"),
    ('width="200" height="100"', "0 0 200 100", "width/height"),
    ('width="2in" height="72pt"', "0 0 192 96", "width/height"),
    ('width="100"', "0 0 100 150", "default"),
    ('width="100%" height="50%"', "0 0 300 150", "default"),
    ("", "0 0 300 150", "default"),
    ('viewBox="0 0 0 10" width="40" height="20"', "0 0 40 20", "width/height"),
    ('viewBox="0,0,50.5,25"', "0 0 50.5 25", "viewBox"),
])
def test_canvas_view_box_rules(attrs: str, view_box: str, source: str) -> None:
    from lxml import etree

    text, canvas = fit_to_canvas(f"<svg {NS} {attrs} style='width: 10px; fill: red'/>",
                                 64, 32, "stretch")
    root = etree.fromstring(text.encode())
    assert root.get("viewBox") == view_box and canvas.source == source
    assert (root.get("width"), root.get("height")) == ("64", "32")
    assert root.get("preserveAspectRatio") == "none"
    assert root.get("style") == "fill: red"


@pytest.mark.parametrize(("attrs", "fit", "view_box"), [
    # the bottom half of the viewBox fills the document's 2:1 viewport (slice, xMaxYMax)
    ('width="200" height="100" viewBox="0 0 200 200" preserveAspectRatio="xMaxYMax slice"',
     "contain", "0 100 200 100"),
    # meet, xMinYMin: the viewBox sits at the left of the document's viewport
    ('width="200" height="100" viewBox="0 0 100 100" preserveAspectRatio="xMinYMin meet"',
     "contain", "0 0 200 100"),
    # no size of its own: the canvas is the viewport, the document's rule applies to it
    ('viewBox="0 0 100 100" preserveAspectRatio="xMaxYMid meet"', "contain", "-100 0 200 100"),
    # stretch without a size of its own stretches the viewBox (the document's rule yields)
    ('viewBox="0 0 100 100" preserveAspectRatio="xMaxYMid meet"', "stretch", "0 0 100 100"),
    # none with a size: the viewBox is stretched to the document, which is contained
    ('width="100" height="100" viewBox="0 0 50 100" preserveAspectRatio="none"', "contain",
     "-25 0 100 100"),
])
def test_canvas_keeps_the_documents_own_aspect_ratio(attrs: str, fit: str,
                                                     view_box: str) -> None:
    from lxml import etree

    text, canvas = fit_to_canvas(f"<svg {NS} {attrs}/>", 64, 32, fit)
    root = etree.fromstring(text.encode())
    assert (root.get("viewBox"), root.get("preserveAspectRatio")) == (view_box, "none")
    assert canvas.source == "preserveAspectRatio"


def test_zero_size_draws_nothing(executor: SvgExecutor, renderer, tmp_path: Path) -> None:
    """`width="0"` disables rendering (SVG 1.1, 7.2): only the background shows."""
    _, im = render_svg(executor, renderer,
                       f'<svg {NS} width="0" height="0"><rect width="9" height="9"/></svg>',
                       tmp_path, width=16, height=16, background="#ff0000")
    assert im.getcolors() == [(256, (255, 0, 0, 255))]
