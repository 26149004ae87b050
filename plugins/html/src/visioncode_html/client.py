"""The framework side of the browser worker: one warm `visioncode.Worker` per process,
shared by the executor, the renderers and the metrics of a pipeline (so a pipeline
worker holds one browser, not one per component), and released when the last of them
closes.

`Limits.memory_mb` (RLIMIT_AS) is forced to None for this worker: Chromium reserves far
more address space than it uses and does not start under such a limit. Memory is bounded
by the worker's watchdog and V8's heap cap instead (see `watchdog.py`); `memory_mb` in
the request carries the limit there.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from visioncode import Limits, SandboxError, Worker

WORKER_MODULE = "visioncode_html.browser_worker"
#: Largest file taken from a job's folder (a screenshot, a frame, a DOM snapshot).
MAX_FILE_BYTES = 256 * 1024 * 1024
#: The parent waits this much longer than a job's own timeout before killing the worker:
#: the worker's watchdog answers first, with the precise reason.
PARENT_MARGIN_S = 20.0


class BrowserLimits(BaseModel):
    """Limits of one page job and of the browser worker."""

    model_config = ConfigDict(extra="forbid")
    timeout_s: float = Field(20.0, gt=0, description="seconds for one job (load, every "
                             "action, every screenshot); past it the browser is killed "
                             "and the sample fails as `timeout`")
    memory_mb: int | None = Field(2048, ge=256, description="most private resident memory "
                                  "(MiB) all browser processes together may use; past it "
                                  "the browser is killed and the sample fails as `memory`")
    network: bool = Field(False, description="give the worker process network access (the "
                          "browser still blocks every request and WebSocket itself)")
    startup_timeout_s: float = Field(120.0, gt=0, description="seconds allowed for "
                                     "starting the worker and launching Chromium")
    context_pool: bool = Field(True, description="prepare the next page's browser "
                               "context while the host handles this one's answer (off: "
                               "each page's context is made when the page comes; either "
                               "way no two pages share a context)")


@dataclass
class _Shared:
    worker: Worker
    folder: Path
    lock: threading.Lock
    users: int = 0


_SHARED: dict[tuple[bool, float], _Shared] = {}
_GLOBAL = threading.Lock()


class BrowserClient:
    """A handle on the process's shared browser worker. Thread-safe: jobs are serialised
    on the worker's lock."""

    def __init__(self, limits: BrowserLimits) -> None:
        self.limits = limits
        key = (limits.network, limits.startup_timeout_s)
        with _GLOBAL:
            shared = _SHARED.get(key)
            if shared is None:
                folder = Path(tempfile.mkdtemp(prefix="visioncode-html-"))
                sandbox = Limits(wall_time_s=limits.timeout_s + PARENT_MARGIN_S,
                                 memory_mb=None, open_files=8192, file_size_mb=512,
                                 network=limits.network, output_bytes=1_000_000)
                worker = Worker(WORKER_MODULE, sandbox, cwd=folder,
                                startup_timeout_s=limits.startup_timeout_s)
                shared = _SHARED[key] = _Shared(worker, folder, threading.Lock())
            shared.users += 1
        self._key = key
        self._shared: _Shared | None = shared

    @property
    def worker(self) -> Worker:
        if self._shared is None:
            raise RuntimeError("browser client is closed")
        return self._shared.worker

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run one page job. Never raises for the page's own faults: a worker that died or
        hung is killed (and replaced on the next job) and answered as a failed job."""
        if self._shared is None:
            raise RuntimeError("browser client is closed")
        timeout = float(request.get("timeout_s", self.limits.timeout_s))
        target = Path(request["out_dir"])
        # The worker writes into its own folder (the one place a confined sandbox surely
        # lets it write); the files are moved to `out_dir` here.
        job_dir = Path(tempfile.mkdtemp(prefix="job-", dir=self._shared.folder))
        request = {"timeout_s": timeout, "memory_mb": self.limits.memory_mb,
                   "pool": self.limits.context_pool, **request,
                   "html": str(Path(request["html"]).resolve()), "out_dir": str(job_dir)}
        try:
            with self._shared.lock:
                try:
                    answer = self.worker.call(request, timeout=timeout + PARENT_MARGIN_S)
                except SandboxError as exc:
                    status = "timeout" if exc.reason == "timeout" else (
                        "memory" if exc.reason == "memory" else "crashed")
                    return {"ok": True, "status": status, "steps": [], "replaced": True,
                            "reason": f"the browser worker {exc.reason}: {exc}"[:2000]}
            target.mkdir(parents=True, exist_ok=True)
            if answer.get("ok"):
                try:
                    _take_outputs(answer, job_dir, target)
                except UnsafeOutput as exc:
                    return {"ok": True, "status": "error", "steps": [],
                            "reason": f"the browser worker's answer was refused: {exc}"}
        finally:
            shutil.rmtree(job_dir, ignore_errors=True)
        if not answer.get("ok"):
            return {"ok": True, "status": "error", "steps": [],
                    "reason": f"browser worker failed ({answer.get('kind')}): "
                              f"{answer.get('error')}"}
        return answer

    def ping(self) -> dict[str, Any]:
        """Start the worker and browser if needed; their version."""
        assert self._shared is not None
        with self._shared.lock:
            return self.worker.call({"op": "ping"}, timeout=self.limits.startup_timeout_s)

    def close(self) -> None:
        with _GLOBAL:
            shared, self._shared = self._shared, None
            if shared is None:
                return
            shared.users -= 1
            if shared.users <= 0:
                _SHARED.pop(self._key, None)
                shared.worker.close()
                shutil.rmtree(shared.folder, ignore_errors=True)


@atexit.register
def _close_all() -> None:
    with _GLOBAL:
        for shared in _SHARED.values():
            shared.worker.close()
            shutil.rmtree(shared.folder, ignore_errors=True)
        _SHARED.clear()


class UnsafeOutput(RuntimeError):
    """A worker's answer named a file the host will not take."""


