"""The static `manim` executor: extraction, syntax errors with lines, scene discovery."""

from __future__ import annotations

from pathlib import Path

from visioncode_manim.executor import ManimExecutor

TWO = """from manim import *

class Base(Scene):
    pass

class Intro(Base):
    def construct(self):
        self.wait()

class Helper:
    pass

class Outro(MovingCameraScene):
    def construct(self):
        self.wait()
"""


def test_scenes_are_found_in_order_through_local_bases(tmp_path: Path) -> None:
    ex = ManimExecutor().execute(TWO, tmp_path)
    assert ex.status == "ok"
    assert [s["name"] for s in ex.metadata["scenes"]] == ["Base", "Intro", "Outro"]
    assert ex.metadata["scenes"][1]["line"] == 6
    assert (tmp_path / "scene.py").read_text() == TWO
    assert ex.artifacts["scene"] == tmp_path / "scene.py"


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    ex = ManimExecutor().execute("from manim import *\nclass A(Scene):\n    def construct(self)\n"
                                 "        pass\n", tmp_path)
    assert ex.status == "syntax_error"
    assert ex.error is not None and ex.error.line == 3 and ex.error.kind == "SyntaxError"
    assert "line 3" in ex.error.describe()


def test_a_program_without_a_scene_is_refused(tmp_path: Path) -> None:
    ex = ManimExecutor().execute("from manim import *\nx = Circle()\n", tmp_path)
    assert ex.status == "no_scene"
    assert "Scene subclass" in ex.error.message


def test_extract_prefers_the_block_that_defines_a_scene() -> None:
    text = ("Install it:\n```bash\npip install manim\n```\nThen:\n```python\n"
            "from manim import *\nclass A(Scene):\n    def construct(self):\n"
            "        self.wait()\n```\n")
    got = ManimExecutor().extract(text)
    assert got.ok and got.program.startswith("from manim import *")
    assert "fenced block 2" in got.notes[0]
    assert ManimExecutor().extract("   ").status == "no_program"
