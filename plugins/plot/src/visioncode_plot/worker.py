"""Child side of the matplotlib executor and renderer: `python -m visioncode_plot.worker`.

Started by `visioncode.Worker` (the core sandbox: bubblewrap's read-only filesystem but its
folders, private PID and network namespaces, no capabilities, a pids cgroup, rlimits, an
environment without credentials). It imports matplotlib (Agg), NumPy and the tracer once,
builds the font cache, and then for each request **forks** a job process that runs one
program: the fork gives every job the same pristine, already-imported interpreter, and
whatever a program does to it (monkeypatching matplotlib, threads, rcParams, huge
allocations) dies with the job. The job process gets its own folder, process group,
rlimits (address space, CPU seconds), the audit hook of `guard`, and a wall clock; when it
ends, every process carrying the job's marker is killed. Model code never runs in this
process.

Request (one JSON line)::

    {"program": "<python>", "canvas": {"width": 640, "height": 480, "fit": "contain",
     "background": "#ffffff"} | null, "trace": true, "save": true, "max_figures": 8,
     "max_pixels": 16000000, "timeout_s": 30, "memory_mb": 2048, "cpu_s": 60,
     "output_bytes": 65536}

Answer: `{"ok": ..., "status": ..., "job_dir": ..., "figures": [...], "trace": {...},
"notes": [...], "error": {...}, "stdout": ..., "stderr": ..., "duration_s": ...}`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import resource
import secrets
import selectors
import signal
import sys
import time
from pathlib import Path
from typing import Any

SCRATCH_ENV = "VISIONCODE_PLOT_SCRATCH"
#: Set in each job's environment with a fresh token; whatever carries it afterwards dies.
JOB_ENV = "VISIONCODE_PLOT_JOB"
RESULT_CAP = 32 * 1024 * 1024

_jobs = itertools.count()
SCRATCH = Path(".")
READ_ROOTS: list[str] = []


class _Capped:
    def __init__(self, cap: int) -> None:
        self.cap, self.data, self.total = cap, bytearray(), 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if len(self.data) < self.cap:
            self.data += chunk[: self.cap - len(self.data)]

    def text(self) -> str:
        s = self.data.decode("utf-8", "replace")
        if self.total > len(self.data):
            s += f"\n[... {self.total - len(self.data)} more bytes dropped]"
        return s


def _child(request: dict[str, Any], job_dir: Path, marker: str, out_w: int, err_w: int,
           result_w: int) -> None:
    """In the forked job process: wall in, run, write the result, exit. Never returns."""
    code = 0
    try:
        os.setpgid(0, 0)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.closerange(3, result_w)
        os.closerange(result_w + 1, 65536)
        os.chdir(job_dir)
        name, _, token = marker.partition("=")
        os.environ.update({"HOME": str(job_dir), "TMPDIR": str(job_dir / "tmp"),
                           "MPLCONFIGDIR": str(job_dir / "mpl"), name: token})
        sys.stdout = open(1, "w", closefd=False, buffering=1)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False, buffering=1)  # noqa: SIM115
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        mb = 1024 * 1024
        if request.get("memory_mb"):
            resource.setrlimit(resource.RLIMIT_AS, (int(request["memory_mb"]) * mb,) * 2)
        if request.get("cpu_s"):
            cpu = int(request["cpu_s"])
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        from . import guard, job

        guard.install(job_dir, READ_ROOTS)
        try:
            result = job.run(request, job_dir)
        except MemoryError:
            result = {"ok": False, "status": "memory", "error": {
                "kind": "MemoryError", "message": "the program exceeded its memory limit",
                "line": None, "traceback": None}}
        data = json.dumps(result).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(result_w, view):]
    except BaseException:
        code = 70
        with contextlib.suppress(Exception):
            import traceback

            os.write(2, traceback.format_exc().encode()[-4000:])
    finally:
        os._exit(code)


def _processes_with(marker: str) -> list[int]:
    needle = marker.encode()
    found: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:  # a job process walled off from /proc: its cgroup is killed whole
        return found
    for entry in entries:
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if needle in fh.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def _kill_all(pid: int, marker: str) -> int:
    """Kill the job's process group and every process carrying its marker; returns how
    many survived (0 expected)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for _ in range(50):
        left = _processes_with(marker)
        if not left:
            return 0
        for p in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(p, signal.SIGKILL)
        time.sleep(0.01)
    return len(_processes_with(marker))