def take_file(job_dir: Path, name: str, dest: Path, max_bytes: int = MAX_FILE_BYTES) -> Path:
    """Copy `job_dir/name` to `dest`, trusting nothing about it: `name` must be a plain
    file name directly in the job's folder, opened without following a link, a regular
    file, at most `max_bytes`. The worker's answer is data; this is the one way a path in
    it becomes a file of the run."""
    if not name or "/" in name or name in (".", "..") or "\x00" in name:
        raise UnsafeOutput(f"the worker named {name!r}, not a file name in its job folder")
    dir_fd = os.open(job_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError as exc:
        raise UnsafeOutput(f"cannot take {name!r} from the job folder: {exc.strerror}") \
            from None
    finally:
        os.close(dir_fd)
    with os.fdopen(fd, "rb") as src:
        info = os.fstat(src.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeOutput(f"{name!r} in the job folder is not a regular file")
        if info.st_size > max_bytes:
            raise UnsafeOutput(f"{name!r} is {info.st_size} bytes, over {max_bytes}")
        with open(dest, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    return dest


def _take_outputs(answer: dict[str, Any], job_dir: Path, target: Path) -> None:
    """Bring the files an answer names (screenshots, DOM snapshots, frames) from the job
    folder to `target`, rewriting the answer's paths to the copies."""
    def take(path: Any) -> str:
        given = Path(str(path))
        if given.parent != job_dir:
            raise UnsafeOutput(f"the worker named {given}, outside its job folder")
        return str(take_file(job_dir, given.name, target / given.name))

    for step in [*answer.get("steps", []), answer.get("final") or {}]:
        for key in ("screenshot", "dom"):
            if step.get(key):
                step[key] = take(step[key])
    if answer.get("frames"):
        answer["frames"] = [take(p) for p in answer["frames"]]
