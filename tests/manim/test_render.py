"""The `manim` renderer on real scenes through the warm worker pool."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from PIL import Image

from visioncode import Limits, RenderSpec
from visioncode_manim.renderer import ManimRenderer

from .conftest import render, scene

pytestmark = pytest.mark.slow

HELLO = scene("""
title = Text("Hello grid").to_edge(UP)
self.play(Write(title), run_time=1)
box = Square(side_length=2)
self.play(Create(box), run_time=1)
self.wait(0.5)
""")


@pytest.fixture(scope="module")
def single() -> Iterator[ManimRenderer]:
    """One worker with a short wall time: what one scene does to it, the next sees."""
    r = ManimRenderer(ManimRenderer.Options(
        workers=1, limits=Limits(wall_time_s=10, memory_mb=3072, output_bytes=4096)))
    yield r
    r.close()


def test_a_scene_gives_video_keyframes_and_mobject_boxes(renderer: ManimRenderer,
                                                         tmp_path: Path) -> None:
    r = render(renderer, HELLO, tmp_path)
    assert r.status == "ok", r.error
    assert r.video is not None and r.video.is_file()
    with av.open(str(r.video)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (320, 180)
        assert stream.average_rate == 10
    assert r.metadata["video_duration_s"] == pytest.approx(2.5, abs=0.15)
    kinds = [k["kind"] for k in r.metadata["keyframes"]]
    assert kinds == ["first", "boundary", "boundary", "last"]
    assert len(r.frames) == 4 and all(p.is_file() for p in r.frames)
    with Image.open(r.frames[-1]) as im:
        assert im.size == (320, 180)
    frame = r.metadata["scene_frame"]
    assert frame["y_max"] == pytest.approx(4.0) and frame["x_max"] == pytest.approx(64 / 9)
    last = r.metadata["keyframes"][-1]
    title = next(m for m in last["mobjects"] if m["type"] == "Text")
    assert title["text"] == "Hello grid" and title["line"] == 5 and title["visible"]
    x0, _, x1, y1 = title["box"]
    assert y1 == pytest.approx(4.0 - 0.5, abs=0.05)  # to_edge(UP) leaves the default buff
    assert x0 == pytest.approx(-x1, abs=0.01)        # centred
    px = title["pixels"]
    assert px[1] == pytest.approx((4.0 - y1) / 8.0 * 180, abs=0.5)
    square = next(m for m in last["mobjects"] if m["type"] == "Square")
    assert square["box"] == pytest.approx([-1, -1, 1, 1], abs=0.01) and square["line"] == 7
    assert r.images == [r.frames[-1]]


def test_a_runtime_error_names_the_line_with_a_trimmed_traceback(renderer: ManimRenderer,
                                                                 tmp_path: Path) -> None:
    program = scene("""
def helper():
    return Circl(radius=1)
c = helper()
self.play(Create(c))
""")
    r = render(renderer, program, tmp_path)
    assert r.status == "error"
    error = r.metadata["error"]
    assert error["kind"] == "NameError" and error["line"] == 6
    assert "name 'Circl' is not defined" in error["message"]
    assert "line 7, in construct" in error["traceback"]
    assert "line 6, in helper" in error["traceback"]
    assert "site-packages" not in error["traceback"] and "manim/" not in error["traceback"]
    assert "NameError (line 6)" in r.error and "return Circl(radius=1)" in r.error
    assert r.metadata["sections_ok"] == 0 and r.metadata["sections_total"] == 1


def test_an_endless_scene_is_killed_and_the_worker_stays_warm(single: ManimRenderer,
                                                              tmp_path: Path) -> None:
    ok = render(single, HELLO, tmp_path / "warm")
    assert ok.status == "ok", ok.error
    pid = single._workers[0].pid
    r = render(single, scene("while True:\n    pass"), tmp_path / "loop")
    assert r.status == "timeout"
    assert "did not finish within 10s" in r.error
    again = render(single, HELLO, tmp_path / "after")
    assert again.status == "ok", again.error
    assert single._workers[0].pid == pid  # the scene's child died, not the worker
    assert again.metadata["sections"][0]["worker_started"] is False


def test_a_dead_scene_or_worker_costs_one_render(single: ManimRenderer,
                                                 tmp_path: Path) -> None:
    r = render(single, scene("import os\nos._exit(3)"), tmp_path / "exit")
    assert r.status == "error"
    assert r.metadata["error"]["kind"] == "Crashed" and "exited with code 3" in r.error
    single._workers[0].kill()                      # as if the worker process died
    again = render(single, HELLO, tmp_path / "again")
    assert again.status == "ok", again.error
    assert again.metadata["sections"][0]["worker_started"] is True


def test_global_config_does_not_leak_into_the_next_scene(single: ManimRenderer,
                                                         tmp_path: Path) -> None:
    leaky = scene("""
