"""`visioncode render` with the manim renderer: Manim's own canvas, the video beside the
image, renderer options from the command line, many files in one process."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from visioncode.cli import main

from .conftest import scene

pytestmark = pytest.mark.slow

STILL = scene('self.add(Text("Hello").to_edge(UP))\nself.add(Square(side_length=2))',
              name="Still")
MOVING = scene("self.play(Create(Circle()), run_time=0.5)", name="Moving")


def test_defaults_are_manims_own_canvas(tmp_path: Path) -> None:
    program = tmp_path / "held.py"
    program.write_text(STILL)
    result = CliRunner().invoke(main, ["render", str(program), "--renderer", "manim"])
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "held.png") as im:
        assert im.size == (1920, 1080)  # `manim render` with no flags: 16:9, full HD
        rgb = im.convert("RGB")
        assert rgb.getpixel((5, 5)) == (0, 0, 0)  # black, not white
        # Manim's default white text is visible: the title is drawn in white at the top
        top = rgb.crop((700, 0, 1220, 200))
        assert np.asarray(top)[..., 0].max() > 200
    assert not (tmp_path / "held.mp4").exists()  # a still scene has no video


def test_many_files_options_and_the_video_beside_the_image(tmp_path: Path) -> None:
    files = []
    for name, text in (("moving", MOVING), ("still", STILL), ("broken", "x = (")):
        files.append(tmp_path / f"{name}.py")
        files[-1].write_text(text)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "render", *map(str, files), "--renderer", "manim", "--out-dir", str(out),
        "--option", "quality=low", "--option", "limits.wall_time_s=90",
        "--background", "#102030"])
    # one file is broken: the others still render, and the command says it failed
    assert result.exit_code != 0
    assert "broken.py" in result.output and "1 of 3 files did not render" in str(
        result.exception or result.output)
    with Image.open(out / "moving.png") as im:
        assert im.size == (854, 480)  # quality=low is Manim's -ql
        assert im.convert("RGB").getpixel((3, 3)) == (16, 32, 48)
    with av.open(str(out / "moving.mp4")) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (854, 480)
        assert stream.average_rate == 15
    assert (out / "still.png").is_file() and not (out / "still.mp4").exists()
    assert not (out / "broken.png").exists()


def test_a_bad_option_names_the_field(tmp_path: Path) -> None:
    program = tmp_path / "s.py"
    program.write_text(STILL)
    result = CliRunner().invoke(main, ["render", str(program), "--renderer", "manim",
                                       "--option", "quality=ultra"])
    assert result.exit_code == 2
    assert "quality" in result.output
