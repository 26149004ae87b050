"""The executor, the two renderers and the set-of-marks prompter, called directly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from visioncode import Execution, RenderSpec, Sample
from visioncode.registry import load
from visioncode_html.executor import HtmlExecutor
from visioncode_html.extract import extract_html
from visioncode_html.renderers import ChromiumRenderer, ChromiumSvgRenderer
from visioncode_html.set_of_marks import SetOfMarks

PAGE = """<!DOCTYPE html>
<html><body style="margin:0;font-family:sans-serif">
<h1 style="color:rgb(200,0,0)">Title</h1>
<button id="go" onclick="document.getElementById('out').textContent='done'">Go</button>
<a href="#more">More</a>
<p id="out">waiting</p>
<img src="https://example.com/logo.png">
<script type="application/vnd.visioncode.actions+json">
[{"type": "click", "selector": "#go", "description": "press Go"}]
</script>
</body></html>"""


def test_extract_variants() -> None:
    fenced = extract_html("Here:\n```html\n<p>hi</p>\n```\nbye")
    assert fenced.ok and fenced.program == "<p>hi</p>" and "fenced" in fenced.notes[0]
    prose = extract_html("Sure! <!DOCTYPE html><html><body>x</body></html> Enjoy.")
    assert prose.program == "<!DOCTYPE html><html><body>x</body></html>"
    assert any("prose" in n for n in prose.notes)
    cut = extract_html("<html><body><p>half")
    assert cut.ok and any("no </html>" in n for n in cut.notes)
    nothing = extract_html("I cannot do that.")
    assert nothing.status == "no_html" and nothing.program is None


def test_executor_replays_program_actions(executor: HtmlExecutor, tmp_path: Path) -> None:
    ex = executor.execute(PAGE, tmp_path)
    assert ex.status == "ok", ex.error
    assert any("replaying 1 action(s) from the actions block (line 8)" in n for n in ex.notes)
    assert any("external references are blocked: https://example.com/logo.png" in n
               for n in ex.notes)
    assert any(n.startswith("blocked 1 URL(s) (image) in ") for n in ex.notes)
    steps = ex.metadata["steps"]
    assert [s["action"] for s in steps] == [None, "press Go"]
    assert "waiting" in Path(steps[0]["dom"]).read_text()
    assert "done" in ex.artifacts["dom"].read_text()
    assert ex.artifacts["screenshot"].is_file() and Path(steps[0]["screenshot"]).is_file()
    assert ex.metadata["blocked"] == [{"url": "https://example.com/logo.png", "type": "image"}]


def test_executor_records_script_errors_with_line(tmp_path: Path) -> None:
    page = "<p>a</p>\n<script>\nlet x = 1;\nundefinedFunction();\n</script>"
    strict = HtmlExecutor(HtmlExecutor.Options(fail_on_page_error=True, width=200, height=100))
    try:
        ex = strict.execute(page, tmp_path)
    finally:
        strict.close()
    assert ex.status == "script_error"
    assert ex.error is not None and ex.error.line == 4
    assert "undefinedFunction" in ex.error.message


def test_executor_bad_actions_block(executor: HtmlExecutor, tmp_path: Path) -> None:
    page = ('<script type="application/vnd.visioncode.actions+json">[{"type": "click"}]'
            "</script>")
    ex = executor.execute(page, tmp_path)
    assert ex.status == "parse_error" and ex.error is not None
    assert "action 0" in ex.error.message and "selector or x and y" in ex.error.message


def test_chromium_renderer_and_set_of_marks(executor: HtmlExecutor,
                                            chromium: ChromiumRenderer, tmp_path: Path) -> None:
    ex = executor.execute(PAGE, tmp_path / "exec")
    r = chromium.render(ex, RenderSpec(width=320, height=240, scale=2), tmp_path / "render")
    assert r.ok, r.error
    assert (r.width, r.height) == (640, 480)
    assert r.renderer_version.startswith("Chromium ")
    texts = {b["text"]: b for b in r.metadata["text_blocks"]}
    assert "done" in texts  # the action was replayed before the screenshot
    assert texts["Title"]["color"] == [200, 0, 0]
    interactive = r.metadata["interactive"]
    assert [e["selector"] for e in interactive] == [
        "#go", "html > body:nth-of-type(1) > a:nth-of-type(1)"]
    prompted = SetOfMarks(SetOfMarks.Options(grid=4)).prompt(r, tmp_path)
    assert "[1] button 'Go' selector #go" in prompted.legend
    assert "Anchor grid: columns A-D" in prompted.legend
    assert [m["id"] for m in prompted.marks] == [1, 2] and prompted.marks[0]["cell"] == "A2"
    # the box of mark 1 is drawn in its colour (#e6194b) on the image
    x, y, w, _ = prompted.marks[0]["box"]
    with Image.open(prompted.image) as im:
        assert im.getpixel((int(x) + w // 2, int(y))) == (0xE6, 0x19, 0x4B)


def test_chromium_renderer_failures(chromium: ChromiumRenderer, tmp_path: Path) -> None:
    failed = Execution(status="timeout", program="x")
    assert chromium.render(failed, RenderSpec(), tmp_path).error == "nothing to render: timeout"
    no_html = Execution(status="ok", program="x")
    assert "no 'html' artifact" in (chromium.render(no_html, RenderSpec(), tmp_path).error or "")
    page = tmp_path / "p.html"
    page.write_text("<p>x</p>")
    ok = Execution(status="ok", program="x", artifacts={"html": page})
    bad = chromium.render(ok, RenderSpec(background="nocolour"), tmp_path)
    assert bad.status == "error" and "not a colour" in (bad.error or "")


SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">
  <rect x="5" y="5" width="40" height="40" fill="#1e88e5"/>
  <circle cx="75" cy="25" r="18" fill="#e53935"/>
</svg>"""


