"""Each option of the HTML plugin's components, set and checked by its effect on real
Chromium renders (the session's one browser worker, small viewports): the executor's
size limit, the renderer's full-page and replay switches, the browser limits of the SVG
renderer and the two metrics, how set-of-marks draws, the canvas action selection renders
predictions on, and Design2Code's matching threshold."""

from __future__ import annotations

from collections.abc import Iterator
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from visioncode import ComponentContext, Execution, Rendering, RenderSpec, RoundRecord, Sample
from visioncode.testing.models import ScriptedModel
from visioncode_html.action_selection import ActionSelection
from visioncode_html.client import BrowserClient, BrowserLimits
from visioncode_html.design2code import Design2Code
from visioncode_html.executor import HtmlExecutor
from visioncode_html.renderers import ChromiumRenderer, ChromiumSvgRenderer
from visioncode_html.set_of_marks import PALETTE, SetOfMarks

RED = (255, 0, 0)
WHITE = (255, 255, 255)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


@pytest.fixture(scope="module", autouse=True)
def one_browser(client: BrowserClient) -> BrowserClient:
    """Holds the session's browser worker, so the components made and closed here share
    it instead of starting (and stopping) their own."""
    return client


# -- executor ------------------------------------------------------------------------------

def test_executor_max_bytes(tmp_path: Path) -> None:
    small = HtmlExecutor(HtmlExecutor.Options(max_bytes=64, width=120, height=80))
    try:
        fits = "<p>fits</p>".ljust(64)  # exactly at the limit
        assert len(fits.encode()) == 64
        ok = small.execute(fits, tmp_path / "fits")
        too_big = small.execute(fits + "é", tmp_path / "big")  # 66 UTF-8 bytes
    finally:
        small.close()
    assert ok.status == "ok", ok.error
    assert too_big.status == "parse_error" and too_big.error is not None
    assert too_big.error.kind == "too_large"
    assert too_big.error.message == "the document is 66 bytes; the limit is 64"
    assert not (tmp_path / "big" / "page.html").exists()  # refused before the browser


# -- chromium renderer ---------------------------------------------------------------------

LONG_PAGE = ("<body style='margin:0'><div style='height:900px;background:rgb(0,0,255)'></div>"
             "<p id='end' style='margin:0'>the end</p></body>")


def test_chromium_full_page(executor: HtmlExecutor, chromium: ChromiumRenderer,
                            tmp_path: Path) -> None:
    ex = executor.execute(LONG_PAGE, tmp_path / "exec")
    assert ex.status == "ok", ex.error
    spec = RenderSpec(width=200, height=150)
    viewport = chromium.render(ex, spec, tmp_path / "viewport")
    whole = ChromiumRenderer(ChromiumRenderer.Options(full_page=True))
    try:
        full = whole.render(ex, spec, tmp_path / "full")
    finally:
        whole.close()
    assert viewport.ok and full.ok, (viewport.error, full.error)
    assert (viewport.width, viewport.height) == (200, 150)
    assert full.width == 200 and full.height is not None and full.height > 900
    assert full.metadata["canvas"]["full_page"] is True
    with Image.open(full.image) as im:  # type: ignore[arg-type]
        assert im.size == (200, full.height)
        assert im.convert("RGB").getpixel((100, 850)) == (0, 0, 255)  # below the viewport
    # The text past the fold is seen only in the full page, with its box below 900 px.
    blocks = {b["text"]: b["box"] for b in full.metadata["text_blocks"]}
    assert blocks["the end"][1] >= 900


SWITCH_PAGE = ("<body style='margin:0'><p id='state'>waiting</p>"
               "<button id='go' onclick=\"document.documentElement.style.background='rgb(255,0,0)';"
               "document.getElementById('state').textContent='done'\">Go</button></body>")


