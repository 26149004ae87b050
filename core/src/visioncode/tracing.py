"""A cross-cutting plugin built on hook wrappers: times every component call and logs it.

It is registered by every pipeline and doubles as the example of how a third party adds
caching, budgets or tracing without touching components (`@hookimpl(wrapper=True)`)."""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

import structlog

from .hookspecs import hookimpl

log = structlog.get_logger()

Wrapped = Generator[None, Any, Any]


class TracePlugin:
    """Accumulates seconds per stage; the pipeline takes (and resets) them per sample."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def take(self) -> dict[str, float]:
        out, self.timings = self.timings, {}
        return {k: round(v, 6) for k, v in out.items()}

    def _time(self, stage: str) -> Wrapped:
        start = time.perf_counter()
        try:
            result = yield
        except BaseException as exc:
            log.warning("stage.raised", stage=stage, error=f"{type(exc).__name__}: {exc}")
            raise
        seconds = time.perf_counter() - start
        self.timings[stage] = self.timings.get(stage, 0.0) + seconds
        log.debug("stage.done", stage=stage, seconds=round(seconds, 4))
        return result

    @hookimpl(wrapper=True)
    def visioncode_generate(self) -> Wrapped:
        return (yield from self._time("generate"))

    @hookimpl(wrapper=True)
    def visioncode_extract(self) -> Wrapped:
        return (yield from self._time("extract"))

    @hookimpl(wrapper=True)
    def visioncode_execute(self) -> Wrapped:
        return (yield from self._time("execute"))

    @hookimpl(wrapper=True)
    def visioncode_render(self) -> Wrapped:
        return (yield from self._time("render"))

    @hookimpl(wrapper=True)
    def visioncode_visual_prompt(self) -> Wrapped:
        return (yield from self._time("visual_prompt"))

    @hookimpl(wrapper=True)
    def visioncode_score(self) -> Wrapped:
        return (yield from self._time("score"))
