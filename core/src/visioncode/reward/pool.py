"""A pool of warm reward workers: one process per core, each holding a built `Scorer`.

Why not `concurrent.futures.ProcessPoolExecutor`: it cannot take back one task. Here the
parent gives each worker one completion at a time and watches a deadline per completion;
a worker that does not answer in time is killed with everything it started, the
completion gets the failure reward with status `timeout`, and a fresh worker takes its
place while the others go on. The primary limit is the renderer's and executor's own
wall time (set to `reward.timeout_s`, so a hang is killed where it happens and the worker
survives); the pool's deadline is the backstop for a component that ignores its limits.

Workers are plain subprocesses (`python -m visioncode.reward.worker`, see there why not
`multiprocessing`); messages both ways are JSON lines validated into the models of
`result.py`.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import TypeAdapter

from .result import RewardItem, RewardResult, WorkerDone, WorkerFailed, WorkerJob, WorkerReady

WORKER_MODULE = "visioncode.reward.worker"

log = structlog.get_logger()

_ANSWER: TypeAdapter[WorkerReady | WorkerDone | WorkerFailed] = TypeAdapter(
    WorkerReady | WorkerDone | WorkerFailed)
#: A worker that dies this many times in a row before it is ready means the config
#: cannot start (a component that crashes on start-up): the pool stops.
MAX_START_FAILURES = 3


class RewardWorkerError(RuntimeError):
    """The reward workers cannot start; the message carries the worker's error."""


@dataclass
class _Job:
    id: int
    item: RewardItem
    future: Future[RewardResult]
    started: float | None = None


@dataclass
class _Slot:
    index: int
    proc: subprocess.Popen[bytes]
    buffer: bytearray = field(default_factory=bytearray)
    ready: bool = False
    job: _Job | None = None
    deadline: float | None = None
    failures: int = 0
    spawned: float = field(default_factory=time.monotonic)