config.background_color = RED
config.frame_rate = 60
import manim
manim.Text = None
self.camera.background_color = RED
self.play(Create(Dot()))
""")
    first = render(single, leaky, tmp_path / "leaky")
    assert first.status == "ok", first.error
    with Image.open(first.frames[-1]) as im:
        assert im.convert("RGB").getpixel((5, 5))[0] > 200      # red
    clean = render(single, HELLO, tmp_path / "clean")
    assert clean.status == "ok", clean.error
    with Image.open(clean.frames[-1]) as im:
        # the RenderSpec's background (white by default) again, not the red one
        assert im.convert("RGB").getpixel((5, 5)) == (255, 255, 255)
    with av.open(str(clean.video)) as container:
        assert container.streams.video[0].average_rate == 10


def test_sections_render_in_parallel_and_join_into_one_video(renderer: ManimRenderer,
                                                             tmp_path: Path) -> None:
    program = "from manim import *\n" + "".join(
        f"\nclass Part{i}(Scene):\n    def construct(self):\n"
        f"        self.play(FadeIn(Text('part {i}')), run_time={i})\n" for i in (1, 2, 3))
    r = render(renderer, program, tmp_path)
    assert r.status == "ok", r.error
    assert [s["scene"] for s in r.metadata["sections"]] == ["Part1", "Part2", "Part3"]
    assert r.metadata["sections_ok"] == 3
    assert r.metadata["video_duration_s"] == pytest.approx(6.0, abs=0.3)
    with av.open(str(r.video)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == pytest.approx(60, abs=3)
    starts = {k["scene"]: k["time_s"] for k in reversed(r.metadata["keyframes"])}
    assert starts == pytest.approx({"Part1": 0.0, "Part2": 1.0, "Part3": 3.0}, abs=0.15)
    assert len(r.images) == 3


def test_scene_selection_and_quality_presets() -> None:
    r = ManimRenderer(ManimRenderer.Options(scene="Second"))
    assert r.select(["First", "Second"]) == ["Second"]
    with pytest.raises(LookupError, match="First, Second"):
        ManimRenderer(ManimRenderer.Options(scene="Third")).select(["First", "Second"])
    assert ManimRenderer(ManimRenderer.Options(scene="last")).select(["A", "B"]) == ["B"]
    assert ManimRenderer(ManimRenderer.Options(scene="first")).select(["A", "B"]) == ["A"]
    spec = RenderSpec(width=641, height=360, fps=24)
    assert ManimRenderer().size(spec) == (640, 360, 24)
    for quality, size in {"low": (854, 480, 15), "medium": (1280, 720, 30),
                          "high": (1920, 1080, 60)}.items():
        assert ManimRenderer(ManimRenderer.Options(quality=quality)).size(spec) == size


def test_enormous_output_is_capped(renderer: ManimRenderer, tmp_path: Path) -> None:
    r = render(renderer, scene("for i in range(100000):\n    print('x' * 100)\n"
                               "self.play(Create(Dot()))"), tmp_path)
    assert r.status == "ok", r.error
    section = r.metadata["sections"][0]
    assert section["output_truncated"] is True
    assert len(section["stdout"]) < 10_000 and "more bytes dropped" in section["stdout"]


def test_mathtex_renders_with_latex(renderer: ManimRenderer, tmp_path: Path) -> None:
    r = render(renderer, scene("self.play(Write(MathTex(r'a^2 + b^2 = c^2')))"), tmp_path)
    assert r.status == "ok", r.error
    tex = next(m for m in r.metadata["keyframes"][-1]["mobjects"] if m["type"] == "MathTex")
    assert tex["text"] == "a^2 + b^2 = c^2" and tex["is_text"]


def test_mathtex_without_latex_names_the_missing_package(tmp_path: Path) -> None:
    r = ManimRenderer(ManimRenderer.Options(workers=1, env={"PATH": str(tmp_path)}))
    try:
        got = render(r, scene("self.play(Write(MathTex(r'e^{i\\pi} = -1')))"), tmp_path)
    finally:
        r.close()
    assert got.status == "error"
    assert got.metadata["error"]["kind"] == "LatexMissing"
    assert "texlive-latex-base" in got.error and "line 5" in got.error
    assert "Text" in got.metadata["error"]["message"]


def test_the_rendering_record_is_json(renderer: ManimRenderer, tmp_path: Path) -> None:
    r = render(renderer, HELLO, tmp_path)
    json.loads(r.model_dump_json())


def test_keyframe_rate_adds_decoded_frames(renderer: ManimRenderer, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # per-render options are read at each call: the warm pool stays as it is
    monkeypatch.setattr(renderer, "options",
                        renderer.options.model_copy(update={"keyframe_rate": 4.0}))
    r = render(renderer, HELLO, tmp_path)
    assert r.status == "ok", r.error
    rate = [k for k in r.metadata["keyframes"] if k["kind"] == "rate"]
    assert [k["time_s"] for k in rate] == pytest.approx([0.25 * i for i in range(1, 11)])
    assert all(k["mobjects"] is None and Path(k["image"]).is_file() for k in rate)


def test_a_worker_that_cannot_start_in_time_fails_the_render(tmp_path: Path) -> None:
    r = ManimRenderer(ManimRenderer.Options(workers=1, startup_timeout_s=0.05))
    try:
        got = render(r, HELLO, tmp_path)
    finally:
        r.close()
    assert got.status == "timeout" and "no start within 0.05s" in got.error


def test_a_still_scene_failing_after_its_code_says_so(renderer: ManimRenderer,
                                                      tmp_path: Path) -> None:
    # the drawing fails only once construct() has returned, in Manim's frame capture,
    # through a method that has no line of the program
    program = scene("""
sq = Square(fill_opacity=1)
self.add(sq)
sq.get_fill_rgbas = {}.pop
""")
    r = render(renderer, program, tmp_path)
    assert r.status == "error"
    error = r.metadata["error"]
    assert error["kind"] == "TypeError" and error["line"] is None
    assert "after the program's construct() had finished" in error["traceback"]
    assert "before any line of the program ran" not in (r.error or "")