@pytest.mark.parametrize("fit", ["contain", "stretch"])
def test_chromium_svg_matches_cairosvg(chromium_svg: ChromiumSvgRenderer, tmp_path: Path,
                                       fit: str) -> None:
    """Swappable with cairosvg: same canvas, fit and background, nearly the same pixels."""
    executor = load("executor", "svg")()
    cairo = load("renderer", "cairosvg")()
    try:
        ex = executor.execute(SVG, tmp_path / "exec")
        spec = RenderSpec(width=200, height=160, fit=fit, background="#ffffff")
        a = chromium_svg.render(ex, spec, tmp_path / "chromium")
        b = cairo.render(ex, spec, tmp_path / "cairo")
    finally:
        cairo.close()
    assert a.ok and b.ok, (a.error, b.error)
    assert a.metadata["view_box"] == b.metadata["view_box"] == [0, 0, 100, 50]
    pa = np.asarray(Image.open(a.image).convert("RGB"), dtype=float)
    pb = np.asarray(Image.open(b.image).convert("RGB"), dtype=float)
    assert pa.shape == pb.shape == (160, 200, 3)
    diff = np.abs(pa - pb)
    assert diff.mean() < 2.0, diff.mean()  # anti-aliasing differs, the picture does not
    assert (diff.max(axis=2) > 64).mean() < 0.02


def test_chromium_svg_transparent(chromium_svg: ChromiumSvgRenderer, tmp_path: Path) -> None:
    svg = tmp_path / "a.svg"
    svg.write_text(SVG)
    ex = Execution(status="ok", program=SVG, artifacts={"svg": svg})
    r = chromium_svg.render(ex, RenderSpec(width=100, height=100, background=None), tmp_path)
    assert r.ok, r.error
    with Image.open(r.image) as im:
        assert im.getpixel((1, 1))[3] == 0  # letterbox of `contain` is transparent
        assert im.getpixel((25, 50))[:3] == (0x1E, 0x88, 0xE5)
    bad = tmp_path / "bad.svg"
    bad.write_text("<svg")
    r = chromium_svg.render(Execution(status="ok", program="", artifacts={"svg": bad}),
                            RenderSpec(), tmp_path)
    assert r.status == "error" and "not well-formed" in (r.error or "")


BUTTON_PAGE = ("<p id='state'>waiting</p><button id='go' "
               "onclick=\"document.getElementById('state').textContent='done'\">Go</button>")


def test_executor_replays_actions_from_the_sample_meta(executor: HtmlExecutor,
                                                       tmp_path: Path) -> None:
    sample = Sample(id="s", meta={"actions": [{"type": "click", "selector": "#go"}]})
    ex = executor.execute(BUTTON_PAGE, tmp_path / "meta", sample)
    assert ex.status == "ok", ex.error
    assert any("from the sample's meta['actions']" in n for n in ex.notes)
    assert [s["action"] for s in ex.metadata["steps"]] == [None, "click #go"]
    assert "done" in ex.artifacts["dom"].read_text()

    ignoring = HtmlExecutor(HtmlExecutor.Options(actions_field=None, width=200, height=100))
    try:
        plain = ignoring.execute(BUTTON_PAGE, tmp_path / "ignored", sample)
    finally:
        ignoring.close()
    assert plain.status == "ok" and "waiting" in plain.artifacts["dom"].read_text()

    bad = Sample(id="b", meta={"actions": [{"type": "click"}]})
    failed = executor.execute(BUTTON_PAGE, tmp_path / "bad", bad)
    assert failed.status == "parse_error" and failed.error is not None
    assert "meta 'actions'" in failed.error.message


def test_page_backgrounds_cover_the_canvas_as_in_a_browser(
        executor: HtmlExecutor, chromium: ChromiumRenderer, tmp_path: Path) -> None:
    """A <body> background paints the whole canvas (CSS propagates it), also below short
    content; a page with no background of its own gets the RenderSpec's colour there."""
    spec = RenderSpec(width=200, height=100, background="#ffffff")
    short = "<style>body{margin:0;background:#ff0000}</style><p>one line</p>"
    plain = "<p>one line</p>"
    got = {}
    for name, page, bg in [("body", short, "#ffffff"), ("plain", plain, "#00ff00")]:
        ex = executor.execute(page, tmp_path / name)
        r = chromium.render(ex, spec.model_copy(update={"background": bg}), tmp_path / name)
        assert r.status == "ok", r.error
        got[name] = Image.open(r.images[0]).convert("RGB").getpixel((100, 95))
    assert got == {"body": (255, 0, 0), "plain": (0, 255, 0)}
