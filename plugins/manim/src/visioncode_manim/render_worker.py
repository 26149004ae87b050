"""Child side of the `manim` renderer: `python -m visioncode_manim.render_worker`.

Started by `visioncode.Worker` (bubblewrap where available: read-only filesystem but its
folders, private PID and network namespaces, no capabilities, a pids cgroup, rlimits, no
credentials in the environment). It imports Manim once, warms the font machinery with a
throw-away `Text`, and then, for each request, **forks** a child that renders one scene
under the audit hook of `guard`. The fork is what makes a warm
worker safe and leak-free: each scene starts from the same pristine, already-imported
state (Manim's global `config` included, which the scene also only changes inside a
`tempconfig`), and whatever a scene does to the interpreter (monkeypatching Manim,
threads, huge allocations) dies with its child. The worker enforces the scene's wall
time, CPU time, memory and output caps, and kills every process the scene started.

Request (one JSON line)::

    {"scene": "Intro", "program": "<python>", "width": 854, "height": 480, "fps": 15,
     "background": "#000000", "keyframe_rate": 0, "timeout_s": 60, "memory_mb": 2048,
     "cpu_s": 120, "output_bytes": 65536}

Answer (validated by the host as `protocol.WorkerAnswer`): `{"ok": true, "status": "ok",
"job": <the scene's folder, a plain name>, "result": {...scene_job...},
"stdout": ..., "stderr": ..., "duration_s": ...}`, or `ok: false` with `status`
(`error`, `timeout`, `memory`, `crashed`) and `error` (kind, message, line, traceback).
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

SCRATCH_ENV = "VISIONCODE_MANIM_SCRATCH"
#: Set in a scene's environment (with a fresh token per scene): whatever carries it when
#: the scene is over is killed.
JOB_ENV = "VISIONCODE_MANIM_JOB"

#: `off` in the worker's environment (the renderer's `env` option, so an operator's
#: choice, never a program's): scenes run without the core's per-job children, the way
#: they ran before those existed. Only `benchmarks/manim_render.py --walls` sets it, to
#: measure what the walls cost a scene.
JOB_WALLS_ENV = "VISIONCODE_MANIM_JOB_WALLS"

_jobs = itertools.count()


def _scratch_root() -> Path:
    root = Path(os.environ.get(SCRATCH_ENV) or os.getcwd()).resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


#: The worker's scratch folder (set by main(); the renderer names it in SCRATCH_ENV).
SCRATCH = Path(".")


def _per_job() -> bool:
    """Whether this request runs in a job child of the core sandbox's own (its folder is
    not the worker's scratch folder)."""
    return Path.cwd().resolve() != SCRATCH.resolve()


def _job_base() -> Path:
    """Where this scene's folder is made: the folder of the job when the core sandbox
    runs each request in a fresh child of its own (its working folder, made for this job
    and for no other), else the worker's scratch folder. The answer names the scene's
    folder relative to it, and the host takes files from there, from nowhere else."""
    return Path.cwd().resolve() if _per_job() else SCRATCH


def _warm_up() -> None:
    """Import Manim and lay out one Text, so fonts are loaded before any fork."""
    from manim import Text, tempconfig

    warm = SCRATCH / "warm-up"
    with tempconfig({"media_dir": str(warm), "verbosity": "ERROR"}):
        Text("Ag warm-up")


class _Capped:
    """Keeps the first `cap` bytes of a stream and counts the rest."""

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
    """In the forked child: wall in, render, write the result, exit. Never returns."""
    code = 0
    try:
        os.setpgid(0, 0)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        # the worker's protocol pipes and everything else stay out of the scene's reach
        os.closerange(3, result_w)
        os.closerange(result_w + 1, 65536)
        os.chdir(job_dir)
        tmp = job_dir / "tmp"
        os.environ.update({"HOME": str(job_dir), "TMPDIR": str(tmp),
                           "XDG_CACHE_HOME": str(job_dir / "cache"),
                           "TEXMFVAR": str(job_dir / "texmf-var")})
        name, _, token = marker.partition("=")
        os.environ[name] = token
        sys.stdout = open(1, "w", closefd=False, buffering=1)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False, buffering=1)  # noqa: SIM115
        mb = 1024 * 1024
        memory = request.get("memory_mb")
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (int(memory) * mb,) * 2)
        cpu = request.get("cpu_s")
        if cpu:
            resource.setrlimit(resource.RLIMIT_CPU, (int(cpu), int(cpu) + 1))
        from . import guard, scene_job

        guard.install_audit_hook(job_dir, guard.library_roots())
        try:
            result = scene_job.render_scene(request, job_dir)
        except MemoryError:
            result = {"ok": False, "error": {"kind": "MemoryError", "message":
                      "the scene exceeded its memory limit", "line": None,
                      "traceback": None}}
        data = json.dumps(result).encode()
        view = memoryview(data)
        while view:
            written = os.write(result_w, view)
            view = view[written:]
    except BaseException:
        code = 70
        with contextlib.suppress(Exception):
            import traceback

            os.write(2, traceback.format_exc().encode()[-4000:])
    finally:
        os._exit(code)


def _kill_all(pid: int, marker: str) -> int:
    """Kill the scene's process group and every process carrying its marker. Returns
    how many survived (0 expected)."""
    from . import guard

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    return guard.kill_marked(marker)


