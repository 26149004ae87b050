"""Fixtures for the visioncode-manim tests: real Manim in the real warm worker pool."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from visioncode import Limits, Rendering, RenderSpec
from visioncode_manim.executor import ManimExecutor
from visioncode_manim.renderer import ManimRenderer

#: Small and fast: every test scene renders at this size.
SPEC = RenderSpec(width=320, height=180, fps=10)


def scene(body: str, name: str = "S", header: str = "from manim import *\n") -> str:
    """A program with one Scene class whose construct() is `body` (dedented lines)."""
    lines = "\n".join("        " + line for line in body.strip("\n").splitlines())
    return f"{header}\nclass {name}(Scene):\n    def construct(self):\n{lines}\n"


@pytest.fixture(scope="session")
def renderer() -> Iterator[ManimRenderer]:
    """Two warm workers shared by the whole session (generous limits: 2 shared cores)."""
    r = ManimRenderer(ManimRenderer.Options(
        workers=2, limits=Limits(wall_time_s=20, memory_mb=3072, cpu_time_s=120,
                                 output_bytes=8192, processes=256)))
    yield r
    r.close()


def render(renderer: ManimRenderer, program: str, workdir: Path,
           spec: RenderSpec = SPEC) -> Rendering:
    execution = ManimExecutor().execute(program, workdir)
    assert execution.ok, execution.error
    return renderer.render(execution, spec, workdir)
