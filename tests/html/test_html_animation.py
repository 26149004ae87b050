"""Animations captured frame-exactly on the real Chromium: frame k shows the page at
k / fps seconds for every clock a page can animate with (SMIL, CSS animations, Web
Animations, requestAnimationFrame + performance.now, setTimeout + Date.now), two renders
give the same bytes, an endless animation is cut at N frames, a page that blocks seeking
times out, and a timer flood costs a bounded time.

Every page moves one coloured 20 px square left to right at 180 px per second (0 at
t = 0, 45 px at 0.25 s, ...), so the square's left edge says what time a frame shows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from visioncode import Execution, RenderSpec
from visioncode_html.client import BrowserClient, BrowserLimits
from visioncode_html.executor import HtmlExecutor
from visioncode_html.page_scripts import MAX_CALLBACKS_PER_FRAME
from visioncode_html.renderers import ChromiumRenderer, ChromiumSvgRenderer

from .conftest import page_job

SPEC = RenderSpec(width=200, height=60, fps=4, frames=5)
#: Left edge of the square in each frame: 180 px/s at t = 0, 0.25, 0.5, 0.75, 1.0 (the
#: animations repeat every second, so t = 1.0 is back at 0).
EXPECTED = [0, 45, 90, 135, 0]
RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 128, 0)

SMIL = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 60">
<rect x="0" y="20" width="20" height="20" fill="#ff0000">
<animate attributeName="x" from="0" to="180" dur="1s" repeatCount="indefinite"/></rect></svg>"""

CSS_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 60"><style>
@keyframes mv { from { transform: translateX(0px) } to { transform: translateX(180px) } }
rect { animation: mv 1s linear infinite }</style>
<rect x="0" y="20" width="20" height="20" fill="#0000ff"/></svg>"""

CSS_PAGE = """<!DOCTYPE html><html><head><style>
body { margin: 0 } #b { position: absolute; left: 0; top: 20px; width: 20px; height: 20px;
  background: #0000ff; animation: mv 1s linear infinite }
@keyframes mv { from { left: 0 } to { left: 180px } }</style></head>
<body><div id="b"></div></body></html>"""

WAAPI_PAGE = """<!DOCTYPE html><html><body style="margin:0">
<div id="b" style="position:absolute;top:20px;width:20px;height:20px;background:#0000ff">
</div><script>
document.getElementById('b').animate([{left: '0px'}, {left: '180px'}],
                                     {duration: 1000, iterations: Infinity});
</script></body></html>"""

RAF_PAGE = """<!DOCTYPE html><html><body style="margin:0">
<canvas id="c" width="200" height="60"></canvas><script>
const g = document.getElementById('c').getContext('2d');
const t0 = performance.now();
function draw(ts) {
  const t = (ts - t0) / 1000;
  g.fillStyle = '#fff'; g.fillRect(0, 0, 200, 60);
  g.fillStyle = 'rgb(0,128,0)'; g.fillRect(Math.round((t % 1) * 180), 20, 20, 20);
  requestAnimationFrame(draw);
}
requestAnimationFrame(draw);
</script></body></html>"""

TIMER_PAGE = """<!DOCTYPE html><html><body style="margin:0">
<div id="b" style="position:absolute;top:20px;width:20px;height:20px;background:#008000">
</div><script>
const start = Date.now();
setInterval(() => {
  const t = (Date.now() - start) / 1000;
  document.getElementById('b').style.left = Math.round((t % 1) * 180) + 'px';
}, 250);
</script></body></html>"""


def left_edge(png: Path, colour: tuple[int, int, int]) -> int | None:
    """The leftmost column where the square's colour is."""
    with Image.open(png) as im:
        a = np.asarray(im.convert("RGB")).astype(int)
    columns = np.nonzero((np.abs(a - np.array(colour)).sum(-1) < 60).any(0))[0]
    return int(columns.min()) if len(columns) else None


def svg_execution(tmp_path: Path, svg: str) -> Execution:
    path = tmp_path / "program.svg"
    path.write_text(svg, encoding="utf-8")
    return Execution(status="ok", program=svg, artifacts={"svg": path})


@pytest.fixture(scope="module")
def small_executor() -> Iterator[HtmlExecutor]:
    ex = HtmlExecutor(HtmlExecutor.Options(width=200, height=60, step_screenshots=False))
    yield ex
    ex.close()


@pytest.mark.parametrize(("svg", "colour"), [(SMIL, RED), (CSS_SVG, BLUE)],
                         ids=["smil", "css-in-svg"])