def _own_cgroup_others() -> list[int]:
    """Processes other than this one in this job's own cgroup (the core sandbox gives
    each job one): what a scene left running outside its process group and without its
    marker (a daemon with a new session and an empty environment). Empty where the job
    has no cgroup of its own."""
    procs: list[str] = []
    with contextlib.suppress(OSError, StopIteration):
        with open("/proc/self/cgroup", encoding="ascii") as fh:
            line = next(x for x in fh.read().splitlines() if x.startswith("0::"))
        if line[3:].strip() not in ("", "/"):
            procs = [f"/sys/fs/cgroup{line[3:].strip()}/cgroup.procs"]
    if not procs:  # /proc/self hidden: the core names a job's cgroup after its folder
        import glob

        name = glob.escape(Path.cwd().name)
        for root in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/pids"):
            procs = glob.glob(f"{root}/visioncode/*/{name}/cgroup.procs")[:1]
            if procs:
                break
    pids: list[int] = []
    for path in procs:
        with contextlib.suppress(OSError, ValueError), open(path, encoding="ascii") as fh:
            pids += [int(p) for p in fh.read().split()]
    return [p for p in pids if p != os.getpid()]


def _kill_leftovers() -> list[int]:
    """Kill what `_own_cgroup_others` finds; return their pids."""
    found = _own_cgroup_others()
    for pid in found:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return found


def handle(request: dict[str, Any]) -> dict[str, Any]:
    if request.get("ping"):  # a start-up check: the worker is up and Manim imported
        return {"ok": True}
    started = time.perf_counter()
    token = secrets.token_hex(8)
    job_name = f"scene-{next(_jobs)}-{token}"
    job_dir = _job_base() / job_name
    job_dir.mkdir()
    (job_dir / "tmp").mkdir()
    (job_dir / "scene.py").write_text(request["program"], encoding="utf-8")
    marker = f"{JOB_ENV}={token}"
    timeout = float(request.get("timeout_s", 60))
    cap = int(request.get("output_bytes", 65536))
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    res_r, res_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(out_r)
        os.close(err_r)
        os.close(res_r)
        _child(request, job_dir, marker, out_w, err_w, res_w)
    for fd in (out_w, err_w, res_w):
        os.close(fd)
    streams = {out_r: _Capped(cap), err_r: _Capped(cap), res_r: _Capped(64 * 1024 * 1024)}
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
        if time.monotonic() > deadline:
            timed_out = True
            break
        for key, _ in sel.select(0.05):
            _drain(key.fd, streams, sel, open_fds)
    survivors = _kill_all(pid, marker)
    if status_code is None:
        _, status_code = os.waitpid(pid, 0)
    escaped = _kill_leftovers() if _per_job() else []
    for fd in list(open_fds):  # writers are all dead now: read what is left
        _drain(fd, streams, sel, open_fds, until_eof=True)
    sel.close()
    for fd in streams:
        os.close(fd)
    answer: dict[str, Any] = {
        "job": job_name, "stdout": streams[out_r].text(),
        "stderr": streams[err_r].text(), "duration_s": time.perf_counter() - started,
        "survivors": survivors,
        "output_truncated": streams[out_r].total > cap or streams[err_r].total > cap,
    }
    if escaped:
        return {**answer, "ok": False, "status": "error", "error": {
            "kind": "LeftProcesses", "line": None, "traceback": None,
            "message": f"the scene left {len(escaped)} process(es) running outside its "
                       "process group (a new session, an emptied environment); they were "
                       "killed with the scene's job, and the scene does not count"}}
    if timed_out:
        return {**answer, "ok": False, "status": "timeout", "error": {
            "kind": "Timeout", "line": None, "traceback": None,
            "message": f"the scene did not finish within {timeout:g}s and was killed "
                       "(an endless loop, or too many frames for the time allowed; a "
                       "legitimately long scene needs a higher "
                       "renderer.options.limits.wall_time_s, e.g. `--option "
                       "limits.wall_time_s=600` with `visioncode render`)"}}
    raw = bytes(streams[res_r].data)
    result = None
    if raw:
        with contextlib.suppress(json.JSONDecodeError):
            result = json.loads(raw)
    if not isinstance(result, dict):
        sig = os.WTERMSIG(status_code) if os.WIFSIGNALED(status_code) else None
        tail = streams[err_r].text()[-1500:]
        memory = sig in (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT) and (
            "MemoryError" in tail or "bad_alloc" in tail or "memory" in tail.lower())
        why = f"killed by signal {signal.Signals(sig).name}" if sig else \
            f"exited with code {os.WEXITSTATUS(status_code)}"
        if sig == signal.SIGXCPU:
            why += " (CPU time limit)"
        if sig == signal.SIGXFSZ:
            why += " (file size limit)"
        return {**answer, "ok": False, "status": "memory" if memory else "crashed",
                "error": {"kind": "Crashed", "line": None, "traceback": None,
                          "message": f"the scene's process {why} before reporting a "
                                     f"result; stderr ends with: {tail[-600:].strip()}"}}
    if not result.get("ok"):
        error = result.get("error") or {}
        state = "memory" if error.get("kind") == "MemoryError" else "error"
        return {**answer, "ok": False, "status": state, "error": error,
                "result": result}
    return {**answer, "ok": True, "status": "ok", "result": result}


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


def main() -> None:
    global SCRATCH
    SCRATCH = _scratch_root()
    import manim  # noqa: F401 (the point of a warm worker: import once)

    from visioncode import serve

    from . import scene_job  # noqa: F401

    _warm_up()
    if os.environ.get(JOB_WALLS_ENV) == "off":  # benchmarks/manim_render.py --walls only
        serve(handle)
        return
    try:  # every scene in a fresh, kernel-walled child of a zygote that never runs one
        serve(handle, per_job=True)
    except TypeError:  # a core without per-job children: the worker's own walls only
        serve(handle)


if __name__ == "__main__":
    main()
