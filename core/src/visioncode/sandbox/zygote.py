"""Child side of `Worker`: a fork server (zygote) that never runs a job itself.

`serve(handler)` is called by a worker module once its heavy imports are done. From then
on the process is a zygote: it reads each request from the host, hands it to a freshly
forked child that is already walled in, relays that child's answer, kills the child's
cgroup and forks the next one. Each job child, right after the fork and before it reads
its request, puts up its walls (`walls`): its own cgroup, its own folder (with `home/`
and `tmp/`, its HOME, TMPDIR and working folder), `no_new_privs`, Landlock (read-only
allow-list of the toolchain, read-write only its own folder and the folders the host
named) and seccomp. The job child holds neither the host's request pipe nor the answer
pipe, so it can read no other job's request and forge no answer but its own, and the
zygote's memory (its globals, modules, caches) is never written by model code: a job that
corrupts its interpreter corrupts only its own copy, which dies with it.

A small pool of children is forked ahead, so a job only hands its request to a child that
is already jailed; the cost left on the hot path is one pipe write and one read.

`serve(handler, per_job=False)` keeps one process for all jobs (what a worker needs when
it holds a resource that cannot be forked, such as a browser with its own threads and
pipes); such a worker has only the walls of its whole process (see `Worker`).
"""

from __future__ import annotations

import collections
import contextlib
import gc
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from . import walls

__all__ = ["JOB_ENV", "PER_JOB_DEFAULT", "PER_JOB_ENV", "JobPlan", "serve"]

#: Set by the host in the zygote's environment (removed before any job runs): the plan
#: every job child follows, as JSON (`JobPlan`).
JOB_ENV = "VISIONCODE_SANDBOX_JOB"

#: Whether `serve` forks a walled child per job when its caller does not say.
PER_JOB_DEFAULT = True
#: The host's override of that default ("1" or "0"; `Worker` passes it on): a way to
#: measure or debug a worker both ways without editing it.
PER_JOB_ENV = "VISIONCODE_SANDBOX_PER_JOB"

Handler = Callable[[dict[str, Any]], dict[str, Any]]

#: Read-only for every job: the system's programs, libraries and data (fonts, TeX live
#: in /usr/share), the configuration files that libraries read at run time (not /etc
#: whole: /etc/shadow and friends stay out), and the kernel's read-only views that
#: libraries use to size thread pools. Missing ones are skipped.
SYSTEM_READABLE = (
    "/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin",
    "/etc/fonts", "/etc/ssl", "/etc/ca-certificates", "/etc/localtime", "/etc/timezone",
    "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/passwd", "/etc/group",
    "/etc/nsswitch.conf", "/etc/host.conf", "/etc/hosts", "/etc/mime.types",
    "/etc/alternatives", "/etc/texmf", "/etc/ImageMagick-6", "/etc/ImageMagick-7",
    "/etc/matplotlibrc", "/etc/os-release", "/etc/magic", "/etc/xdg", "/etc/glvnd",
    "/etc/OpenCL", "/etc/vulkan", "/etc/gtk-3.0", "/etc/pango",
    "/var/lib/texmf", "/var/cache/fontconfig", "/var/lib/dpkg/alternatives",
    "/sys/devices/system/cpu", "/sys/fs/cgroup",
    "/proc/self", "/proc/thread-self", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat",
    "/proc/loadavg", "/proc/uptime", "/proc/version", "/proc/filesystems", "/proc/mounts",
    "/proc/sys/kernel/random", "/proc/sys/vm/overcommit_memory",
)
#: Read-write for every job (the character devices every program may use).
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")


class JobPlan(BaseModel):
    """What the host asks of every job child of one worker."""

    model_config = ConfigDict(extra="forbid")
    jobs_root: Path = Field(description="folder in which each job's own folder is made")
    cgroup: Path | None = Field(None, description="the worker's delegated cgroup; each job "
                                "gets a child cgroup of it, killed whole after the job")
    readable: list[Path] = Field(default_factory=list, description="read-only for jobs, "
                                 "besides the toolchain")
    writable: list[Path] = Field(default_factory=list, description="read-write for jobs, "
                                 "besides their own folder")
    network: bool = False
    pool: int = Field(2, ge=1, le=4, description="job children forked ahead (two: the "
                      "next one has had a whole job's time to put up its walls)")

    @classmethod
    def from_env(cls) -> JobPlan:
        raw = os.environ.pop(JOB_ENV, None)
        if raw:
            return cls.model_validate_json(raw)
        return cls(jobs_root=Path(tempfile.mkdtemp(prefix="visioncode-jobs-")),
                   writable=[Path.cwd()])