def _descendants(pid: int) -> list[int]:
    """Every live descendant of `pid` (from /proc), deepest last."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _kill_tree(pid: int) -> None:
    """SIGKILL a worker, its process group and every descendant (its render workers
    run in sessions of their own, which a group kill would miss)."""
    victims = _descendants(pid)
    for target in [pid, *victims]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(target, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class WorkerPool:
    """`workers` processes scoring `RewardItem`s; `submit` returns a Future per item."""

    def __init__(self, data: dict[str, Any], source: str | None, *, workers: int,
                 timeout_s: float, backstop_s: float) -> None:
        self._data, self._source = data, source
        self.workers = workers
        self.timeout_s, self.backstop_s = timeout_s, backstop_s
        self._lock = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._next_id = 0
        self._closing = False
        self._drain = True
        self.broken: str | None = None
        #: Futures to fail once the lock is released, with the reason.
        self._doomed: list[tuple[Future[RewardResult], str]] = []
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._slots = [self._spawn(i) for i in range(workers)]
        self._thread = threading.Thread(target=self._loop, name="reward-pool", daemon=True)
        self._thread.start()

    # -- public -------------------------------------------------------------------------

    def submit(self, item: RewardItem) -> Future[RewardResult]:
        future: Future[RewardResult] = Future()
        with self._lock:
            if self.broken is not None:
                future.set_exception(RewardWorkerError(self.broken))
                return future
            if self._closing:
                future.set_exception(RuntimeError("the reward pool is closed"))
                return future
            self._queue.append(_Job(self._next_id, item, future))
            self._next_id += 1
        self._wake()
        return future

    def withdraw(self, future: Future[RewardResult]) -> bool:
        """Take a job that has not started out of the queue; True when it was queued."""
        with self._lock:
            for job in self._queue:
                if job.future is future:
                    self._queue.remove(job)
                    return True
        return False

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def busy(self) -> int:
        return sum(1 for s in self._slots if s.job is not None)

    @property
    def ready(self) -> int:
        return sum(1 for s in self._slots if s.ready)

    def pids(self) -> list[int]:
        return [s.proc.pid for s in self._slots if s.proc.pid is not None]

    def close(self, drain: bool = True) -> None:
        """Stop: with `drain`, queued and running jobs finish first; without, they get a
        RuntimeError. Worker processes and their children are gone when it returns."""
        with self._lock:
            self._closing, self._drain = True, drain
        self._wake()
        self._thread.join()

    # -- dispatcher ---------------------------------------------------------------------

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"w")

    def _spawn(self, index: int, failures: int = 0) -> _Slot:
        # Its own session: the parent's Ctrl-C does not reach it (the parent stops it), and
        # one killpg takes the worker with whatever runs in its group.
        proc = subprocess.Popen([sys.executable, "-m", WORKER_MODULE], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, start_new_session=True)
        assert proc.stdin is not None and proc.stdout is not None
        os.set_blocking(proc.stdout.fileno(), False)
        try:
            proc.stdin.write(json.dumps({"data": self._data, "source": self._source}).encode()
                             + b"\n")
            proc.stdin.flush()
        except OSError:
            pass  # it died at once: its stdout's EOF says so
        return _Slot(index, proc, failures=failures)

    @staticmethod
    def _send(slot: _Slot, job: _Job) -> None:
        assert slot.proc.stdin is not None
        slot.proc.stdin.write(WorkerJob(job=job.id, item=job.item).model_dump_json().encode()
                              + b"\n")
        slot.proc.stdin.flush()

    @staticmethod
    def _read(slot: _Slot) -> list[bytes] | None:
        """Complete lines the worker has written, or None at end of file (it died)."""
        assert slot.proc.stdout is not None
        fd = slot.proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 1 << 20)
            except BlockingIOError:
                break
            except OSError:
                return None
            if not chunk:
                if slot.buffer.strip():
                    lines = bytes(slot.buffer).split(b"\n")
                    slot.buffer.clear()
                    return [line for line in lines if line.strip()] or None
                return None
            slot.buffer += chunk
        *lines, rest = bytes(slot.buffer).split(b"\n")
        slot.buffer[:] = rest
        return [line for line in lines if line.strip()]

    def _loop(self) -> None:
        try:
            while True:
                with self._lock:
                    if self._closing and (not self._drain or not self._queue) and \
                            all(s.job is None for s in self._slots):
                        break
                    self._assign()
                self._poll()
                self._fail_doomed()
        finally:
            self._fail_doomed()
            self._shutdown()

    def _assign(self) -> None:
        for slot in self._slots:
            if not self._queue:
                return
            if slot.ready and slot.job is None:
                job = self._queue.popleft()
                if job.future.cancelled():
                    continue
                try:
                    self._send(slot, job)
                except OSError:
                    self._queue.appendleft(job)
                    self._replace(slot, None)
                    continue
                job.started = time.monotonic()
                slot.job, slot.deadline = job, job.started + self.backstop_s

    def _poll(self) -> None:
        deadlines = [s.deadline for s in self._slots if s.deadline is not None]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        with selectors.DefaultSelector() as sel:
            sel.register(self._wake_r, selectors.EVENT_READ, None)
            for slot in self._slots:
                assert slot.proc.stdout is not None
                sel.register(slot.proc.stdout.fileno(), selectors.EVENT_READ, slot)
            events = sel.select(timeout)
        for key, _ in events:
            slot = key.data
            if slot is None:
                with contextlib.suppress(OSError):
                    while os.read(self._wake_r, 4096):
                        pass
                continue
            if slot not in self._slots:
                continue  # replaced meanwhile
            lines = self._read(slot)
            if lines is None:
                self._died(slot)
                continue
            for line in lines:
                try:
                    answer = _ANSWER.validate_json(line)
                except ValueError as exc:
                    log.error("reward.worker_garbage", worker=slot.index,
                              error=str(exc)[:200])
                    self._died(slot)
                    break
                self._handle(slot, answer)
        now = time.monotonic()
        for slot in list(self._slots):
            if slot.deadline is not None and now >= slot.deadline and slot.job is not None:
                job = slot.job
                log.warning("reward.worker_timeout", worker=slot.index,
                            sample_id=job.item.sample_id, seconds=self.backstop_s)
                self._finish(job, RewardResult(
                    sample_id=job.item.sample_id, reward=self._failure(), status="timeout",
                    reason=f"no result within {self.backstop_s:g}s; the worker was killed "
                           "and replaced",
                    duration_s=round(now - (job.started or now), 6)))
                with self._lock:
                    self._replace(slot, None)

    def _handle(self, slot: _Slot, answer: WorkerReady | WorkerDone | WorkerFailed) -> None:
        if isinstance(answer, WorkerReady):
            slot.ready, slot.failures = True, 0
        elif isinstance(answer, WorkerFailed):
            with self._lock:
                self._break(f"a reward worker could not start: {answer.error}")
        else:
            job = slot.job
            slot.job, slot.deadline = None, None
            if job is not None and job.id == answer.job:
                self._finish(job, answer.result)

    def _died(self, slot: _Slot) -> None:
        job = slot.job
        code = slot.proc.poll()
        if job is not None:
            log.warning("reward.worker_died", worker=slot.index, exitcode=code,
                        sample_id=job.item.sample_id)
            self._finish(job, RewardResult(
                sample_id=job.item.sample_id, reward=self._failure(), status="worker_died",
                reason=f"the worker process died on this completion (exit code {code}); "
                       "it was replaced",
                duration_s=round(time.monotonic() - (job.started or time.monotonic()), 6)))
        with self._lock:
            failures = slot.failures + (0 if slot.ready else 1)
            if failures >= MAX_START_FAILURES:
                self._break(f"a reward worker died {failures} times before it was ready "
                            f"(last exit code {code})")
                return
            self._replace(slot, None, failures)

    def _replace(self, slot: _Slot, job: _Job | None, failures: int = 0) -> None:
        """Kill `slot`'s process tree and start a new worker in its place."""
        if slot.proc.pid is not None:
            _kill_tree(slot.proc.pid)
        self._reap(slot)
        if self._closing and not self._drain:
            slot.job, slot.deadline, slot.ready = None, None, False
            return
        fresh = self._spawn(slot.index, failures)
        self._slots[self._slots.index(slot)] = fresh

    def _break(self, why: str) -> None:
        """The pool cannot work: every waiting job fails with the reason (after the lock
        is released: a future's callbacks may take their owner's locks)."""
        self.broken = why
        log.error("reward.pool_broken", error=why)
        while self._queue:
            self._doomed.append((self._queue.popleft().future, why))
        for slot in self._slots:
            if slot.job is not None:
                self._doomed.append((slot.job.future, why))
            slot.job, slot.deadline = None, None
        self._closing, self._drain = True, False

    def _fail_doomed(self) -> None:
        with self._lock:
            doomed, self._doomed = self._doomed, []
        for future, why in doomed:
            if not future.done():
                future.set_exception(RewardWorkerError(why))

    def _failure(self) -> float:
        reward = self._data.get("reward") or {}
        return float(reward.get("failure", -1.0))

    @staticmethod
    def _finish(job: _Job, result: RewardResult) -> None:
        if not job.future.done():
            job.future.set_result(result)

    def _shutdown(self) -> None:
        with self._lock:
            left = [job.future for job in self._queue]
            self._queue.clear()
        for future in left:
            if not future.done():
                future.set_exception(RuntimeError("the reward pool was closed"))
        for slot in self._slots:
            if slot.job is not None and not slot.job.future.done():
                slot.job.future.set_exception(RuntimeError("the reward pool was closed"))
            with contextlib.suppress(OSError):
                assert slot.proc.stdin is not None
                slot.proc.stdin.close()  # its loop ends: it closes its components
        for slot in self._slots:
            try:
                slot.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _kill_tree(slot.proc.pid)
            self._reap(slot)
        os.close(self._wake_r)
        os.close(self._wake_w)

    @staticmethod
    def _reap(slot: _Slot) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            slot.proc.wait(timeout=5)
        for stream in (slot.proc.stdin, slot.proc.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
