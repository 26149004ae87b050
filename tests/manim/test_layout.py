"""The `layout` critic on real scenes with known faults, and on hand-made keyframes."""

from __future__ import annotations

from pathlib import Path

import pytest

from visioncode import RoundRecord, Sample
from visioncode_manim.grid import SceneFrame
from visioncode_manim.layout import LayoutMetric, LayoutOptions, analyse

from .conftest import render

FAULTY = '''from manim import *

class Overlap(Scene):
    def construct(self):
        a = Text("Right triangle")
        b = Text("Hypotenuse c")
        self.play(Write(a), Write(b))

class Outside(Scene):
    def construct(self):
        title = Text("Title").to_edge(UP)
        box = Square(side_length=2).shift(LEFT * 7)
        self.play(FadeIn(title), Create(box))

class Tiny(Scene):
    def construct(self):
        note = Text("footnote", font_size=9).to_edge(DOWN)
        self.play(FadeIn(note))

class Clean(Scene):
    def construct(self):
        title = Text("Pythagoras").to_edge(UP)
        eq = Text("a² + b² = c²").next_to(title, DOWN, buff=1)
        self.play(Write(title))
        self.play(FadeIn(eq))
        self.play(FadeOut(title), FadeOut(eq))
'''


@pytest.mark.slow
def test_layout_faults_of_real_scenes_are_found_and_placed(renderer, tmp_path: Path) -> None:
    r = render(renderer, FAULTY, tmp_path)
    assert r.status == "ok", r.error
    # 320x180 test renders: default-size text is ~10 px tall there, so the readability
    # threshold is scaled down with the resolution (14 px is meant for 480p and up)
    metric = LayoutMetric(LayoutMetric.Options(min_text_px=6))
    score = metric.score(Sample(id="s"), RoundRecord(round=0, rendering=r))
    faults = score.details["faults"]
    by_scene: dict[str, list[dict]] = {}
    for f in faults:
        by_scene.setdefault(f["scene"], []).append(f)
    assert "Clean" not in by_scene, by_scene.get("Clean")
    overlap = [f for f in by_scene["Overlap"] if f["kind"] == "text_overlap"]
    assert len(overlap) == 1 and overlap[0]["lines"] == [5, 6]
    assert overlap[0]["cells"].startswith(("C", "D")) and "3" in overlap[0]["cells"]
    outside = by_scene["Outside"]
    assert [f["kind"] for f in outside] == ["out_of_frame"]
    assert outside[0]["line"] == 12 and outside[0]["cells"].startswith("A")
    assert "left by 0.89" in outside[0]["message"]
    tiny = by_scene["Tiny"]
    assert [f["kind"] for f in tiny] == ["small_text"] and tiny[0]["line"] == 17
    assert score.values["faults"] == 3
    assert score.values["text_overlap"] == 1 and score.values["out_of_frame"] == 1
    assert score.values["small_text"] == 1 and score.values["empty_frame"] == 0
    feedback = score.details["feedback"]
    assert "(line 12)" in feedback and "anchor-grid cells" in feedback


FRAME = SceneFrame(-7.11, 7.11, -4.0, 4.0)


def keyframe(mobjects: list[dict] | None, section: int = 0, t: float = 1.0) -> dict:
    return {"section": section, "scene": "S", "time_s": t, "mobjects": mobjects}


def text(box: list[float], label: str = "x", line: int = 3, parent: int | None = None,
         height_px: float = 40) -> dict:
    return {"type": "Text", "text": label, "is_text": True, "visible": True, "box": box,
            "line": line, "parent": parent, "pixels": [0, 0, 10, height_px]}


def test_empty_frames_count_except_at_a_section_end() -> None:
    frames = [keyframe([text([-1, -1, 1, 1])], t=1), keyframe([], t=2),
              keyframe([text([-1, -1, 1, 1])], t=3), keyframe([], t=4)]
    faults = analyse(frames, FRAME, (854, 480), LayoutOptions())
    assert [(f.kind, f.time_s) for f in faults] == [("empty_frame", 2)]


def test_overfull_frames_and_nested_text_are_judged_sensibly() -> None:
    crowded = [text([-7 + i, -3.9, -6.2 + i, 3.9], label=f"t{i}", line=i + 1)
               for i in range(14)]
    faults = analyse([keyframe(crowded)], FRAME, (854, 480), LayoutOptions())
    assert [f.kind for f in faults] == ["overfull_frame"]
    # a text inside a group that is itself text-like is not an overlap with its parent
    group = {"type": "VGroup", "text": None, "is_text": False, "visible": True,
             "box": [-2, -1, 2, 1], "line": 4, "parent": None, "pixels": [0, 0, 1, 1]}
    nested = [group, text([-2, -1, 0, 1], "a", 5, parent=0), text([0.5, -1, 2, 1], "b", 6, 0)]
    assert analyse([keyframe(nested)], FRAME, (854, 480), LayoutOptions()) == []


def test_the_metric_excludes_what_did_not_render() -> None:
    score = LayoutMetric().score(Sample(id="s"), RoundRecord(round=0))
    assert score.rendered is False and score.values["faults"] is None
    assert score.details["feedback"] == ""


def test_thresholds_and_grid_size_are_options() -> None:
    poking = [text([6.0, 0, 7.16, 1], "edge")]                      # 0.05 past the right
    assert [f.kind for f in analyse([keyframe(poking)], FRAME, (854, 480),
                                    LayoutOptions(margin=0.02))] == ["out_of_frame"]
    assert analyse([keyframe(poking)], FRAME, (854, 480), LayoutOptions(margin=0.1)) == []

    pair = [text([0, 0, 2, 1], "a", 3), text([1.6, 0, 3.6, 1], "b", 4)]  # 20% overlap
    assert len(analyse([keyframe(pair)], FRAME, (854, 480), LayoutOptions())) == 1
    assert analyse([keyframe(pair)], FRAME, (854, 480), LayoutOptions(overlap_ratio=0.5)) == []

    half = [text([-7.11, -4, 0, 4], "big")]                        # half the frame
    assert [f.kind for f in analyse([keyframe(half)], FRAME, (854, 480),
                                    LayoutOptions(overfull_ratio=0.4))] == ["overfull_frame"]
    three = [text([i * 2 - 6, 0, i * 2 - 5, 1], f"t{i}", i) for i in range(3)]
    assert [f.kind for f in analyse([keyframe(three)], FRAME, (854, 480),
                                    LayoutOptions(max_texts=2))] == ["overfull_frame"]

    coarse = analyse([keyframe(poking)], FRAME, (854, 480), LayoutOptions(columns=4, rows=2))
    assert coarse[0].cells == "D1"          # the box x 6..7.11, y 0..1 in a 4x2 grid
    fine = analyse([keyframe(poking)], FRAME, (854, 480), LayoutOptions(columns=8, rows=6))
    assert fine[0].cells == "H3"