def test_svg_frames_show_their_time(chromium_svg: ChromiumSvgRenderer, tmp_path: Path,
                                    svg: str, colour: tuple[int, int, int]) -> None:
    r = chromium_svg.render(svg_execution(tmp_path, svg), SPEC, tmp_path / "r")
    assert r.ok, r.error
    assert len(r.frames) == 5 and r.images == [tmp_path / "r" / "render.png"]
    assert [left_edge(f, colour) for f in r.frames] == EXPECTED
    assert r.image is not None and r.image.read_bytes() == r.frames[-1].read_bytes()
    assert r.metadata["frame_times_s"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert r.metadata["fps"] == 4


@pytest.mark.parametrize(("page", "colour", "clock"), [
    (CSS_PAGE, BLUE, "animations"), (WAAPI_PAGE, BLUE, "animations"),
    (RAF_PAGE, GREEN, "timer_calls"), (TIMER_PAGE, GREEN, "timer_calls")],
    ids=["css", "web-animations", "raf-performance-now", "interval-date-now"])
def test_page_frames_show_their_time(small_executor: HtmlExecutor, chromium: ChromiumRenderer,
                                     tmp_path: Path, page: str, colour: tuple[int, int, int],
                                     clock: str) -> None:
    ex = small_executor.execute(page, tmp_path / "x")
    assert ex.ok, ex.error
    r = chromium.render(ex, SPEC, tmp_path / "r")
    assert r.ok, r.error
    assert [left_edge(f, colour) for f in r.frames] == EXPECTED
    assert r.metadata["clock"][clock] > 0


def test_two_renders_are_byte_identical_and_the_video_plays(
        chromium_svg: ChromiumSvgRenderer, tmp_path: Path) -> None:
    spec = RenderSpec(width=64, height=48, fps=10, frames=6)
    svg = SMIL.replace('viewBox="0 0 200 60"', 'viewBox="0 0 200 60" width="200"')
    a = chromium_svg.render(svg_execution(tmp_path, svg), spec, tmp_path / "a")
    b = chromium_svg.render(svg_execution(tmp_path, svg), spec, tmp_path / "b")
    assert a.ok and b.ok, (a.error, b.error)
    assert [f.read_bytes() for f in a.frames] == [f.read_bytes() for f in b.frames]
    assert a.video is not None and b.video is not None
    assert a.video.read_bytes() == b.video.read_bytes()
    with av.open(str(a.video)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        decoded = list(container.decode(stream))
    assert len(decoded) == 6 and (decoded[0].width, decoded[0].height) == (64, 48)
    assert [round(float(f.time), 3) for f in decoded] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]


def test_only_fps_captures_duration_and_too_many_frames_is_an_error(
        tmp_path: Path) -> None:
    r = ChromiumSvgRenderer(ChromiumSvgRenderer.Options(
        animation={"duration_s": 0.5, "video": False, "max_frames": 8}))
    try:
        ok = r.render(svg_execution(tmp_path, SMIL), RenderSpec(width=40, height=20, fps=8),
                      tmp_path / "a")
        assert ok.ok and len(ok.frames) == 4 and ok.video is None, ok.error
        many = r.render(svg_execution(tmp_path, SMIL),
                        RenderSpec(width=40, height=20, fps=8, frames=9), tmp_path / "b")
        assert many.status == "error" and "at most 8" in (many.error or "")
    finally:
        r.close()


def test_endless_animation_is_cut_at_n_frames(client: BrowserClient, tmp_path: Path) -> None:
    """requestAnimationFrame forever and an infinite CSS animation: N frames, then done."""
    page = RAF_PAGE.replace("</body>", "<style>body{animation:x 1s infinite}</style></body>")
    answer = page_job(client, page, tmp_path, width=200, height=60, frames=3, fps=30,
                      dom=False, collect=False)
    assert answer["status"] == "ok", answer["reason"]
    assert len(answer["frames"]) == 3 and answer["frame_times_s"] == [0, 1 / 30, 2 / 30]


def test_page_that_blocks_seeking_times_out(tmp_path: Path) -> None:
    """A frame callback that never returns once the clock reaches 0.1 s: the capture
    cannot go on, the job is a timeout and the browser is replaced."""
    page = ("<p>x</p><script>requestAnimationFrame(function f(t) { "
            "if (t >= 100) for (;;) {} requestAnimationFrame(f); });</script>")
    client = BrowserClient(BrowserLimits(timeout_s=4))
    try:
        stuck = page_job(client, page, tmp_path / "a", width=100, height=50, frames=10,
                         fps=10, timeout_s=4, dom=False, collect=False)
        assert stuck["status"] == "timeout" and stuck["replaced"] is True, stuck["reason"]
        assert "frames" in stuck["reason"]
        after = page_job(client, "<p>fine</p>", tmp_path / "b", width=100, height=50,
                         frames=2, fps=10, dom=False, collect=False)
        assert after["status"] == "ok" and after["restarted"] is True
    finally:
        client.close()


def test_timer_flood_is_bounded(client: BrowserClient, tmp_path: Path) -> None:
    """Every timer schedules two more at the same instant: the per-frame callback budget
    drops the rest, and the frames still come."""
    page = ("<p id=n>0</p><script>let n = 0; function f() { n++; setTimeout(f, 0); "
            "setTimeout(f, 0); document.getElementById('n').textContent = n; } f();"
            "</script>")
    answer = page_job(client, page, tmp_path, width=100, height=50, frames=2, fps=10,
                      dom=False, collect=False)
    assert answer["status"] == "ok", answer["reason"]
    assert len(answer["frames"]) == 2
    assert answer["clock"]["timers_dropped"] > 0
    assert answer["clock"]["timer_calls"] <= 2 * MAX_CALLBACKS_PER_FRAME
