"""Child side of the sandbox battery: a `Worker` that does what each hostile request asks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
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
    if op == "daemon":  # a process in its own session that would outlive the job
        code = f"import time; time.sleep(120)  # {req['marker']}"
        subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return {"ok": True}
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
    raise ValueError(f"unknown op {op}")


if __name__ == "__main__":
    serve(handle)