def test_chromium_replay_actions(executor: HtmlExecutor, chromium: ChromiumRenderer,
                                 tmp_path: Path) -> None:
    sample = Sample(id="s", meta={"actions": [{"type": "click", "selector": "#go"}]})
    ex = executor.execute(SWITCH_PAGE, tmp_path / "exec", sample)
    assert ex.status == "ok", ex.error
    spec = RenderSpec(width=160, height=120)
    replayed = chromium.render(ex, spec, tmp_path / "replayed")
    as_loaded = ChromiumRenderer(ChromiumRenderer.Options(replay_actions=False))
    try:
        plain = as_loaded.render(ex, spec, tmp_path / "plain")
    finally:
        as_loaded.close()
    assert replayed.ok and plain.ok, (replayed.error, plain.error)
    assert (replayed.metadata["actions"], plain.metadata["actions"]) == (1, 0)
    texts = [{b["text"] for b in r.metadata["text_blocks"]} for r in (replayed, plain)]
    assert "done" in texts[0] and "waiting" not in texts[0]
    assert "waiting" in texts[1] and "done" not in texts[1]
    corner = [Image.open(r.image).convert("RGB").getpixel((150, 110))  # type: ignore[arg-type]
              for r in (replayed, plain)]
    assert corner == [RED, WHITE]


# -- browser limits of the SVG renderer and of the metrics -----------------------------------

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
       '<rect width="10" height="10" fill="#1e88e5"/></svg>')
LOOP_PAGE = "<p>never shown</p><script>for (;;) {}</script>"
LOOP_S = 1.5


def test_chromium_svg_limits(chromium_svg: ChromiumSvgRenderer, tmp_path: Path) -> None:
    """An SVG in an <img> runs no script, so no page can loop; a time limit shorter than
    any load shows that `limits` reaches the job: the same SVG renders with the default."""
    source = tmp_path / "a.svg"
    source.write_text(SVG)
    ex = Execution(status="ok", program=SVG, artifacts={"svg": source})
    spec = RenderSpec(width=40, height=40)
    hasty = ChromiumSvgRenderer(ChromiumSvgRenderer.Options(
        limits=BrowserLimits(timeout_s=0.001)))
    try:
        late = hasty.render(ex, spec, tmp_path / "late")
    finally:
        hasty.close()
    assert late.status == "timeout", late.error
    assert "0.001s" in (late.error or "")
    fine = chromium_svg.render(ex, spec, tmp_path / "fine")
    assert fine.ok, fine.error
    assert fine.metadata["browser_restarted"] is True  # the timed-out browser was replaced
    with Image.open(fine.image) as im:  # type: ignore[arg-type]
        assert im.convert("RGB").getpixel((20, 20)) == rgb("#1e88e5")


def scripted(spec: object) -> object:
    """What a pipeline hands a metric for a model spec, here the `testing-scripted` model
    built from the spec's options."""
    options = spec.options  # type: ignore[attr-defined]
    return ScriptedModel(ScriptedModel.Options(**options),
                         ComponentContext(name="testing-scripted")).generate


def action_selection(tmp_path: Path, world: str, **options: object) -> ActionSelection:
    return ActionSelection(
        ActionSelection.Options(
            world_model={"use": "testing-scripted", "options": {"answers": [world]}},
            judge={"use": "testing-scripted", "options": {"answers": ["Candidate 1."]}},
            **options),
        ComponentContext(name="action-selection", cache_dir=tmp_path / "cache",
                         model_factory=scripted))


def selection_round(tmp_path: Path) -> tuple[Sample, RoundRecord]:
    page = tmp_path / "page.html"
    page.write_text("<p>now</p>")
    sample = Sample(id="pick", meta={"html": "<p>now</p>", "goal": "go on", "best": 0,
                                     "candidates": [{"type": "click", "selector": "#next"}]})
    ex = Execution(status="ok", program="<p>now</p>", artifacts={"html": page})
    return sample, RoundRecord(round=0, execution=ex)


NEXT = "```html\n<html style='background:rgb(255,0,0)'><body><p>next</p></body></html>\n```"


