"""The core's contract suites run against every visioncode-manim component."""

from __future__ import annotations

from pathlib import Path

import pytest

from visioncode import Execution
from visioncode.testing import (
    ExecutorContract,
    MetricContract,
    RendererContract,
    VisualPrompterContract,
)
from visioncode_manim.anchor_grid import AnchorGridPrompter
from visioncode_manim.executor import ManimExecutor
from visioncode_manim.layout import LayoutMetric
from visioncode_manim.renderer import ManimRenderer
from visioncode_manim.sections_metric import SectionsMetric

from .conftest import scene

DRAWS = scene("self.add(Circle(radius=3, fill_opacity=1, color=RED))\n"
              "self.play(FadeIn(Square(side_length=4, fill_opacity=1, color=BLUE)), "
              "run_time=0.2)")
EMPTY = scene("pass")


def execution(program: str, workdir: Path) -> Execution:
    done = ManimExecutor().execute(program, workdir)
    assert done.ok, done.error
    return done


class TestManimExecutor(ExecutorContract):
    component = ManimExecutor
    name = "manim"
    program = DRAWS
    fence = "python"
    bad_programs = {"from manim import *\nclass A(Scene)\n    pass\n": "syntax_error",
                    "import math\nprint(math.pi)\n": "no_scene"}
    no_time_limit_reason = ("the manim executor only parses the program (nothing runs); "
                            "the renderer enforces each scene's time limit "
                            "(tests/manim/test_render.py)")


@pytest.mark.slow
class TestManimRenderer(RendererContract):
    component = ManimRenderer
    name = "manim"
    artifact_roles = ("scene",)
    supports_transparency = False
    no_transparency_reason = ("the manim renderer writes H.264 mp4 sections, which have no "
                              "alpha channel; a transparent background is drawn black")

    @pytest.fixture
    def subject(self, renderer: ManimRenderer) -> ManimRenderer:
        return renderer  # the session's warm pool, instead of a new one per check

    def execution(self, workdir: Path) -> Execution:
        return execution(DRAWS, workdir)

    def empty_execution(self, workdir: Path) -> Execution:
        return execution(EMPTY, workdir)


class TestAnchorGrid(VisualPrompterContract):
    component = AnchorGridPrompter
    name = "anchor-grid"


class TestLayout(MetricContract):
    component = LayoutMetric
    name = "layout"
    compares_images = False
    program = DRAWS


class TestSections(MetricContract):
    component = SectionsMetric
    name = "manim-sections"
    compares_images = False
    program = DRAWS
