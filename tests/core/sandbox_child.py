"""Child side used by test_sandbox: a Worker that does what each request asks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any

from visioncode import serve


def handle(req: dict[str, Any]) -> dict[str, Any]:
    op = req["op"]
    if op == "echo":
        print("noise on stdout must not break the protocol")
        return {"ok": True, "value": req["value"], "pid": os.getpid()}
    if op == "sleep":
        time.sleep(req["seconds"])
        return {"ok": True}
    if op == "crash":
        os._exit(3)
    if op == "hog":
        blob = bytearray(req["mb"] * 1024 * 1024)
        return {"ok": True, "size": len(blob)}
    if op == "env":
        return {"ok": True, "env": dict(os.environ)}
    if op == "connect":
        try:
            socket.create_connection(("127.0.0.1", req["port"]), timeout=2).close()
            return {"ok": True, "connected": True}
        except OSError as exc:
            return {"ok": True, "connected": False, "error": str(exc)}
    if op == "spawn":  # a background process; answer once it runs (it says so itself)
        code = f"open('started', 'w').close(); import time; time.sleep(300)  # {req['marker']}"
        child = subprocess.Popen([sys.executable, "-c", code])
        while not os.path.exists("started"):  # the job's own folder is its cwd
            time.sleep(0.01)
        return {"ok": True, "child": child.pid, "running": True}
    raise ValueError(f"unknown op {op}")


if __name__ == "__main__":
    serve(handle)  # the default: a fresh walled child per job
