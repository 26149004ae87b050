"""Child side of the sandbox battery: a `Worker` that does what each hostile request asks."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from visioncode import serve


def handle(req: dict[str, Any]) -> dict[str, Any]:
    op = req["op"]
    if op == "echo":
        return {"ok": True, "value": req["value"]}
    if op == "hog":
        blob = bytearray(req["mb"] * 1024 * 1024)
        return {"ok": True, "size": len(blob)}
    if op == "crash":
        os._exit(3)
    if op == "daemon":  # double fork, new session, empty environment: outlive the job
        return _daemon(req)
    if op == "flood":
        chunk = "y" * 65536
        for _ in range(req["mb"] * 16):
            print(chunk)
        return {"ok": True}
    if op == "connect":
        try:
            socket.create_connection(("127.0.0.1", req["port"]), timeout=2).close()
            return {"ok": True, "connected": True}
        except OSError as exc:
            return {"ok": True, "connected": False, "error": str(exc)}
    if op == "write":
        try:
            Path(req["path"]).write_text("pwned")
            return {"ok": True, "error": None}
        except OSError as exc:
            return {"ok": True, "error": exc.strerror}
    if op == "read":
        return {"ok": True, "results": {p: _read(p) for p in req["paths"]}}
    if op == "write_file":
        Path(req["name"]).write_text(req["text"])
        return {"ok": True}
    if op == "spy":
        return {"ok": True, "results": _spy(os.getppid())}
    if op == "escape":
        return {"ok": True, "results": _escape()}
    if op == "corrupt":  # vandalise the interpreter this job was forked from
        global STATE
        STATE = "corrupted"
        sys.modules["json"] = None  # type: ignore[assignment]
        import builtins

        builtins.len = lambda obj: -1  # type: ignore[assignment]
        return {"ok": True, "state": STATE}
    if op == "state":
        import builtins
        import json

        return {"ok": True, "state": STATE, "json": json.dumps([1]),
                "len": builtins.len([1, 2])}
    if op == "env":
        return {"ok": True, "env": dict(os.environ), "cwd": os.getcwd()}
    raise ValueError(f"unknown op {op}")


#: Module state a job may try to corrupt for the jobs after it.
STATE = "pristine"

DAEMON = """
import os, sys, time
ready, target = sys.argv[1], sys.argv[2]
open(ready, "w").close()
while True:
    if target:
        try:
            with open(target, "w") as f:
                f.write("pwned")
        except OSError:
            pass
    time.sleep(0.01)
"""


def _daemon(req: dict[str, Any]) -> dict[str, Any]:
    ready = os.path.abspath(f"ready-{req['marker']}")
    argv = [sys.executable, "-c", DAEMON + f"# {req['marker']}", ready, req.get("target", "")]
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execve(sys.executable, argv, {})  # empty environment: no token to find
        os._exit(0)
    os.wait()
    while not os.path.exists(ready):  # the daemon says it runs
        time.sleep(0.01)
    return {"ok": True}


def _read(path: str) -> str:
    try:
        return Path(path).read_bytes().decode("latin-1")
    except OSError as exc:
        return str(exc.strerror)


def _attempt(action: Any) -> str:
    try:
        result = action()
    except OSError as exc:
        return str(exc.strerror)
    return f"done: {result!r}"[:200]


def _libc_call(name: str, *args: Any) -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    result = getattr(libc, name)(*args)
    if result == -1:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def _spy(zygote: int) -> dict[str, str]:
    """Everything a job might try against the process it was forked from."""
    buf = ctypes.create_string_buffer(64)

    class IoVec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

    local = IoVec(ctypes.cast(buf, ctypes.c_void_p), 64)
    remote = IoVec(id(STATE), 64)
    return {
        "ptrace_attach": _attempt(lambda: _libc_call("ptrace", 16, zygote, None, None)),
        "process_vm_readv": _attempt(lambda: _libc_call(
            "process_vm_readv", zygote, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)),
        "proc_mem": _attempt(lambda: Path(f"/proc/{zygote}/mem").open("rb").read(1)),
        "proc_environ": _attempt(lambda: Path(f"/proc/{zygote}/environ").read_bytes()),
        "kill_zygote": _attempt(lambda: os.kill(zygote, signal.SIGKILL)),
    }


def _escape() -> dict[str, str]:
    """New namespaces and mounts: the ways out of a file-system confinement."""
    newuser, newns, newpid = 0x10000000, 0x00020000, 0x20000000
    return {
        "unshare_user_mount": _attempt(lambda: _libc_call("unshare", newuser | newns)),
        "unshare_pid": _attempt(lambda: _libc_call("unshare", newpid)),
        "mount_tmpfs": _attempt(lambda: _libc_call("mount", b"none", b"/tmp", b"tmpfs", 0,
                                                   None)),
        "setns": _attempt(lambda: _libc_call("setns", os.open("/proc/self/ns/mnt", os.O_RDONLY),
                                             0)),
        "keyctl": _attempt(lambda: _libc_call("syscall", 250, 0, -3, 0)),  # get @u
        "bpf": _attempt(lambda: _libc_call("syscall", 321, 0, None, 0)),
    }


if __name__ == "__main__":
    serve(handle)  # the default: a fresh walled child per job
