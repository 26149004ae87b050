"""The bpy worker: a zygote that imports bpy once and runs every job in a fresh fork.

Runs under the bpy interpreter (`.venv-blender/bin/python -m visioncode_bpy_worker`, with
this folder on PYTHONPATH) or inside a user's Blender (`blender -b --factory-startup
--python-exit-code 1 --python visioncode_bpy_worker.py`). Standard library and bpy only:
visioncode itself is not installed there (the host names the file of its kernel walls,
`visioncode/sandbox/walls.py`, which is standard library only, and this worker loads it
by path; see `visioncode_bpy_walls`).

**Per job, not per worker.** The process that imported bpy never runs a program: for each
job it forks a child that puts up its walls before it looks at the request (its own
cgroup where the host delegated one, `no_new_privs`, Landlock narrowed to that job's
folder, seccomp, and no way to start a process), runs the one job, writes its one answer
on a pipe of its own and exits. Whatever a program patches (bpy, this module, the
function that writes the answer) dies with its child; the next job forks from the same
pristine, warm zygote, so factory resets are a second line of defence only. The zygote
enforces the job's wall time (`timeout_s`) and kills the child (and its cgroup) when it
is over; a job that crashes costs that job, not the worker. The zygote never creates a
GPU context (a fork of a process holding one hangs on Mesa's threads): every render,
Workbench and EEVEE ones included, happens in a job child.

Protocol (docs/blender.md has the full description): one JSON object per line each way.
The worker first answers `{"ready": true, ...}` once bpy is imported; then each request
`{"op": ..., "job": <the job's folder, made by the host>, ...}` gets one answer
`{"ok": true, ...}` or `{"ok": false, "kind": ..., "error": ...}`; files in answers are
named relative to the job's folder. Answers travel on a private copy of stdout (or on the
fd named by VISIONCODE_BPY_PROTOCOL_FD, which a Blender launcher uses because Blender
prints its banner on stdout); fd 1 is pointed at stderr so nothing the program or Blender
prints can corrupt them.

Environment: VISIONCODE_BPY_SCRATCH, the folder under which the host makes job folders
(`<scratch>/jobs/<job>`); Blender's temporary files go to `<scratch>/tmp`.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sys
import time
import traceback
import uuid
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import visioncode_bpy_guard as guard
import visioncode_bpy_walls as walls

PROTOCOL_VERSION = 2
#: Largest answer a job may send (scene summaries and object boxes are capped far below).
ANSWER_BYTES = 32 * 1024 * 1024
JOB_OPS = ("execute", "render", "encode", "crash")


def _protocol_stream() -> object:
    fd = os.environ.get("VISIONCODE_BPY_PROTOCOL_FD")
    proto = os.fdopen(int(fd) if fd else os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return proto


def _read_roots() -> list[str]:
    """What the worker may read: the interpreter, its packages, this folder."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(__file__)}
    roots.update(p for p in sys.path if p and os.path.isdir(p))
    roots.add(os.path.dirname(os.path.realpath(sys.executable)))
    return sorted(os.path.realpath(r) for r in roots)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


class Zygote:
    """Forks one walled child per job; never runs a program itself."""

    def __init__(self, scratch: str, read: list[str], cache: str | None,
                 audit: guard.AuditGuard, proto: object, job_walls: walls.Walls) -> None:
        self.scratch, self.cache = scratch, cache
        # a job reads its own folder, never the scratch folder above it (the other jobs'
        # folders; `python -m` puts the working folder, scratch, on sys.path)
        self.read = [r for r in read if not _inside(scratch, r)]
        self.jobs = os.path.join(scratch, "jobs")
        self.audit, self.proto = audit, proto
        self.walls = job_walls
        job_walls.prepare(self.job_read(), self.job_write())

    def job_read(self) -> list[str]:
        """What every job may read (besides its own folder)."""
        return self.read + list(guard.SYSTEM_READ)

    def job_write(self) -> list[str]:
        """What every job may write besides its own folder: the shader cache, devices."""
        return [*([self.cache] if self.cache else []), *guard.SYSTEM_WRITE]

    def job_folder(self, request: dict[str, Any]) -> str:
        """The host-made job folder the request names: a plain folder directly under
        `<scratch>/jobs` (never a link), or ValueError."""
        job = request.get("job")
        if not isinstance(job, str) or not job:
            raise ValueError("the request names no job folder")
        real = os.path.realpath(job)
        if os.path.dirname(real) != os.path.realpath(self.jobs) or os.path.islink(job) \
                or not os.path.isdir(real):
            raise ValueError(f"job folder {job!r} is not a folder under {self.jobs}")
        return real

    def run(self, request: dict[str, Any], handler: object) -> dict[str, Any]:
        job = self.job_folder(request)
        timeout = float(request.get("timeout_s") or 120)
        name = f"job-{uuid.uuid4().hex[:12]}"
        answer_r, answer_w = os.pipe()
        forked = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # the job child: never returns
            code = 70
            try:
                os.close(answer_r)
                self._child(job, name, request, answer_w, handler)
                code = 0
            except BaseException:
                with contextlib.suppress(BaseException):
                    os.write(2, traceback.format_exc().encode()[-4000:])
            finally:
                os._exit(code)
        os.close(answer_w)
        fork_s = time.perf_counter() - forked
        started = time.monotonic()
        data, timed_out = bytearray(), False
        try:
            while True:
                left = timeout - (time.monotonic() - started)
                if left <= 0:
                    timed_out = True
                    break
                ready, _, _ = select.select([answer_r], [], [], left)
                if not ready:
                    continue
                chunk = os.read(answer_r, 1 << 20)
                if not chunk:
                    break
                data += chunk
                if len(data) > ANSWER_BYTES:
                    break
        finally:
            os.close(answer_r)
            self.walls.kill_job(pid, name)
            _, status = os.waitpid(pid, 0)
            self.walls.remove_job(name)
        if timed_out:
            return {"ok": False, "kind": "Timeout", "timeout_s": timeout,
                    "error": f"the job did not finish within {timeout:g}s"}
        code = os.waitstatus_to_exitcode(status)
        if len(data) > ANSWER_BYTES:
            return {"ok": False, "kind": "BadAnswer",
                    "error": f"the job's answer is over {ANSWER_BYTES} bytes"}
        try:
            answer = json.loads(bytes(data)) if data else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            how = f"was killed by signal {signal.Signals(-code).name}" if code < 0 else \
                f"exited with code {code}"
            return {"ok": False, "kind": "Crashed", "exit_code": code,
                    "error": f"the job's process {how} before answering"}
        answer["fork_s"] = round(fork_s, 5)
        return answer

    def _child(self, job: str, name: str, request: dict[str, Any], answer_w: int,
               handler: object) -> None:
        """In the job child: walls first, then the one job, then the one answer."""
        entered = time.perf_counter()
        with contextlib.suppress(OSError):
            os.close(self.proto.fileno())  # type: ignore[attr-defined]
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # the host's request stream (later jobs' programs) is gone
        os.close(devnull)
        walls.die_with_parent()
        self.walls.join_job(name)
        home, tmp = os.path.join(job, "home"), os.path.join(job, "tmp")
        for folder in (home, tmp):
            os.makedirs(folder, exist_ok=True)
        os.chdir(job)
        os.environ.update({"HOME": home, "TMPDIR": tmp, "TMP": tmp, "TEMP": tmp})
        applied = self.walls.apply(self.job_read(), [job, *self.job_write()])
        self.audit.narrow(read=[job], write=[job])
        self.audit.arm()
        walls_s = time.perf_counter() - entered
        try:
            answer = handler(request)  # type: ignore[operator]
        except MemoryError:
            answer = {"ok": False, "kind": "MemoryError", "error": "memory limit exceeded"}
        except Exception as exc:
            answer = {"ok": False, "kind": type(exc).__name__, "error": str(exc)[:2000],
                      "traceback": traceback.format_exc(limit=8)[-4000:]}
        answer["walls"] = applied
        answer["walls_s"] = round(walls_s, 5)
        data = json.dumps(answer, default=str).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(answer_w, view):]
        os.close(answer_w)


