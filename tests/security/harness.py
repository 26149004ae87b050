"""Shared tools of the security battery (tests/security): a listener that records every
connection a hostile program manages to make, a scan of /proc for processes that outlived
their sample, a canary folder outside every scratch dir, and `run_battery`, which runs a
pipeline with the real runner and returns its records.

Every executor's battery (SVG, Manim, HTML, Blender) uses these, so that "nothing arrived",
"nothing left running" and "nothing outside the scratch dir changed" mean the same thing
for all of them."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from visioncode.config import load_config
from visioncode.records import SampleRecord
from visioncode.runner import Runner
from visioncode.store import RunStore

#: The variable the batteries set to a unique value per run (`processes_with_env`); the
#: security tests' conftest puts it on the sandbox's environment allow-list.
RUN_MARKER_ENV = "VISIONCODE_BATTERY_RUN"

__all__ = ["RUN_MARKER_ENV", "Canary", "Listener", "outside_temp", "processes_matching",
           "processes_with_env", "run_battery", "wait_gone", "wait_gone_env"]


class Listener:
    """A TCP server on 127.0.0.1 (free port, background thread) that accepts every
    connection and records what it sends within `read_s` seconds: one `hits` entry per
    accepted connection (b"" when the peer connected but sent nothing). A sandboxed program
    that reaches it by HTTP, WebSocket or raw TCP leaves a hit; a test asserts `hits == []`.

    It never answers, so a client that did get through waits and times out instead of
    getting data back."""

    def __init__(self, read_s: float = 0.5) -> None:
        self.read_s = read_s
        self.hits: list[bytes] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def start(self) -> Listener:
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        thread = threading.Thread(target=self._accept, daemon=True, name="listener")
        thread.start()
        self._threads.append(thread)
        return self

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                index = len(self.hits)
                self.hits.append(b"")
            reader = threading.Thread(target=self._read, args=(conn, index), daemon=True)
            reader.start()
            self._threads.append(reader)

    def _read(self, conn: socket.socket, index: int) -> None:
        data = bytearray()
        deadline = time.monotonic() + self.read_s
        with conn:
            while (left := deadline - time.monotonic()) > 0 and len(data) < 1 << 20:
                conn.settimeout(left)
                try:
                    chunk = conn.recv(65536)
                except (TimeoutError, OSError):
                    break
                if not chunk:
                    break
                data += chunk
                with self._lock:
                    self.hits[index] = bytes(data)

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._sock.close()
        for thread in self._threads:
            thread.join(self.read_s + 1)

    def __enter__(self) -> Listener:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def processes_matching(marker: str) -> list[int]:
    """Pids of live processes (any parent, zombies excluded) whose command line contains
    `marker`. Put a unique marker in a hostile program's argv or script text (e.g. a
    `sleep` argument or a comment in a `python -c` string) to find what it left behind."""
    me = os.getpid()
    found = []
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and needle in cmdline.replace(b"\x00", b" "):
            found.append(int(entry.name))
    return sorted(found)


def wait_gone(marker: str, timeout_s: float = 5) -> list[int]:
    """Wait up to `timeout_s` for every process matching `marker` to exit; return the
    pids still alive then (an empty list is the passing answer)."""
    deadline = time.monotonic() + timeout_s
    while (left := processes_matching(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def processes_with_env(name: str, value: str) -> list[int]:
    """Pids of live processes (zombies excluded, this one too) whose environment holds
    `name=value`. Set a unique variable before a run (monkeypatch.setenv): every worker,
    sandboxed child and daemon of that run inherits it unless it clears its environment,
    so this finds what a run left behind even when other runs share the machine. The
    sandbox passes children an allow-listed environment: the name must be on it
    (`RUN_MARKER_ENV` is, through this folder's conftest)."""
    needle = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and needle in environ.split(b"\x00"):
            found.append(int(entry.name))
    return sorted(found)


def wait_gone_env(name: str, value: str, timeout_s: float = 10,
                  ignore: str | None = None) -> list[int]:
    """Wait up to `timeout_s` for every process with `name=value` in its environment to
    exit (but those whose command line contains `ignore`); return those still alive."""
    def alive() -> list[int]:
        return [p for p in processes_with_env(name, value)
                if ignore is None or ignore.encode() not in _cmdline(p)]

    deadline = time.monotonic() + timeout_s
    while (left := alive()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def kill_with_env(name: str, value: str, wanted: Callable[[list[bytes]], bool]) -> list[int]:
    """SIGKILL every live process with `name=value` in its environment whose argv
    `wanted` accepts; return their pids. A process that exits between being listed and
    being read or killed (a job child finishing) is simply not counted."""
    killed = []
    for pid in processes_with_env(name, value):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\x00")
            if wanted(argv):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        except (OSError, ProcessLookupError):
            continue
    return killed


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\x00", b" ")
    except OSError:
        return b""


def outside_temp() -> Path:
    """A folder for canaries and fake home folders outside the temp folder, which the
    sandbox lets children write (warm workers serve jobs whose folders are chosen later):
    /var/tmp/visioncode-battery, or one under the home folder."""
    temp = Path(tempfile.gettempdir()).resolve()
    for base in (Path("/var/tmp"), Path.home() / ".cache"):
        base = base.resolve()
        if base != temp and temp not in base.parents and base not in temp.parents:
            try:
                folder = base / "visioncode-battery"
                folder.mkdir(parents=True, exist_ok=True)
                return folder
            except OSError:
                continue
    raise RuntimeError("no writable folder outside the temp folder for the battery")


class Canary:
    """A folder outside every scratch dir with a `secret.txt` of known content: hostile
    programs try to read, change, delete or add next to it, and `assert_untouched` checks
    that none of it happened (content, file list and mtimes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.secret = f"canary-{os.urandom(8).hex()}"
        path.mkdir(parents=True, exist_ok=True)
        (path / "secret.txt").write_text(self.secret)
        self._snapshot = self._state()

    @property
    def file(self) -> Path:
        return self.path / "secret.txt"

    def _state(self) -> dict[str, tuple[str, int]]:
        state = {}
        for p in sorted(self.path.rglob("*")):
            rel = str(p.relative_to(self.path))
            digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            state[rel] = (digest, p.stat().st_mtime_ns)
        return state

    def assert_untouched(self) -> None:
        now = self._state()
        added = sorted(set(now) - set(self._snapshot))
        removed = sorted(set(self._snapshot) - set(now))
        changed = sorted(k for k in now if k in self._snapshot and now[k] != self._snapshot[k])
        assert not (added or removed or changed), (
            f"canary {self.path} touched: added {added}, removed {removed}, changed {changed}")
        assert self.file.read_text() == self.secret


def run_battery(config_text: str, tmp_path: Path, rows: list[dict]) -> dict[str, SampleRecord]:
    """Run a pipeline over `rows` with the real runner; return its records by sample id.

    The rows are written as `tmp_path/battery/samples.jsonl`; `{dataset}` in `config_text`
    is replaced by that path, the config is written next to it, and the run goes to
    `tmp_path/battery/run`. Paths in rows are taken as they are (absolute, or relative to
    the dataset folder)."""
    folder = tmp_path / "battery"
    folder.mkdir(parents=True, exist_ok=True)
    dataset = folder / "samples.jsonl"
    dataset.write_text("".join(json.dumps(row) + "\n" for row in rows))
    config = folder / "pipeline.toml"
    config.write_text(config_text.replace("{dataset}", str(dataset)))
    out = folder / "run"
    Runner(load_config(config), out).run(console="quiet")
    return {r.sample_id: r for r in RunStore(out).load()}
