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
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from visioncode import Limits, SandboxError, Worker

WORKER_MODULE = "visioncode_html.browser_worker"
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
        request = {"timeout_s": timeout, "memory_mb": self.limits.memory_mb, **request,
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
            for step in answer.get("steps", []):
                for key in ("screenshot", "dom"):
                    if step.get(key):
                        dest = target / Path(step[key]).name
                        shutil.move(step[key], dest)
                        step[key] = str(dest)
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
