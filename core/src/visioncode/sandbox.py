"""Running untrusted programs (and the libraries that read them) outside the framework.

Two tools for executor and renderer plugins:

- `run_limited(argv, ...)`: one process, one job (e.g. `python scene.py`).
- `Worker(module, ...)`: a warm child process that imports its heavy library once and then
  serves many jobs, one JSON object per line each way; the child side is `serve(handler)`.

Both start the child in its own session (so the whole process group is killed on timeout),
with rlimits on address space, CPU time, file size and open files, an environment without
credentials (variables named like *KEY*, *TOKEN*, *SECRET*, *PASSWORD*), and, where the
machine allows it, a private network namespace (`unshare -n`, or `unshare -rn` for
non-root users) so the child has no network at all. Where no namespace can be made, a
warning is logged once and the child runs with the other limits only.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field

log = structlog.get_logger()

_SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", re.IGNORECASE)


class Limits(BaseModel):
    """Resource limits for a child process. None means "no limit" for that resource."""

    model_config = ConfigDict(extra="forbid")
    wall_time_s: float = Field(30.0, gt=0, description="seconds per job before the child "
                               "(and its whole process group) is killed")
    memory_mb: int | None = Field(2048, ge=16, description="address-space limit (RLIMIT_AS)")
    cpu_time_s: int | None = Field(None, ge=1, description="CPU seconds (RLIMIT_CPU)")
    file_size_mb: int | None = Field(256, ge=1, description="largest file the child may "
                                     "write (RLIMIT_FSIZE)")
    open_files: int | None = Field(256, ge=16, description="open file descriptors "
                                   "(RLIMIT_NOFILE)")
    output_bytes: int = Field(1_000_000, ge=1024, description="stdout/stderr kept per "
                              "stream; the rest is dropped and counted")
    network: bool = Field(False, description="allow network access (off: a private "
                          "network namespace where the machine offers one)")


class SandboxError(Exception):
    """A child process did not answer: it timed out or died. `reason` is the short status
    (`timeout`, `crashed`, `memory`) and the message says what happened."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass
class ProcessResult:
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float
    truncated: bool = False


@cache
def network_isolation() -> tuple[str, ...]:
    """The command prefix that puts a child in a private network namespace, or () where
    the machine offers none (then a warning is logged once)."""
    unshare = shutil.which("unshare")
    if unshare:
        for flags in (("-n",), ("-rn",)):
            try:
                ok = subprocess.run([unshare, *flags, "true"], capture_output=True,
                                    timeout=10).returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                ok = False
            if ok:
                return (unshare, *flags)
    log.warning(
        "sandbox.no_network_namespace",
        detail="unshare cannot create a network namespace here; children keep network "
        "access (other limits still apply). Run as root or enable user namespaces.",
    )
    return ()


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The parent's environment without credentials, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not _SECRET.search(k)}
    env.update(extra or {})
    return env


def _preexec(limits: Limits) -> Callable[[], None]:
    def apply() -> None:
        os.setsid()
        mb = 1024 * 1024
        if limits.memory_mb is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb,) * 2)
        if limits.cpu_time_s is not None:
            resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_time_s, limits.cpu_time_s + 1))
        if limits.file_size_mb is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_mb * mb,) * 2)
        if limits.open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _argv(argv: list[str], limits: Limits) -> list[str]:
    prefix = () if limits.network else network_isolation()
    return [*prefix, *argv]


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    proc.wait()


class _CappedReader(threading.Thread):
    """Drains a pipe so the child never blocks on it, keeping at most `cap` bytes
    (the head, and the tail when `tail` is set)."""

    def __init__(self, stream: Any, cap: int, tail: bool = False) -> None:
        super().__init__(daemon=True)
        self.stream, self.cap, self.tail = stream, cap, tail
        self.head = bytearray()
        self.last: collections.deque[bytes] = collections.deque()
        self.last_size = 0
        self.total = 0
        self.start()

    def run(self) -> None:
        for chunk in iter(lambda: self.stream.read1(65536), b""):
            self.total += len(chunk)
            if len(self.head) < self.cap:
                self.head += chunk[: self.cap - len(self.head)]
            elif self.tail:
                self.last.append(chunk)
                self.last_size += len(chunk)
                while self.last_size > self.cap and len(self.last) > 1:
                    self.last_size -= len(self.last.popleft())

    def text(self) -> str:
        data = bytes(self.head)
        if self.tail and self.last:
            data += b"\n[...]\n" + b"".join(self.last)[-self.cap :]
        elif self.total > len(self.head):
            data += f"\n[... {self.total - len(self.head)} more bytes dropped]".encode()
        return data.decode("utf-8", "replace")


