"""The `anchor-grid` prompter on a plain image and on a real Manim rendering."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from visioncode import Rendering
from visioncode_manim.anchor_grid import AnchorGridPrompter, pick_frames

from .conftest import render, scene


def test_a_plain_image_gets_a_grid_and_a_pixel_legend(tmp_path: Path) -> None:
    png = tmp_path / "in.png"
    Image.new("RGB", (400, 300), "white").save(png)
    rendering = Rendering(status="ok", renderer="any", images=[png])
    prompter = AnchorGridPrompter(AnchorGridPrompter.Options(columns=4, rows=3))
    out = prompter.prompt(rendering, tmp_path / "p")
    with Image.open(out.image) as im:
        assert im.size == (400, 300)
        assert im.convert("RGB").getpixel((100, 150))[0] > 200      # grid line colour
        assert im.convert("RGB").getpixel((170, 170)) == (255, 255, 255)
    assert "4 columns A..D" in out.legend and "B2=(150, 150)" in out.legend
    assert "Scene coordinates" not in out.legend
    assert [m["label"] for m in out.marks][:5] == ["A1", "B1", "C1", "D1", "A2"]
    assert out.marks[5]["pixels"] == [100, 100, 200, 200]


def test_pick_frames_keeps_first_and_last() -> None:
    assert pick_frames(3, 6) == [0, 1, 2]
    assert pick_frames(10, 4) == [0, 3, 6, 9]
    assert pick_frames(10, 1) == [9]


@pytest.mark.slow
def test_a_video_gets_a_contact_sheet_and_scene_coordinates(renderer, tmp_path: Path) -> None:
    program = scene("\n".join(f"self.play(FadeIn(Dot().shift(RIGHT * {i})), run_time=0.3)"
                              for i in range(8)))
    r = render(renderer, program, tmp_path)
    assert r.status == "ok", r.error
    out = AnchorGridPrompter().prompt(r, tmp_path / "p")
    with Image.open(out.image) as im:
        assert im.width > 3 * 320 and im.height > 2 * 180           # 3 x 2 panels
    # the blank first frame is left out: panels are the ends of animations
    assert out.legend.startswith("Contact sheet of 6 keyframes (#2 t=0.3s")
    assert ", #9 t=2.4s)" in out.legend.splitlines()[0]
    assert "Scene coordinates: x -7.11..7.11" in out.legend
    d2 = next(m for m in out.marks if m["label"] == "D2")
    assert d2["scene"] == pytest.approx([-1.7778, 1.3333, 0.0, 2.6667], abs=1e-3)


def test_grid_style_and_contact_sheet_options(tmp_path: Path) -> None:
    frames = []
    for i in range(5):
        path = tmp_path / f"k{i}.png"
        Image.new("RGB", (160, 90), "black").save(path)
        frames.append(path)
    rendering = Rendering(status="ok", renderer="manim", frames=frames, images=frames[-1:],
                          metadata={"keyframes": [{"time_s": i * 0.5} for i in range(5)]})
    prompter = AnchorGridPrompter(AnchorGridPrompter.Options(
        columns=4, rows=2, color="#00ff00", line_width=3, label_size=10, max_frames=2,
        sheet_columns=1))
    out = prompter.prompt(rendering, tmp_path / "p")
    with Image.open(out.image) as im:
        sheet = im.convert("RGB")
    assert sheet.width < 200 and sheet.height > 2 * 90          # 2 panels, one column
    assert out.legend.startswith("Contact sheet of 2 keyframes (#1 t=0.0s, #5 t=2.0s)")
    # the first panel's vertical line at x = 40 (+ 6 px margin) is 3 px wide and green
    panel_y = 6 + 22 + 45
    assert [sheet.getpixel((6 + x, panel_y)) for x in (39, 40, 41)] == [(0, 255, 0)] * 3