@pytest.mark.parametrize("size", [(64, 48), (200, 96)])
def test_action_selection_width_height(tmp_path: Path, size: tuple[int, int]) -> None:
    width, height = size
    metric = action_selection(tmp_path, NEXT, width=width, height=height)
    try:
        score = metric.score(*selection_round(tmp_path))
    finally:
        metric.close()
    assert score.values == {"accuracy": 1.0, "predictions_rendered": 1.0}, score.details
    [prediction] = score.details["predictions"]
    with Image.open(prediction["image"]) as im:
        assert im.size == size
        assert im.convert("RGB").getpixel((width - 1, height - 1)) == RED


def test_action_selection_limits(tmp_path: Path) -> None:
    world = f"```html\n{LOOP_PAGE}\n```"
    metric = action_selection(tmp_path, world, width=64, height=48,
                              limits=BrowserLimits(timeout_s=LOOP_S))
    try:
        score = metric.score(*selection_round(tmp_path))
    finally:
        metric.close()
    assert score.values["predictions_rendered"] == 0.0, score.details
    [prediction] = score.details["predictions"]
    assert prediction["status"] == "timeout" and "image" not in prediction
    assert f"{LOOP_S:g}s" in prediction["reason"]


REFERENCE = ("<body style='margin:0;font-family:sans-serif'><h1>Quarterly report</h1>"
             "<p>Revenue grew by twelve percent.</p></body>")
PREDICTION = ("<body style='margin:0;font-family:sans-serif'><h1>Quarterly report</h1>"
              "<p>Revenue rose by 12 percent this year.</p></body>")


def design2code(tmp_path: Path, **options: object) -> Design2Code:
    return Design2Code(Design2Code.Options(**options),
                       ComponentContext(name="design2code", cache_dir=tmp_path / "cache"))


def test_design2code_limits(executor: HtmlExecutor, chromium: ChromiumRenderer,
                            tmp_path: Path) -> None:
    reference = tmp_path / "reference.html"
    reference.write_text(LOOP_PAGE)
    ex = executor.execute(PREDICTION, tmp_path / "exec")
    rendering = chromium.render(ex, RenderSpec(width=240, height=160), tmp_path / "render")
    assert rendering.ok, rendering.error
    metric = design2code(tmp_path, limits=BrowserLimits(timeout_s=LOOP_S))
    try:
        score = metric.score(Sample(id="s", reference_program=reference),
                             RoundRecord(round=0, execution=ex, rendering=rendering))
    finally:
        metric.close()
    assert score.values["overall"] is None
    error = score.details["error"]
    assert error.startswith("reference page did not render: timeout:"), error
    assert f"{LOOP_S:g}s" in error
    assert not list((tmp_path / "cache").rglob("*.json"))  # a failure is not cached


# -- design2code's threshold ----------------------------------------------------------------

@pytest.fixture(scope="module")
def d2c_round(tmp_path_factory: pytest.TempPathFactory, executor: HtmlExecutor,
              chromium: ChromiumRenderer) -> tuple[Sample, RoundRecord]:
    folder = tmp_path_factory.mktemp("d2c")
    reference = folder / "reference.html"
    reference.write_text(REFERENCE)
    ex = executor.execute(PREDICTION, folder / "exec")
    rendering = chromium.render(ex, RenderSpec(width=320, height=200), folder / "render")
    assert rendering.ok, rendering.error
    return (Sample(id="s", reference_program=reference),
            RoundRecord(round=0, execution=ex, rendering=rendering))


def test_design2code_min_similarity(d2c_round: tuple[Sample, RoundRecord],
                                    tmp_path: Path) -> None:
    similarity = SequenceMatcher(None, "Revenue rose by 12 percent this year.",
                                 "Revenue grew by twelve percent.").ratio()
    assert 0.6 < similarity < 0.7
    scores = {}
    for threshold in (0.6, 0.7):
        metric = design2code(tmp_path, min_similarity=threshold)
        try:
            scores[threshold] = metric.score(*d2c_round)
        finally:
            metric.close()
    loose, strict = scores[0.6], scores[0.7]
    assert [m["reference"] for m in loose.details["matches"]] == [
        "Quarterly report", "Revenue grew by twelve percent."]
    assert loose.details["missing"] == [] and loose.details["extra"] == []
    assert loose.values["block_match"] == pytest.approx(1.0)
    assert loose.values["text"] == pytest.approx((1.0 + similarity) / 2, abs=1e-4)
    assert [m["reference"] for m in strict.details["matches"]] == ["Quarterly report"]
    assert strict.details["missing"] == ["Revenue grew by twelve percent."]
    assert strict.details["extra"] == ["Revenue rose by 12 percent this year."]
    assert strict.values["text"] == pytest.approx(1.0)
    assert 0 < strict.values["block_match"] < loose.values["block_match"]  # type: ignore[operator]