def run_limited(
    argv: list[str],
    *,
    cwd: Path,
    limits: Limits,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> ProcessResult:
    """Run one command under `limits`; kill its whole process group on timeout."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        _argv(argv, limits), cwd=cwd, env=child_env(env),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_preexec(limits),
    )
    out = _CappedReader(proc.stdout, limits.output_bytes)
    err = _CappedReader(proc.stderr, limits.output_bytes, tail=True)
    if stdin is not None and proc.stdin:
        try:
            proc.stdin.write(stdin)
            proc.stdin.close()
        except BrokenPipeError:
            pass
    timed_out = False
    try:
        proc.wait(timeout=limits.wall_time_s)
    except subprocess.TimeoutExpired:
        timed_out = True
    # The group may hold background children that outlive the main process: kill it all.
    _kill_group(proc)
    out.join(2)
    err.join(2)
    return ProcessResult(
        returncode=None if timed_out else proc.returncode,
        stdout=out.text(), stderr=err.text(), timed_out=timed_out,
        duration_s=time.perf_counter() - start,
        truncated=out.total > limits.output_bytes or err.total > limits.output_bytes,
    )


class Worker:
    """A warm child process (`python -m module`) that answers JSON requests.

    The child is started on first use (it says `{"ready": true}` once its imports are
    done; start-up has its own allowance) and replaced after a timeout or crash, so one
    bad program costs one sample, never the run. Not thread-safe: one Worker per thread."""

    def __init__(
        self, module: str, limits: Limits, *, cwd: Path | None = None,
        env: dict[str, str] | None = None, python: str | None = None,
        startup_timeout_s: float = 120.0,
    ) -> None:
        self.module, self.limits, self.env = module, limits, env
        #: Start-up (imports) has its own allowance, so a job's wall time measures the job.
        self.startup_timeout_s = startup_timeout_s
        self.cwd = cwd or Path.cwd()
        self.python = python or sys.executable
        self.proc: subprocess.Popen[bytes] | None = None
        self._stderr: _CappedReader | None = None
        self.started = 0

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _start(self) -> None:
        self.proc = subprocess.Popen(
            _argv([self.python, "-m", self.module], self.limits), cwd=self.cwd,
            env=child_env(self.env), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, preexec_fn=_preexec(self.limits),
        )
        self._stderr = _CappedReader(self.proc.stderr, 64 * 1024, tail=True)
        self.started += 1
        try:
            hello = json.loads(self._readline(self.startup_timeout_s, "start"))
        except json.JSONDecodeError:
            hello = {}
        if hello.get("ready") is not True:
            self.close()
            raise SandboxError("crashed", f"worker {self.module} did not start: {hello!r}")

    @property
    def pid(self) -> int | None:
        """The live child's pid (None before the first call or after close)."""
        return self.proc.pid if self.alive and self.proc else None

    def kill(self) -> None:
        """Kill the child now (as a crash would); the next call starts a new one."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def call(self, request: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send one request and wait for its answer, at most `timeout` seconds
        (default: the limits' wall time). Raises SandboxError on timeout or crash."""
        if not self.alive:
            self._start()
        assert self.proc and self.proc.stdin and self.proc.stdout
        timeout = self.limits.wall_time_s if timeout is None else timeout
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise self._died() from None
        line = self._readline(timeout)
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            self.close()
            raise SandboxError("crashed", f"worker answered garbage: {line[:200]!r}") from None

    def _readline(self, timeout: float, what: str = "answer") -> bytes:
        assert self.proc and self.proc.stdout
        fd = self.proc.stdout.fileno()
        buf = bytearray()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self.close()
                    raise SandboxError("timeout", f"no {what} within {timeout:g}s; worker killed")
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise self._died()
                buf += chunk
                if buf.endswith(b"\n"):
                    return bytes(buf)

    def _died(self) -> SandboxError:
        assert self.proc
        self.proc.wait()
        code = self.proc.returncode
        tail = self._stderr.text()[-2000:] if self._stderr else ""
        self.close()
        out_of_memory = ("MemoryError" in tail or "memory allocation of" in tail
                         or "std::bad_alloc" in tail)
        reason = "memory" if out_of_memory else "crashed"
        return SandboxError(reason, f"worker exited with code {code}: {tail.strip()}")

    def close(self) -> None:
        if self.proc is not None:
            _kill_group(self.proc)
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream:
                    stream.close()
            self.proc = None


def serve(handler: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Child side of `Worker`: answer each request line with `handler`'s result.

    The protocol uses a private copy of stdout; fd 1 is pointed at stderr so that prints
    from the library or the program cannot corrupt the answers. An exception in the
    handler is answered as `{"ok": false, "error": ..., "kind": ...}`."""
    proto = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    proto.write(b'{"ready": true}\n')  # imports are done: jobs' clocks start from here
    proto.flush()
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            answer = handler(json.loads(line))
        except MemoryError:
            answer = {"ok": False, "kind": "MemoryError", "error": "memory limit exceeded"}
        except Exception as exc:  # the handler's failure is the job's result, not ours
            answer = {"ok": False, "kind": type(exc).__name__, "error": str(exc)[:2000]}
        proto.write(json.dumps(answer).encode() + b"\n")
        proto.flush()
