"""The render worker process: crashes and timeouts cost one render, never the next."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from visioncode import Limits, RenderSpec
from visioncode_svg import CairoSvgRenderer, ResvgRenderer, SvgExecutor

from .conftest import ENGINES, execute

NS = 'xmlns="http://www.w3.org/2000/svg"'
SIMPLE = f'<svg {NS} viewBox="0 0 10 10"><rect width="5" height="5" fill="red"/></svg>'


def heavy_svg(segments: int = 120_000) -> str:
    """Passes the sanitiser (about 1 MB, 2 elements) but takes both libraries seconds."""
    pts = " ".join(f"L{(i * 37) % 1000} {(i * 91) % 1000}" for i in range(segments))
    return (f'<svg {NS} viewBox="0 0 1000 1000"><path d="M0 0 {pts}" stroke="black" '
            'stroke-width="3" fill="none"/></svg>')


@pytest.fixture(scope="module")
def heavy(tmp_path_factory: pytest.TempPathFactory):
    return execute(SvgExecutor(), heavy_svg(), tmp_path_factory.mktemp("heavy"))


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_crash_is_an_error_and_next_render_works(engine: str, heavy, tmp_path: Path) -> None:
    renderer = ENGINES[engine]()
    simple = execute(SvgExecutor(), SIMPLE, tmp_path / "simple")
    spec = RenderSpec(width=1000, height=1000)
    try:
        assert renderer.render(simple, spec, tmp_path / "r0").status == "ok"
        assert renderer.worker.pid is not None
        killer = threading.Timer(0.5, renderer.worker.kill)
        killer.start()
        r = renderer.render(heavy, spec, tmp_path / "r1")
        killer.join()
        assert r.status == "error" and r.error and "crashed" in r.error, r
        assert not (tmp_path / "r1" / "render.png").exists()
        again = renderer.render(simple, spec, tmp_path / "r2")
        assert again.status == "ok", again.error
        assert renderer.worker.started == 2
    finally:
        renderer.close()


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_timeout_is_reported_and_next_render_works(engine: str, heavy, tmp_path: Path) -> None:
    renderer = ENGINES[engine](ENGINES[engine].Options(
        limits=Limits(wall_time_s=2, memory_mb=1024)))
    simple = execute(SvgExecutor(), SIMPLE, tmp_path / "simple")
    spec = RenderSpec(width=1000, height=1000)
    try:
        assert renderer.render(simple, spec, tmp_path / "r0").status == "ok"
        r = renderer.render(heavy, spec, tmp_path / "r1")
        assert r.status == "timeout", r
        assert r.error and "within 2s" in r.error
        assert 1.5 < r.duration_s < 10
        again = renderer.render(simple, spec, tmp_path / "r2")
        assert again.status == "ok", again.error
    finally:
        renderer.close()


def test_memory_limit_is_an_error(tmp_path: Path) -> None:
    """A canvas too big for the worker's memory limit fails that render only."""
    renderer = ResvgRenderer(ResvgRenderer.Options(limits=Limits(wall_time_s=20, memory_mb=400)))
    simple = execute(SvgExecutor(), SIMPLE, tmp_path / "simple")
    try:
        r = renderer.render(simple, RenderSpec(width=12000, height=12000), tmp_path / "big")
        assert r.status == "error", r
        ok = renderer.render(simple, RenderSpec(width=64, height=64), tmp_path / "small")
        assert ok.status == "ok", ok.error
    finally:
        renderer.close()


def test_close_stops_the_worker_and_render_restarts_it(tmp_path: Path) -> None:
    renderer = CairoSvgRenderer()
    simple = execute(SvgExecutor(), SIMPLE, tmp_path / "simple")
    assert renderer.render(simple, RenderSpec(width=8, height=8), tmp_path / "a").ok
    worker = renderer.worker
    pid = worker.pid
    assert pid is not None
    renderer.close()
    assert worker.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    try:
        assert renderer.render(simple, RenderSpec(width=8, height=8), tmp_path / "b").ok
    finally:
        renderer.close()


@pytest.mark.parametrize("forged", [
    {"file": "../../etc/passwd"}, {"file": "/etc/passwd"}, {"width": "many"},
    {"extra": "field"}, {"version": "x" * 500},
])
def test_a_forged_answer_is_refused(forged: dict) -> None:
    """The answer is data: anything but a RenderAnswer naming the job's own render.png
    fails that render (`bad_answer`) and nothing of it is used."""
    from visioncode import SandboxError, parse_answer
    from visioncode_svg.protocol import RenderAnswer

    good = {"ok": True, "width": 8, "height": 8, "version": "resvg", "render_s": 0.1}
    assert parse_answer(RenderAnswer, good).file == "render.png"
    with pytest.raises(SandboxError) as caught:
        parse_answer(RenderAnswer, {**good, **forged})
    assert caught.value.reason == "bad_answer"


def test_the_request_carries_the_document_not_a_path(tmp_path: Path) -> None:
    """The worker's job reads nothing of the host's files: a request naming a path is
    refused by the request model, and the real request renders from its text."""
    from pydantic import ValidationError

    from visioncode_svg.protocol import RenderRequest

    with pytest.raises(ValidationError):
        RenderRequest.model_validate({"engine": "resvg", "svg": SIMPLE, "width": 8,
                                      "height": 8, "out": str(tmp_path / "x.png")})
    renderer = ResvgRenderer()
    try:
        ex = execute(SvgExecutor(), SIMPLE, tmp_path / "exec")
        r = renderer.render(ex, RenderSpec(width=8, height=8), tmp_path / "render")
        assert r.ok and (tmp_path / "render" / "render.png").is_file()
        assert not list(tmp_path.glob("render/*.part"))
    finally:
        renderer.close()