# -- set-of-marks ---------------------------------------------------------------------------

BUTTONS = ("<body style='margin:0;padding:60px 0 0 20px'>"
           + "".join(f"<button id='b{i}' style='display:block;width:120px;height:40px;"
                     f"margin:0 0 10px 0;border:0;background:#fff'>B{i}</button>"
                     for i in range(1, 4))
           + "</body>")


@pytest.fixture(scope="module")
def buttons(tmp_path_factory: pytest.TempPathFactory, executor: HtmlExecutor,
            chromium: ChromiumRenderer) -> Iterator[Rendering]:
    folder = tmp_path_factory.mktemp("marks")
    ex = executor.execute(BUTTONS, folder / "exec")
    rendering = chromium.render(ex, RenderSpec(width=200, height=260), folder / "render")
    assert rendering.ok, rendering.error
    assert [e["selector"] for e in rendering.metadata["interactive"]] == ["#b1", "#b2", "#b3"]
    yield rendering


def marks(rendering: Rendering, folder: Path, **options: object) -> tuple[list[dict], str,
                                                                           np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    prompted = SetOfMarks(SetOfMarks.Options(**options)).prompt(rendering, folder)
    with Image.open(prompted.image) as im:
        pixels = np.asarray(im.convert("RGB"))
    return prompted.marks, prompted.legend, pixels


def test_set_of_marks_max_marks(buttons: Rendering, tmp_path: Path) -> None:
    all_marks, all_legend, all_pixels = marks(buttons, tmp_path / "all")
    capped, legend, pixels = marks(buttons, tmp_path / "capped", max_marks=2)
    assert [m["selector"] for m in all_marks] == ["#b1", "#b2", "#b3"]
    assert [m["selector"] for m in capped] == ["#b1", "#b2"]
    assert "[3] button 'B3'" in all_legend and "not marked" not in all_legend
    assert "[3]" not in legend
    assert legend.splitlines()[-1] == "(1 more interactive elements not marked)"
    third = rgb(PALETTE[2])
    assert (all_pixels == third).all(axis=2).sum() > 0
    assert (pixels == third).all(axis=2).sum() == 0  # the third box is not drawn


def test_set_of_marks_line_width(buttons: Rendering, tmp_path: Path) -> None:
    x, y, w, h = (int(v) for v in buttons.metadata["interactive"][0]["box"])
    first = rgb(PALETTE[0])
    outline = {}
    for width in (1, 6):
        _, _, pixels = marks(buttons, tmp_path / str(width), line_width=width)
        # the outline is drawn inwards from the box's edge: count its pixels along the
        # left edge's row at mid-height
        row = pixels[y + h // 2, x:x + w // 2]
        outline[width] = int((row == first).all(axis=1).sum())
    assert outline == {1: 1, 6: 6}


def test_set_of_marks_font_size(buttons: Rendering, tmp_path: Path) -> None:
    x, y, _, _ = (int(v) for v in buttons.metadata["interactive"][0]["box"])
    first = rgb(PALETTE[0])
    label = {}
    for size in (8, 30):
        _, _, pixels = marks(buttons, tmp_path / str(size), font_size=size)
        # the label's filled box sits right above the mark's box: its height in the
        # leftmost column (no glyph there) grows with the font
        column = (pixels[:y, x] == first).all(axis=1)
        label[size] = int(column.sum())
    assert 8 <= label[8] < 16 and 24 <= label[30] < 45, label
