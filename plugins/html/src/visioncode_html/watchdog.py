"""The browser worker's guard: kills the browser when a job runs past its deadline or the
browser's processes use more memory than allowed.

Why a watchdog and not the sandbox's rlimits: Chromium reserves terabytes of virtual
address space up front, so `RLIMIT_AS` (`Limits.memory_mb`) makes it fail to start; it is
set to None for the browser worker. What bounds memory instead is (1) V8's heap limit
(`--js-flags=--max-old-space-size`, a page past it crashes its renderer), and (2) this
thread, which sums the private resident memory (resident minus shared pages) of every
process under the worker every `interval_s` and kills the browser when the sum passes
the limit. And a page stuck in
`while (true) {}` blocks calls Playwright
cannot time out (an `evaluate` waits forever); the deadline kill unblocks them, because
every pending call fails once the browser is gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from pathlib import Path


def children(pid: int) -> list[int]:
    """Direct children of `pid`, from /proc/PID/task/*/children (no scan of /proc)."""
    out: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        with contextlib.suppress(OSError, ValueError):
            out.extend(int(p) for p in (task / "children").read_text().split())
    return out


def descendants(root: int) -> list[int]:
    """Pids of every live process under `root` (children, grandchildren, ...)."""
    out, todo = [], [root]
    while todo:
        for child in children(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def memory_mb(pids: list[int]) -> float:
    """Resident memory of `pids` that is not file-backed or shared (resident minus shared
    pages, from /proc/PID/statm), in MiB: what a page's own allocations grow. Shared
    libraries and the shared-memory buffers Chromium's processes pass between them would
    count once per process in a plain RSS sum, which grows with every process a page
    opens whatever it allocates; statm is also cheap to read, unlike smaps_rollup (PSS),
    which walks the page tables and slowed every page when polled."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/statm").read_text().split()
            total += max(0, int(fields[1]) - int(fields[2]))
    return total * _PAGE_MB


def browser_pids() -> list[int]:
    """The browser's processes: everything under this process except its direct children
    (the Playwright driver, which must survive so that a new browser can be launched)."""
    me = os.getpid()
    direct = set(children(me))
    return [p for p in descendants(me) if p not in direct]


def kill_browser() -> int:
    """SIGKILL every browser process; returns how many were signalled."""
    pids = browser_pids()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)


class Watchdog:
    """Armed around each job. `fired` is None, `"timeout"` or `"memory"`; `peak_mb` the
    highest memory seen during the job."""

    def __init__(self, interval_s: float = 0.2) -> None:
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._deadline: float | None = None
        self._limit_mb: float | None = None
        self.fired: str | None = None
        self.peak_mb = 0.0
        self._thread = threading.Thread(target=self._run, daemon=True, name="watchdog")
        self._thread.start()

    def arm(self, seconds: float, limit_mb: float | None) -> None:
        with self._lock:
            self._deadline = time.monotonic() + seconds
            self._limit_mb = limit_mb
            self.fired = None
            self.peak_mb = 0.0

    def disarm(self) -> str | None:
        with self._lock:
            self._deadline = None
            return self.fired

    def _run(self) -> None:
        while True:
            time.sleep(self.interval_s)
            with self._lock:
                deadline, limit = self._deadline, self._limit_mb
                if deadline is None or self.fired:
                    continue
            if time.monotonic() > deadline:
                self._fire("timeout")
                continue
            if limit is not None:
                used = memory_mb(descendants(os.getpid()))
                self.peak_mb = max(self.peak_mb, used)
                if used > limit:
                    self._fire("memory")

    def _fire(self, reason: str) -> None:
        with self._lock:
            if self._deadline is None:
                return
            self.fired = reason
        kill_browser()
