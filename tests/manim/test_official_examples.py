"""Manim's 27 official example scenes (ManimCommunity docs/source/examples.rst) all render
through the warm pool under the sandbox's walls: no legitimate scene is refused.

Small canvas (the conftest's 320x180 at 10 fps): what is proved is that every scene runs
to its end behind the walls (LaTeX, images from arrays, 3D, updaters, zoomed cameras), not
how it looks at full size; `benchmarks/manim_render.py --official` times them at -ql."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from visioncode import Limits
from visioncode_manim.renderer import ManimRenderer

from .conftest import render

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).parent / "official_examples"


@pytest.fixture(scope="module")
def patient() -> Iterator[ManimRenderer]:
    """Two workers with the renderer's default wall time: the LaTeX-heavy examples take
    tens of seconds on a loaded 2-core machine, which the session fixture's 20 s is not
    meant for."""
    r = ManimRenderer(ManimRenderer.Options(
        workers=2, limits=Limits(wall_time_s=ManimRenderer.Options().limits.wall_time_s,
                                 memory_mb=3072, output_bytes=8192)))
    yield r
    r.close()


def test_every_official_example_renders_behind_the_walls(patient: ManimRenderer,
                                                         tmp_path: Path) -> None:
    files = sorted(EXAMPLES.glob("*.py"))
    assert len(files) == 27

    def one(file: Path) -> tuple[str, str, str | None, list[str]]:
        r = render(patient, file.read_text(), tmp_path / file.stem)
        sections = r.metadata.get("sections") or [{}]
        return file.stem, r.status, r.error, sections[0].get("walls", [])

    with ThreadPoolExecutor(2) as pool:  # one scene per worker at a time
        results = list(pool.map(one, files))
    failed = [(name, status, error) for name, status, error, _ in results if status != "ok"]
    assert failed == [], failed
    for name, _, _, walls in results:
        assert "fork-per-job" in walls and any(w.startswith("landlock") for w in walls), \
            (name, walls)
