"""What a run shows while it runs: a rich progress line on a terminal, plain progress
lines every `LINES_EVERY_S` seconds when stderr is not a terminal (CI logs, files: a bar
there would print nothing until the end), one JSON line per finished sample
(`--log-json`), or nothing (`--quiet`).

Both visible modes report the same `ProgressState`: samples done of total, how many
rendered, failed or crashed, the failures by the status of their last round (the stage
that failed: `no_program`, `render_error`, `timeout`, ...), renders served from the
render cache, throughput and the time left at that throughput, and (for samples run in
this process) how many are in each stage right now (`StageTracker`)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator
from typing import IO, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from .hookspecs import hookimpl
from .records import SampleRecord
from .render_cache import render_counts

Mode = Literal["bar", "lines", "json", "quiet"]
#: Seconds between two plain progress lines (`lines` mode); the first sample and the
#: last always get one.
LINES_EVERY_S = 10.0


class ProgressState(BaseModel):
    """The run so far, as the progress display and the JSON lines report it."""

    model_config = ConfigDict(extra="forbid")
    done: int = 0
    total: int = 0
    ok: int = 0
    failed: int = 0
    error: int = 0
    #: Samples by the status of their last round (`ok`, `no_program`, `render_error`...).
    statuses: dict[str, int] = Field(default_factory=dict)
    renders: int = 0
    render_cache_hits: int = 0
    elapsed_s: float = 0.0
    #: Component calls in flight per stage (samples run in this process only).
    in_flight: dict[str, int] = Field(default_factory=dict)
    #: Samples per second since the first sample was handed to the workers.
    per_second: float | None = None
    eta_s: float | None = None


class StageTracker:
    """A hook-wrapper plugin counting the component calls in flight per stage (how many
    samples are generating, executing, rendering, scoring right now). The runner
    registers it with the pipelines it builds in its own process (one worker, with or
    without threads); worker processes of a pool report only finished samples."""

    STAGES = ("generate", "execute", "render", "visual_prompt", "score")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now: Counter[str] = Counter()

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {k: self._now[k] for k in self.STAGES if self._now[k]}

    def _track(self, stage: str) -> Generator[None, Any, Any]:
        with self._lock:
            self._now[stage] += 1
        try:
            return (yield)
        finally:
            with self._lock:
                self._now[stage] -= 1

    @hookimpl(wrapper=True)
    def visioncode_generate(self) -> Generator[None, Any, Any]:
        return (yield from self._track("generate"))

    @hookimpl(wrapper=True)
    def visioncode_execute(self) -> Generator[None, Any, Any]:
        return (yield from self._track("execute"))

    @hookimpl(wrapper=True)
    def visioncode_render(self) -> Generator[None, Any, Any]:
        return (yield from self._track("render"))

    @hookimpl(wrapper=True)
    def visioncode_visual_prompt(self) -> Generator[None, Any, Any]:
        return (yield from self._track("visual_prompt"))

    @hookimpl(wrapper=True)
    def visioncode_score(self) -> Generator[None, Any, Any]:
        return (yield from self._track("score"))


class _StagesColumn(ProgressColumn):
    """The stages in flight, read live at every refresh."""

    def __init__(self, tracker: StageTracker | None) -> None:
        super().__init__()
        self.tracker = tracker

    def render(self, task: Task) -> Text:
        now = self.tracker.snapshot() if self.tracker else {}
        return Text(" ".join(f"{k} {v}" for k, v in now.items()), style="cyan")


def _status(record: SampleRecord) -> str:
    if record.status == "error" or not record.rounds:
        return "error"
    return record.rounds[-1].status


class RunProgress:
    """The `progress` callback of `Runner.run`; use it as a context manager."""

    def __init__(self, mode: Mode = "bar", console: Console | None = None,
                 stream: IO[str] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 tracker: StageTracker | None = None,
                 every_s: float = LINES_EVERY_S) -> None:
        self.mode = mode
        self.every_s = every_s
        self._last_line: float | None = None
        self.console = console or Console(stderr=True)
        self.stream = stream
        self.clock = clock
        self.tracker = tracker
        self.state = ProgressState()
        self._statuses: Counter[str] = Counter()
        self._start = clock()
        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[line]}"), _StagesColumn(tracker), TimeElapsedColumn(),
            console=self.console, disable=mode != "bar")
        self._task = self._bar.add_task("samples", total=None, line="")

    def __enter__(self) -> RunProgress:
        self._start = self.clock()
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def __call__(self, record: SampleRecord, i: int, total: int) -> None:
        s = self.state
        s.done, s.total = i, total
        setattr(s, record.status, getattr(s, record.status) + 1)
        self._statuses[_status(record)] += 1
        s.statuses = dict(sorted(self._statuses.items()))
        renders, hits = render_counts([record])
        s.renders += renders
        s.render_cache_hits += hits
        s.in_flight = self.tracker.snapshot() if self.tracker else {}
        s.elapsed_s = round(self.clock() - self._start, 3)
        s.per_second = round(s.done / s.elapsed_s, 4) if s.elapsed_s > 0 else None
        s.eta_s = (round((s.total - s.done) / s.per_second, 1)
                   if s.per_second else None)
        if self.mode == "json":
            line = json.dumps({"event": "run.progress", **s.model_dump()})
            if self.stream is not None:
                self.stream.write(line + "\n")
                self.stream.flush()
            else:
                self.console.file.write(line + "\n")
                self.console.file.flush()
        elif self.mode == "lines":
            now = self.clock()
            if (self._last_line is None or i == total
                    or now - self._last_line >= self.every_s):
                self._last_line = now
                self._write(f"progress {i}/{total} | {self.describe()} | "
                            f"elapsed {_duration(s.elapsed_s)}")
        elif self.mode == "bar":
            self._bar.update(self._task, completed=i, total=total, line=self.describe())

    def _write(self, line: str) -> None:
        stream = self.stream if self.stream is not None else self.console.file
        stream.write(line + "\n")
        stream.flush()

    def describe(self) -> str:
        """The bar's text: outcomes, failing stages, cache hits, throughput, time left."""
        s = self.state
        parts = [f"ok {s.ok} failed {s.failed} error {s.error}"]
        bad = {k: v for k, v in s.statuses.items() if k != "ok"}
        if bad:
            parts.append(", ".join(f"{k} {v}" for k, v in bad.items()))
        if s.render_cache_hits:
            parts.append(f"cached renders {s.render_cache_hits}/{s.renders}")
        if s.per_second:
            parts.append(f"{s.per_second:.2f}/s")
        if s.eta_s is not None:
            parts.append(f"ETA {_duration(s.eta_s)}")
        return " | ".join(parts)


def _duration(seconds: float) -> str:
    whole: int = round(seconds)
    h, rest = divmod(whole, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