def toolchain() -> list[Path]:
    """What this interpreter needs to keep running: its prefixes, its executable, every
    import path (the editable checkouts of the plugins too, but not the checkout)."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
             Path(sys.executable).parent, Path(os.path.realpath(sys.executable)).parent}
    paths |= {Path(p) for p in sys.path if p and os.path.exists(p)}
    paths |= {Path(os.path.realpath(p)) for p in list(paths)}
    return sorted(paths)


@dataclass
class _Child:
    pid: int
    request: int  # write end: the zygote sends the request, then closes it
    answer: int  # read end: the child's one answer line
    folder: Path
    cgroup: Path | None
    fds: tuple[int, ...] = field(default=())


class _Zygote:
    def __init__(self, handler: Handler, plan: JobPlan, proto: Any) -> None:
        self.handler, self.plan, self.proto = handler, plan, proto
        self.probe = walls.probe()
        self.readable = [*toolchain(), *(Path(p) for p in SYSTEM_READABLE), *plan.readable]
        self.writable = [*plan.writable, *(Path(p) for p in DEVICES)]
        self.pool: collections.deque[_Child] = collections.deque()
        #: Finished jobs whose process is not yet reaped or whose cgroup not yet removed.
        self.dead: list[_Child] = []
        self.running: _Child | None = None
        self.applied = self._walls_named()
        plan.jobs_root.mkdir(parents=True, exist_ok=True)
        abi = self.probe.landlock_abi
        self.rules = walls.open_rules(self.readable, self.writable, abi) if abi else []
        self.rule_fds = {fd for fd, _ in self.rules}
        if self.probe.seccomp:
            walls.seccomp_program()  # built once here, inherited by every child

    def _walls_named(self) -> list[str]:
        named = ["fork-per-job", "private-folder", "no-new-privs"]
        if self.plan.cgroup is not None:
            named.append("cgroup")
        if self.probe.landlock_abi:
            named.append(f"landlock-abi{self.probe.landlock_abi}")
            if self.probe.landlock_abi >= 4 and not self.plan.network:
                named.append("landlock-no-tcp")
            if self.probe.landlock_abi >= 6:
                named.append("landlock-scoped-signals")
        if self.probe.seccomp:
            named.append("seccomp")
        return named

    def fork(self) -> _Child:
        name = f"job-{uuid.uuid4().hex[:16]}"
        folder = self.plan.jobs_root / name
        req_r, req_w = os.pipe()
        ans_r, ans_w = os.pipe()
        # Every pipe of the other children (waiting ones, and the one running a job now):
        # a child holds only its own two.
        inherited = [fd for c in self.pool for fd in (c.request, c.answer)]
        if self.running is not None:  # its request end is closed already
            inherited.append(self.running.answer)
        pid = os.fork()
        if pid == 0:  # the job child: never returns
            code = 70
            try:
                os.close(req_w)
                os.close(ans_r)
                for fd in (*inherited, self.proto.fileno()):
                    with contextlib.suppress(OSError):
                        os.close(fd)
                self._child(name, folder, req_r, ans_w)
                code = 0
            except BaseException as exc:  # a wall failed: say so on stderr, run nothing
                with contextlib.suppress(BaseException):
                    print(f"visioncode sandbox: job child could not start: {exc!r}",
                          file=sys.stderr, flush=True)
            finally:
                os._exit(code)
        os.close(req_r)
        os.close(ans_w)
        group = self.plan.cgroup / name if self.plan.cgroup is not None else None
        return _Child(pid, req_w, ans_r, folder, group)

    def _child(self, name: str, folder: Path, req_r: int, ans_w: int) -> None:
        walls.restore_dumpable()
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # the host's request stream (other jobs' programs) is gone
        os.close(devnull)
        sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
        if self.plan.cgroup is not None:
            walls.join_cgroup(self.plan.cgroup, name)
        (folder / "home").mkdir(parents=True)
        (folder / "tmp").mkdir()
        os.chdir(folder)
        os.environ.update({"HOME": str(folder / "home"), "TMPDIR": str(folder / "tmp"),
                           "TMP": str(folder / "tmp"), "TEMP": str(folder / "tmp")})
        tempfile.tempdir = None
        walls.no_new_privs()
        if self.probe.landlock_abi:
            own = walls.open_rules([], [folder], self.probe.landlock_abi)
            walls.apply_landlock([*own, *self.rules], network=self.plan.network,
                                 abi=self.probe.landlock_abi)
            for fd in {fd for fd, _ in own} | self.rule_fds:
                os.close(fd)
        if self.probe.seccomp:
            walls.apply_seccomp()
        # Walled in: now, and only now, the request.
        chunks = []
        while chunk := os.read(req_r, 1 << 20):
            chunks.append(chunk)
        os.close(req_r)
        answer = _answer(self.handler, b"".join(chunks))
        data = json.dumps(answer).encode() + b"\n"
        view = memoryview(data)
        while view:
            view = view[os.write(ans_w, view):]
        os.close(ans_w)

    def run_one(self, line: bytes) -> dict[str, Any]:
        child = self.pool.popleft() if self.pool else self.fork()
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(child.request, view):]
        except BrokenPipeError:
            pass  # the child died before reading: its exit status says why
        finally:
            os.close(child.request)
        # While the job runs: fork its successor and tidy up after earlier jobs.
        self.running = child
        try:
            self.after()
        finally:
            self.running = None
        # One line, then stop reading: a process the job forked may hold the pipe open.
        raw = bytearray()
        while not raw.endswith(b"\n") and (chunk := os.read(child.answer, 1 << 20)):
            raw += chunk
        os.close(child.answer)
        if child.cgroup is not None:  # whatever it left running dies now, before the answer
            walls.kill_cgroup(child.cgroup)
        job = {"dir": str(child.folder), "walls": self.applied}
        if raw.endswith(b"\n"):
            try:
                answer = json.loads(raw)
            except json.JSONDecodeError:
                answer = None
            if isinstance(answer, dict):
                self.dead.append(child)
                return {"answer": answer, "job": job}
        _, status = os.waitpid(child.pid, 0)
        if child.cgroup is not None:
            walls.remove_cgroup(child.cgroup)
        return {"crashed": os.waitstatus_to_exitcode(status), "job": job}

    def after(self) -> None:
        """Off the hot path (while a job runs): fork children until the pool is full;
        reap finished ones and remove their cgroups without waiting for the kernel
        (what is not done yet is retried next time)."""
        while len(self.pool) < self.plan.pool:
            self.pool.append(self.fork())
        left = []
        for child in self.dead:
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(child.pid, os.WNOHANG)[0] == 0:
                    left.append(child)
                    continue
            if child.cgroup is not None and not walls.remove_cgroup(child.cgroup, 0):
                left.append(child)
        self.dead = left

    def close(self) -> None:
        for child in [*self.pool, *self.dead]:
            if child.cgroup is not None:
                walls.kill_cgroup(child.cgroup)
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, 9)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child.pid, 0)
            if child.cgroup is not None:
                walls.remove_cgroup(child.cgroup)
        for child in self.pool:
            shutil.rmtree(child.folder, ignore_errors=True)


def _answer(handler: Handler, line: bytes) -> dict[str, Any]:
    try:
        return handler(json.loads(line))
    except MemoryError:
        return {"ok": False, "kind": "MemoryError", "error": "memory limit exceeded"}
    except Exception as exc:  # the handler's failure is the job's result, not ours
        return {"ok": False, "kind": type(exc).__name__, "error": str(exc)[:2000]}


def serve(handler: Handler, *, per_job: bool | None = None) -> None:
    """Answer each request line from the host with `handler`'s result.

    The protocol uses a private copy of stdout; fd 1 is pointed at stderr so that prints
    from the library or the program cannot corrupt the answers. An exception in the
    handler is answered as `{"ok": false, "error": ..., "kind": ...}`. With `per_job`
    (the default) every request runs in a fresh walled child of this process (see the
    module docstring); with `per_job=False`, in this process. Not given: `PER_JOB_ENV`
    from the host decides, else `PER_JOB_DEFAULT`."""
    if per_job is None:
        per_job = os.environ.get(PER_JOB_ENV, "1" if PER_JOB_DEFAULT else "0") != "0"
    proto = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    if not per_job:
        os.environ.pop(JOB_ENV, None)
        proto.write(b'{"ready": true}\n')  # imports are done: jobs' clocks start from here
        proto.flush()
        for line in sys.stdin.buffer:
            if line.strip():
                proto.write(json.dumps(_answer(handler, line)).encode() + b"\n")
                proto.flush()
        return
    plan = JobPlan.from_env()
    walls.not_dumpable()
    # Everything imported so far moves out of the collector's reach: a job child's
    # collections then never write (and so copy) the zygote's pages.
    gc.collect()
    gc.freeze()
    zygote = _Zygote(handler, plan, proto)
    try:
        zygote.after()
        hello = {"ready": True, "per_job": True, "walls": zygote.applied}
        proto.write(json.dumps(hello).encode() + b"\n")
        proto.flush()
        for line in sys.stdin.buffer:
            if not line.strip():
                continue
            relay = zygote.run_one(line)
            del line  # no reference to this job's request survives into the next fork
            proto.write(json.dumps(relay).encode() + b"\n")
            proto.flush()
    finally:
        zygote.close()
