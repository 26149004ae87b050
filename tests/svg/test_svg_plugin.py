"""The distribution as visioncode sees it: entry points and a light import."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

from visioncode import CodeExecutor, Renderer


def test_entry_points_load_the_components() -> None:
    expected = {
        ("visioncode.executors", "svg"): CodeExecutor,
        ("visioncode.renderers", "cairosvg"): Renderer,
        ("visioncode.renderers", "resvg"): Renderer,
    }
    for (group, name), base in expected.items():
        (ep,) = entry_points(group=group, name=name)
        assert ep.dist is not None and ep.dist.name == "visioncode-svg"
        cls = ep.load()
        assert issubclass(cls, base) and cls.__doc__


def test_import_does_not_load_rendering_libraries() -> None:
    code = ("import sys, visioncode_svg; "
            "print(sorted(m for m in ('cairosvg', 'resvg_py') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
