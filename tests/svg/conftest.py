"""Fixtures for the visioncode-svg tests: real cairosvg and resvg, no mocks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from visioncode import Execution, Rendering, RenderSpec
from visioncode_svg import CairoSvgRenderer, ResvgRenderer, SvgExecutor

ENGINES = {"cairosvg": CairoSvgRenderer, "resvg": ResvgRenderer}


@pytest.fixture(scope="session")
def executor() -> SvgExecutor:
    return SvgExecutor()


@pytest.fixture(scope="session")
def renderers() -> Iterator[dict[str, CairoSvgRenderer | ResvgRenderer]]:
    """One warm renderer per engine for the whole session."""
    made = {name: cls() for name, cls in ENGINES.items()}
    yield made
    for r in made.values():
        r.close()


@pytest.fixture(params=sorted(ENGINES))
def renderer(request: pytest.FixtureRequest, renderers: dict) -> CairoSvgRenderer | ResvgRenderer:
    return renderers[request.param]


def execute(executor: SvgExecutor, svg: str, workdir: Path) -> Execution:
    ex = executor.execute(svg, workdir)
    assert ex.status == "ok", ex.error
    return ex


def render_svg(
    executor: SvgExecutor, renderer: CairoSvgRenderer | ResvgRenderer, svg: str, workdir: Path,
    **spec: object,
) -> tuple[Rendering, Image.Image]:
    """Execute and render `svg`; return the Rendering and the loaded RGBA image."""
    ex = execute(executor, svg, workdir / "exec")
    r = renderer.render(ex, RenderSpec(**spec), workdir / "render")
    assert r.status == "ok", r.error
    assert r.image is not None
    with Image.open(r.image) as im:
        return r, im.convert("RGBA")
