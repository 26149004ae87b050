"""Host side of the chart worker: a pool of warm sandboxed workers, the typed answer, and
taking the figures a job left.

The executor, the renderer and the ChartMimic metric each hold a `ChartPool`. A job's
answer is data from a process that ran model code: it is validated into `JobAnswer`
(`visioncode.parse_answer`), and figure files are copied out of the job's folder only
through `visioncode.take_file` (a regular, single-linked file strictly inside the job
folder, no link followed, size-capped), after which the job folder is removed.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from visioncode import Limits, SandboxError, Worker, parse_answer, take_file

from .worker import SCRATCH_ENV

WORKER_MODULE = "visioncode_plot.worker"
MAX_FIGURE_BYTES = 64 * 1024 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobError(_Strict):
    kind: str = Field(max_length=200)
    message: str = Field(max_length=20_000)
    line: int | None = None
    traceback: str | None = Field(None, max_length=20_000)


class FigureInfo(_Strict):
    number: int
    file: str | None = Field(None, max_length=64, pattern=r"^figure-\d+\.png$")
    width: int | None = Field(None, ge=1, le=65536)
    height: int | None = Field(None, ge=1, le=65536)
    dpi: float | None = None
    size_inches: list[float] = Field(default_factory=list, max_length=2)
    axes: int = Field(0, ge=0)


class LayoutCell(_Strict):
    nrows: int
    ncols: int
    row_start: int
    row_end: int
    col_start: int
    col_end: int


class ChartTrace(_Strict):
    """What a program drew, as ChartMimic's and Plot2Code's evaluators record it."""

    types: dict[str, int] = Field(default_factory=dict)
    colors: list[str] = Field(default_factory=list, max_length=10_000)
    layouts: list[list[LayoutCell]] = Field(default_factory=list)
    layout: list[LayoutCell] = Field(default_factory=list)
    texts: list[str] = Field(default_factory=list, max_length=10_000)
    plot2code_texts: list[tuple[str, float, float]] = Field(default_factory=list,
                                                           max_length=10_000)
    size_inches: list[float] | None = None
    truncated: bool = False


class JobAnswer(_Strict):
    ok: bool
    status: Literal["ok", "error", "syntax_error", "no_figure", "timeout", "memory",
                    "crashed"]
    job_dir: str | None = None
    figures: list[FigureInfo] = Field(default_factory=list, max_length=64)
    current_figure: int | None = None
    trace: ChartTrace | None = None
    notes: list[str] = Field(default_factory=list, max_length=200)
    savefig_calls: list[dict[str, Any]] = Field(default_factory=list, max_length=100)
    error: JobError | None = None
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    survivors: int = 0
    output_truncated: bool = False


class ChartPool:
    """`workers` warm chart workers, each started on first use, each with its own scratch
    folder; `run` hands a request to a free one from a long-lived thread (a sandboxed child
    is tied to the thread that started it)."""

    def __init__(self, workers: int, limits: Limits, startup_timeout_s: float = 120.0,
                 env: dict[str, str] | None = None) -> None:
        self.size, self.limits, self.startup_timeout_s = workers, limits, startup_timeout_s
        self.env = dict(env or {})
        self._lock = threading.Lock()
        self._free: queue.Queue[tuple[Worker, Path]] | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._release: weakref.finalize[Any, Any] | None = None

    def _pool(self) -> tuple[queue.Queue[tuple[Worker, Path]], ThreadPoolExecutor]:
        with self._lock:
            if self._free is None or self._threads is None:
                self._free = queue.Queue()
                self._threads = ThreadPoolExecutor(self.size, thread_name_prefix="plot")
                worker_limits = Limits(
                    wall_time_s=self.limits.wall_time_s + 30, memory_mb=None,
                    cpu_time_s=None, file_size_mb=self.limits.file_size_mb,
                    open_files=1024, output_bytes=max(self.limits.output_bytes, 65536),
                    network=False, processes=self.limits.processes,
                    writable=self.limits.writable)
                members = []
                for _ in range(self.size):
                    scratch = Path(tempfile.mkdtemp(prefix="visioncode-plot-"))
                    os.chmod(scratch, 0o755)
                    worker = Worker(WORKER_MODULE, worker_limits, cwd=scratch,
                                    env={**self.env, SCRATCH_ENV: str(scratch)},
                                    startup_timeout_s=self.startup_timeout_s)
                    members.append((worker, scratch))
                    self._free.put((worker, scratch))
                self._release = weakref.finalize(self, _release, members, self._threads)
            return self._free, self._threads

    def warm_up(self) -> None:
        """Start every worker now (benchmarks; otherwise they start on first use)."""
        free, threads = self._pool()
        members = [free.get() for _ in range(self.size)]
        try:
            list(threads.map(lambda m: m[0].call({"ping": True}), members))
        finally:
            for m in members:
                free.put(m)

    def run(self, request: dict[str, Any], take_to: Path | None = None) -> JobAnswer:
        """Run one job; copy its figures into `take_to` (figure `file` names are then
        paths there). Sandbox failures come back as answers with their status."""
        free, threads = self._pool()
        return threads.submit(self._run, free, request, take_to).result()

    def _run(self, free: queue.Queue[tuple[Worker, Path]], request: dict[str, Any],
             take_to: Path | None) -> JobAnswer:
        worker, scratch = free.get()
        job_dir: Path | None = None
        try:
            limits = self.limits
            full = {"timeout_s": limits.wall_time_s, "memory_mb": limits.memory_mb,
                    "cpu_s": limits.cpu_time_s, "output_bytes": limits.output_bytes,
                    **request}
            try:
                raw = worker.call(full, timeout=limits.wall_time_s + 20)
            except SandboxError as exc:
                status = "timeout" if exc.reason == "timeout" else (
                    "memory" if exc.reason == "memory" else "crashed")
                return JobAnswer(ok=False, status=status, error=JobError(
                    kind=f"Worker{exc.reason.capitalize()}", message=str(exc)[:20_000]))
            if isinstance(raw, dict) and raw.get("job_dir"):
                candidate = Path(str(raw["job_dir"]))
                if candidate.parent.resolve() == scratch.resolve():
                    job_dir = candidate
            try:
                answer = parse_answer(JobAnswer, raw)
            except SandboxError as exc:
                return JobAnswer(ok=False, status="crashed", error=JobError(
                    kind="BadAnswer", message=str(exc)[:20_000]))
            if take_to is not None and answer.ok:
                if job_dir is None:
                    return answer.model_copy(update={"ok": False, "status": "crashed",
                                                     "error": JobError(kind="BadAnswer",
                                                     message="the job folder is unknown")})
                take_to.mkdir(parents=True, exist_ok=True)
                figures = []
                for fig in answer.figures:
                    if fig.file is None:
                        figures.append(fig)
                        continue
                    try:
                        dest = take_file(job_dir, fig.file, take_to / fig.file,
                                         max_bytes=MAX_FIGURE_BYTES)
                    except SandboxError as exc:
                        return answer.model_copy(update={
                            "ok": False, "status": "error", "figures": [],
                            "error": JobError(kind="UnsafeOutput", message=str(exc))})
                    figures.append(fig.model_copy(update={"file": str(dest)}))
                answer = answer.model_copy(update={"figures": figures})
            return answer
        finally:
            if job_dir is not None:
                shutil.rmtree(job_dir, ignore_errors=True)
            free.put((worker, scratch))

    def close(self) -> None:
        with self._lock:
            if self._release is not None:
                self._release()
            self._free, self._threads, self._release = None, None, None


def _release(members: list[tuple[Worker, Path]], threads: ThreadPoolExecutor) -> None:
    for worker, scratch in members:
        worker.close()
        shutil.rmtree(scratch, ignore_errors=True)
    threads.shutdown(wait=False)


def default_limits() -> Limits:
    return Limits(wall_time_s=30, memory_mb=2048, cpu_time_s=60, output_bytes=65536,
                  processes=64)