def _drain(fd: int, streams: dict[int, _Capped], sel: selectors.BaseSelector,
           open_fds: set[int], until_eof: bool = False) -> None:
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            if fd in open_fds:
                open_fds.discard(fd)
                with contextlib.suppress(KeyError, ValueError):
                    sel.unregister(fd)
            return
        streams[fd].add(chunk)
        if not until_eof:
            return


def handle(request: dict[str, Any]) -> dict[str, Any]:
    if request.get("ping"):
        return {"ok": True}
    started = time.perf_counter()
    token = secrets.token_hex(8)
    job_dir = SCRATCH / f"job-{next(_jobs)}-{token}"
    for folder in (job_dir, job_dir / "tmp", job_dir / "mpl"):
        folder.mkdir()
    marker = f"{JOB_ENV}={token}"
    timeout = float(request.get("timeout_s", 30))
    cap = int(request.get("output_bytes", 65536))
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    res_r, res_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        for fd in (out_r, err_r, res_r):
            os.close(fd)
        _child(request, job_dir, marker, out_w, err_w, res_w)
    for fd in (out_w, err_w, res_w):
        os.close(fd)
    streams = {out_r: _Capped(cap), err_r: _Capped(cap), res_r: _Capped(RESULT_CAP)}
    deadline = time.monotonic() + timeout
    timed_out = False
    status_code: int | None = None
    sel = selectors.DefaultSelector()
    for fd in streams:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    open_fds = set(streams)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            status_code = status
            break
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        for key, _ in sel.select(min(left, 0.05)):
            _drain(key.fd, streams, sel, open_fds)
    survivors = _kill_all(pid, marker)
    if status_code is None:
        _, status_code = os.waitpid(pid, 0)
    for fd in list(open_fds):
        _drain(fd, streams, sel, open_fds, until_eof=True)
    sel.close()
    for fd in streams:
        os.close(fd)
    answer: dict[str, Any] = {
        "job_dir": str(job_dir), "stdout": streams[out_r].text(),
        "stderr": streams[err_r].text(), "duration_s": time.perf_counter() - started,
        "survivors": survivors,
        "output_truncated": streams[out_r].total > cap or streams[err_r].total > cap}
    if timed_out:
        return {**answer, "ok": False, "status": "timeout", "error": {
            "kind": "Timeout", "line": None, "traceback": None,
            "message": f"the program did not finish within {timeout:g}s and was killed "
                       "(an endless loop, a blocking call, or too much work)"}}
    result = None
    raw = bytes(streams[res_r].data)
    if raw:
        with contextlib.suppress(json.JSONDecodeError):
            result = json.loads(raw)
    if not isinstance(result, dict):
        sig = os.WTERMSIG(status_code) if os.WIFSIGNALED(status_code) else None
        tail = streams[err_r].text()[-1500:]
        why = (f"killed by signal {signal.Signals(sig).name}" if sig
               else f"exited with code {os.WEXITSTATUS(status_code)}")
        if sig == signal.SIGXCPU:
            why += " (CPU time limit)"
        memory = "MemoryError" in tail or "bad_alloc" in tail
        return {**answer, "ok": False, "status": "memory" if memory else "crashed",
                "error": {"kind": "Crashed", "line": None, "traceback": None,
                          "message": f"the program's process {why} before reporting a "
                                     f"result; stderr ends with: {tail[-600:].strip()}"}}
    return {**answer, **result}


def main() -> None:
    global SCRATCH, READ_ROOTS
    SCRATCH = Path(os.environ.get(SCRATCH_ENV) or os.getcwd()).resolve()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    os.environ["MPLBACKEND"] = "Agg"
    os.environ.setdefault("MPLCONFIGDIR", str(SCRATCH / "mplconfig"))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy  # noqa: F401 (imported once, before any fork)
    from matplotlib import font_manager
    from matplotlib.backends import backend_agg, backend_pdf  # noqa: F401
    from PIL import Image  # noqa: F401

    from visioncode import serve

    from . import guard, job, trace  # noqa: F401

    font_manager.fontManager.findfont("DejaVu Sans")
    fig, ax = plt.subplots()  # warm the text and path machinery once
    ax.set_title("warm-up")
    fig.canvas.draw()
    plt.close("all")
    READ_ROOTS = guard.library_roots(SCRATCH)
    serve(handle)


if __name__ == "__main__":
    main()
