"""The bpy worker: one persistent process that imports bpy once and serves jobs.

Runs under the bpy interpreter (`.venv-blender/bin/python -m visioncode_bpy_worker`, with
this folder on PYTHONPATH) or inside a user's Blender (`blender -b --factory-startup
--python-exit-code 1 --python visioncode_bpy_worker.py`). Standard library and bpy only:
visioncode itself is not installed there.

Protocol (docs/blender.md has the full description): one JSON object per line each way.
The worker first answers `{"ready": true, ...}` once bpy is imported and the sandbox is in
place; then each request `{"op": ..., ...}` gets one answer `{"ok": true, ...}` or
`{"ok": false, "kind": ..., "error": ...}`. Answers travel on a private copy of stdout
(or on the fd named by VISIONCODE_BPY_PROTOCOL_FD, which a Blender launcher uses because
Blender prints its banner on stdout); fd 1 is pointed at stderr so nothing the program or
Blender prints can corrupt them.

Environment: VISIONCODE_BPY_SCRATCH, the only folder the worker may write (jobs use
`<scratch>/job`, Blender's temporary files `<scratch>/tmp`).
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import visioncode_bpy_guard as guard

PROTOCOL_VERSION = 1


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
    roots.add(f"/proc/{os.getpid()}")
    return sorted(os.path.realpath(r) for r in roots)


def main() -> None:
    proto = _protocol_stream()
    scratch = os.path.realpath(os.environ.get("VISIONCODE_BPY_SCRATCH") or os.getcwd())
    os.makedirs(os.path.join(scratch, "tmp"), exist_ok=True)
    os.makedirs(os.path.join(scratch, "job"), exist_ok=True)
    # Compiled shaders, kept across workers (the one writable folder outside scratch).
    cache = os.environ.get("VISIONCODE_BPY_CACHE")
    writable = [scratch, *([os.path.realpath(cache)] if cache else [])]
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
    try:
        landlock = guard.apply_landlock([*read, *guard.SYSTEM_READ],
                                         [*writable, *guard.SYSTEM_WRITE])
        landlock_error = None
    except OSError as exc:
        landlock, landlock_error = 0, str(exc)
    import bpy
    import visioncode_bpy_scene as scene

    scene.warm_up()
    audit.arm()
    hello = {"ready": True, "protocol": PROTOCOL_VERSION, "bpy": bpy.app.version_string,
             "landlock": landlock, "landlock_error": landlock_error, "pid": os.getpid(),
             "blender_binary": in_blender}
    _send(proto, hello)
    info = {k: v for k, v in hello.items() if k != "ready"}
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        started = time.perf_counter()
        try:
            request = json.loads(line)
            op = request.get("op")
            if op == "info":
                answer = {"ok": True, **info}
            elif op == "execute":
                answer = scene.execute(request)
            elif op == "render":
                answer = scene.render(request)
            elif op == "encode":
                answer = scene.encode(request)
            elif op == "crash":  # for tests: the worker dies as a segfault would
                os._exit(139)
            else:
                raise ValueError(f"unknown op {op!r}; expected info, execute, render, encode")
        except MemoryError:
            answer = {"ok": False, "kind": "MemoryError", "error": "memory limit exceeded"}
        except Exception as exc:
            answer = {"ok": False, "kind": type(exc).__name__, "error": str(exc)[:2000],
                      "traceback": traceback.format_exc(limit=8)[-4000:]}
        answer["worker_s"] = round(time.perf_counter() - started, 4)
        _send(proto, answer)


def _send(proto: object, answer: dict[str, object]) -> None:
    proto.write(json.dumps(answer, default=str).encode() + b"\n")  # type: ignore[attr-defined]
    proto.flush()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