def main() -> None:
    proto = _protocol_stream()
    scratch = os.path.realpath(os.environ.get("VISIONCODE_BPY_SCRATCH") or os.getcwd())
    for sub in ("tmp", "jobs"):
        os.makedirs(os.path.join(scratch, sub), exist_ok=True)
    # Compiled shaders, kept across workers (the one writable folder outside scratch).
    cache = os.environ.get("VISIONCODE_BPY_CACHE")
    cache = os.path.realpath(cache) if cache else None
    writable = [scratch, *([cache] if cache else [])]
    import numpy  # noqa: F401  (imports ctypes machinery before the guard is armed)

    in_blender = "bpy" in sys.modules
    read = _read_roots()
    if in_blender:  # a user's Blender: its own install folder holds its data files
        import bpy

        read.append(os.path.dirname(os.path.realpath(bpy.app.binary_path)))
    else:
        import importlib.util

        spec = importlib.util.find_spec("bpy")
        if spec and spec.origin:
            read.append(os.path.dirname(os.path.realpath(spec.origin)))
    audit = guard.AuditGuard(read, writable)
    job_walls = walls.Walls.load()
    # the zygote makes, kills and removes its jobs' cgroups
    zygote_writes = [*writable, *([job_walls.cgroup] if job_walls.cgroup else [])]
    try:  # the whole worker: a first, wider wall before bpy starts any thread
        landlock = guard.apply_landlock([*read, *guard.SYSTEM_READ],
                                         [*zygote_writes, *guard.SYSTEM_WRITE])
        landlock_error = None
    except OSError as exc:
        landlock, landlock_error = 0, str(exc)
    import bpy
    import visioncode_bpy_scene as scene

    scene.warm_up()
    zygote = Zygote(scratch, read, cache, audit, proto, job_walls)
    hello = {"ready": True, "protocol": PROTOCOL_VERSION, "bpy": bpy.app.version_string,
             "landlock": landlock, "landlock_error": landlock_error, "pid": os.getpid(),
             "blender_binary": in_blender, "per_job_fork": True,
             "job_walls": zygote.walls.names(), "walls_error": zygote.walls.error}
    _send(proto, hello)
    info = {k: v for k, v in hello.items() if k != "ready"}
    handlers = {"execute": scene.execute, "render": scene.render, "encode": scene.encode,
                "crash": _crash}
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        started = time.perf_counter()
        try:
            request = json.loads(line)
            op = request.get("op")
            if op == "info":
                answer = {"ok": True, **info}
            elif op in JOB_OPS:
                answer = zygote.run(request, handlers[op])
            else:
                raise ValueError(f"unknown op {op!r}; expected info, execute, render, encode")
        except Exception as exc:
            answer = {"ok": False, "kind": type(exc).__name__, "error": str(exc)[:2000]}
        answer["worker_s"] = round(time.perf_counter() - started, 4)
        _send(proto, answer)


def _crash(request: dict[str, Any]) -> dict[str, Any]:
    """For tests: the job's process dies as a segfault would."""
    os._exit(139)


def _send(proto: object, answer: dict[str, object]) -> None:
    proto.write(json.dumps(answer, default=str).encode() + b"\n")  # type: ignore[attr-defined]
    proto.flush()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
