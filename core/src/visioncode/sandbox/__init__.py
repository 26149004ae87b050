"""Running untrusted programs (and the libraries that read them) outside the framework.

Two tools for executor and renderer plugins:

- `run_limited(argv, ...)`: one process, one job (e.g. `python scene.py`).
- `Worker(module, ...)`: a warm child process that imports its heavy library once and then
  serves many jobs, one JSON object per line each way; the child side is `serve(handler)`.

Every child gets rlimits (address space, CPU time, file size, open files), its own session,
an environment without credentials (variables named like *KEY*, *TOKEN*, *SECRET*,
*PASSWORD*), and the strongest confinement the machine offers (`isolation()` says which):

- `bwrap` (bubblewrap installed and working): the whole filesystem read-only except the
  child's working folder, the temp folder and `Limits.writable` (plus the folders named in
  `VISIONCODE_SANDBOX_WRITABLE`, which the runner sets to the run's artifacts folder);
  credential folders (~/.ssh, ~/.aws, ~/.config/visioncode, ...) hidden; private PID, IPC,
  UTS and network namespaces (so no network, no view of other processes or their
  environments, and every process the program starts dies with it); all capabilities
  dropped, so not even root inside can remount or leave its cgroup.
- `namespaces` (`unshare`, no bubblewrap): private PID and network namespaces only; the
  filesystem is not confined (a loud warning is logged once).
- `rlimits` (neither works): rlimits and process-group kills only; the program keeps the
  network and the filesystem (a loud warning is logged once).

At every level, where a pids cgroup can be made (root, cgroup v1 or v2), each child runs
in its own cgroup capped at `Limits.processes` (fork bombs stop there) and is killed as a
whole through it, so a program that escapes its process group (setsid, double fork) still
dies with its job; as a last resort every process carrying the child's sandbox token in
its environment is killed too.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field

from .errors import SandboxError
from .files import parse_answer, take_file
from .zygote import serve

__all__ = [
    "Isolation",
    "Limits",
    "ProcessResult",
    "SandboxError",
    "Worker",
    "child_env",
    "hidden_paths",
    "hide_config_secrets",
    "hide_path",
    "isolation",
    "network_isolation",
    "parse_answer",
    "run_limited",
    "serve",
    "take_file",
    "writable_folders",
]

log = structlog.get_logger()

#: The only variables of the host's environment a child gets (besides what the caller
#: passes explicitly, or names in `Limits.env_allow`): an allow-list, never a deny-list,
#: so `DATABASE_URL`, `GH_PAT` and whatever a machine holds stay out.
ENV_ALLOW = ("PATH", "LANG", "LANGUAGE", "TZ")
ENV_ALLOW_PREFIXES = ("LC_",)
#: Names (comma-separated) the host adds to that allow-list for every child of this
#: process and the processes it starts: what an operator or a test needs children to
#: carry (the security battery's run marker, which finds every process of a run).
ENV_ALLOW_ENV = "VISIONCODE_SANDBOX_ENV_ALLOW"
#: Paths hidden from every child (os.pathsep-separated); `hide_path` adds to it, and the
#: runner registers the keys files a pipeline names. An environment variable, so the
#: processes a runner starts inherit the registry.
HIDDEN_ENV = "VISIONCODE_SANDBOX_HIDDEN"

#: Extra writable folders for every sandboxed child (os.pathsep-separated); the runner
#: sets it to the run's artifacts folder for the length of a run.
WRITABLE_ENV = "VISIONCODE_SANDBOX_WRITABLE"
#: Set in every child's environment: the last-resort cleanup kills whatever carries it.
TOKEN_ENV = "VISIONCODE_SANDBOX_TOKEN"
#: Hidden from sandboxed children (relative to the home folder): where credentials live.
CREDENTIAL_PATHS = (
    ".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker", ".netrc", ".git-credentials",
    ".pypirc", ".npmrc", ".config/gcloud", ".config/gh", ".config/visioncode",
)


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
    processes: int | None = Field(1024, ge=8, description="most processes and threads "
                                  "alive at once (a pids cgroup where the machine offers "
                                  "one): a fork bomb stops there")
    writable: list[Path] = Field(default_factory=list, description="folders the child may "
                                 "write besides its working folder and the temp folder "
                                 "(where the filesystem is confined, i.e. with bubblewrap)")
    readable: list[Path] = Field(default_factory=list, description="folders a warm "
                                 "worker's jobs may read besides the toolchain (the "
                                 "interpreter, its import paths, system libraries, fonts, "
                                 "TeX), their own folder and the writable folders")
    env_allow: list[str] = Field(default_factory=list, description="names of variables of "
                                 "the host's environment the child gets besides PATH, "
                                 "LANG, LC_* and TZ (e.g. MPLBACKEND); everything else "
                                 "stays out")


@dataclass
class ProcessResult:
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float
    truncated: bool = False


@dataclass(frozen=True)
class Isolation:
    """What confines sandboxed children on this machine (see the module docstring)."""

    level: str  # "bwrap", "namespaces" or "rlimits"
    filesystem: bool  # writes confined to the working folder, temp folder and `writable`
    pid_namespace: bool  # the program sees only its own processes; they die with it
    network_namespace: bool  # no network unless Limits.network
    cgroup: bool  # pids cgroup: process cap and a kill that nothing escapes


def _works(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=10,
                              stdin=subprocess.DEVNULL).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


_BWRAP_BASE = ("--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
               "--unshare-cgroup-try", "--cap-drop", "ALL", "--ro-bind", "/", "/",
               "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/dev/shm")


@cache
def _bwrap() -> str | None:
    path = shutil.which("bwrap")
    if path and _works([path, *_BWRAP_BASE, "--unshare-net", "true"]):
        return path
    return None


@cache
def _unshare() -> tuple[str, ...]:
    """The `unshare` prefix with a PID namespace (killed with its first process) and a
    network namespace; () where none can be made."""
    path = shutil.which("unshare")
    if not path:
        return ()
    pid = ("--pid", "--fork", "--kill-child", "--mount-proc")
    for flags in (("-n", *pid), ("-rn", *pid)):
        if _works([path, *flags, "true"]):
            return (path, *flags)
    return ()


@cache
def _network_only() -> tuple[str, ...]:
    path = shutil.which("unshare")
    for flags in (("-n",), ("-rn",)):
        if path and _works([path, *flags, "true"]):
            return (path, *flags)
    return ()


@cache
def _cgroup_root() -> Path | None:
    """A folder in which this process may make pids cgroups (v1 `pids` hierarchy, or v2
    where the pids controller is delegated to our cgroup), or None."""
    candidates = [Path("/sys/fs/cgroup/pids")]
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                candidates.append(Path("/sys/fs/cgroup") / line[3:].lstrip("/"))
    for base in candidates:
        probe = base / f"visioncode-probe-{os.getpid()}"
        try:
            probe.mkdir()
        except OSError:
            continue
        try:
            (probe / "pids.max").write_text("64")
        except OSError:
            continue
        finally:
            with contextlib.suppress(OSError):
                probe.rmdir()
        _remove_stale_cgroups(base / "visioncode")
        return base
    return None


@cache
def _unified_root() -> Path | None:
    """A cgroup v2 folder (the pure v2 hierarchy, or the hybrid layout's `unified` one)
    in which this process may make cgroups that have `cgroup.kill`, or None. Such a
    cgroup is what kills a worker, and each of its jobs, whole."""
    own = "/"
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                own = line[3:] or "/"
    for mount in (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup")):
        if not (mount / "cgroup.procs").exists():
            continue
        base = mount / own.lstrip("/")
        probe = base / f"visioncode-probe-{os.getpid()}"
        try:
            probe.mkdir()
        except OSError:
            continue
        try:
            if (probe / "cgroup.kill").exists():
                _remove_stale_cgroups(base / "visioncode")
                return base
        finally:
            with contextlib.suppress(OSError):
                probe.rmdir()
    return None


def _remove_stale_cgroups(folder: Path, age_s: float = 3600) -> None:
    """Remove empty cgroups left by processes that were killed before they could: those
    whose maker (the pid their name starts with) is gone, and any over an hour old. A
    cgroup in use holds its processes, so rmdir fails on it, and one made a moment ago by
    a live process is never tried before its child joins it."""
    if not folder.is_dir():
        return
    cutoff = time.time() - age_s
    for group in folder.iterdir():
        maker = group.name.split("-", 1)[0]
        with contextlib.suppress(OSError, ValueError):
            if not group.is_dir():
                continue
            if (maker.isdigit() and not _alive(int(maker))) or group.stat().st_mtime < cutoff:
                for job in [p for p in group.iterdir() if p.is_dir()]:  # a zygote's jobs
                    with contextlib.suppress(OSError):
                        job.rmdir()
                group.rmdir()


def _remove_stale_jobs_roots(age_s: float = 3600) -> None:
    """Remove the job folders of workers whose host died without closing them: roots
    named `visioncode-jobs-<pid>-...` whose maker is gone (or over a day old)."""
    cutoff = time.time() - max(age_s, 86400)
    with contextlib.suppress(OSError):
        for root in Path(tempfile.gettempdir()).glob("visioncode-jobs-*-*"):
            maker = root.name.split("-")[2]
            with contextlib.suppress(OSError, ValueError):
                if root.is_dir() and not root.is_symlink() and (
                        (maker.isdigit() and not _alive(int(maker)))
                        or root.stat().st_mtime < cutoff):
                    shutil.rmtree(root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@cache
def isolation() -> Isolation:
    """Probe (once) and report the strongest confinement this machine offers; log a loud
    warning when it is not the full `bwrap` level."""
    cgroup = _cgroup_root() is not None
    if _bwrap():
        return Isolation("bwrap", True, True, True, cgroup)
    if _unshare():
        found = Isolation("namespaces", False, True, True, cgroup)
        detail = ("bubblewrap (bwrap) is missing or cannot run here: sandboxed programs "
                  "can write anywhere this user can and read credential files. Install "
                  "bubblewrap (apt-get install bubblewrap) to confine the filesystem.")
    else:
        net = bool(_network_only())
        found = Isolation("rlimits", False, False, net, cgroup)
        detail = ("neither bubblewrap nor unshare can create namespaces here: sandboxed "
                  "programs can write anywhere this user can, see other processes"
                  + ("" if net else " and use the network")
                  + "; only rlimits, process-group kills"
                  + (" and a pids cgroup" if cgroup else "") + " apply. Install "
                  "bubblewrap, run as root, or enable user namespaces.")
    log.warning("sandbox.weak_isolation", level=found.level, detail=detail)
    print(f"WARNING: visioncode sandbox: {detail}", file=sys.stderr)
    return found


def network_isolation() -> tuple[str, ...]:
    """Non-empty when children get a private network namespace (kept for callers that
    only ask about the network)."""
    iso = isolation()
    if not iso.network_namespace:
        return ()
    return ("bwrap",) if iso.level == "bwrap" else (_unshare() or _network_only())


def child_env(extra: dict[str, str] | None = None, *, allow: Iterable[str] = (),
              home: Path | None = None, tmp: Path | None = None) -> dict[str, str]:
    """A child's whole environment: PATH, LANG, LANGUAGE, LC_* and TZ from this process,
    the variables named in `allow` (what a toolchain needs, e.g. `MPLBACKEND`) or in
    `VISIONCODE_SANDBOX_ENV_ALLOW` (and that variable itself), HOME and
    TMPDIR pointing into the child's own folders, then `extra` (explicit values from the
    caller). Nothing else of this process's environment passes."""
    allowed = set(ENV_ALLOW) | set(allow)
    allowed |= {n.strip() for n in os.environ.get(ENV_ALLOW_ENV, "").split(",") if n.strip()}
    allowed.add(ENV_ALLOW_ENV)
    env = {k: v for k, v in os.environ.items()
           if k in allowed or k.startswith(ENV_ALLOW_PREFIXES)}
    if home is not None:
        env["HOME"] = str(home)
    if tmp is not None:
        env.update({"TMPDIR": str(tmp), "TMP": str(tmp), "TEMP": str(tmp)})
    env.update(extra or {})
    return env


def hide_path(path: Path | str) -> None:
    """Register a secret path (a keys file, a credentials folder): no sandboxed child
    started after this, by this process or the processes it starts, can read it. At the
    `bwrap` level it is covered by an empty file or folder; every job's Landlock
    allow-list leaves it out (it is readable only if it lies inside a folder a job is
    allowed to read, which the caller should avoid)."""
    resolved = str(Path(path).expanduser().resolve())
    known = hidden_paths()
    if Path(resolved) not in known:
        os.environ[HIDDEN_ENV] = os.pathsep.join([*map(str, known), resolved])


def hide_config_secrets(tree: Any, base_dir: Path) -> list[Path]:
    """Hide (`hide_path`) every keys file a pipeline config names: any option called
    `keys_file` (or ending in `_keys_file`), at any depth of `tree` (the config as
    plain data), relative paths taken from `base_dir` (the pipeline file's folder).
    The runner calls it before any sandboxed child starts. Returns the paths hidden."""
    found: list[Path] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if (key == "keys_file" or str(key).endswith("_keys_file")) and isinstance(
                        value, str) and value:
                    path = Path(value).expanduser()
                    found.append(path if path.is_absolute() else base_dir / path)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    for path in found:
        hide_path(path)
    return found


def hidden_paths() -> list[Path]:
    """Every path hidden from children: the registry (`hide_path`), the keys file named
    by `VISIONCODE_KEYS_FILE`, and the credential folders under the home folder."""
    home = Path.home()
    found = [home / p for p in CREDENTIAL_PATHS]
    keys = os.environ.get("VISIONCODE_KEYS_FILE")
    if keys:
        found.append(Path(keys))
    found += [Path(p) for p in os.environ.get(HIDDEN_ENV, "").split(os.pathsep) if p]
    return list(dict.fromkeys(found))


@contextlib.contextmanager
def writable_folders(*folders: Path) -> Iterator[None]:
    """Let every child started inside the block (in this process and in processes it
    starts) also write to `folders`: the runner wraps a run in it with the artifacts
    folder, where warm workers write each sample's outputs."""
    before = os.environ.get(WRITABLE_ENV)
    paths = [str(Path(f).resolve()) for f in folders]
    os.environ[WRITABLE_ENV] = os.pathsep.join([*paths, *([before] if before else [])])
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(WRITABLE_ENV, None)
        else:
            os.environ[WRITABLE_ENV] = before


def _writable(cwd: Path, limits: Limits) -> list[Path]:
    extra = [Path(p) for p in os.environ.get(WRITABLE_ENV, "").split(os.pathsep) if p]
    folders = [cwd, Path(tempfile.gettempdir()), *limits.writable, *extra]
    seen: list[Path] = []
    for folder in folders:
        folder = folder.resolve()
        if folder.is_dir() and folder not in seen:
            seen.append(folder)
    return seen


def _inside_temp() -> list[Path]:
    """The project and code folders (the working folder, the interpreter's prefix, every
    import path) that lie inside the writable temp folder, outermost only."""
    temp = Path(tempfile.gettempdir()).resolve()
    found: list[Path] = []
    for candidate in sorted({Path.cwd(), Path(sys.prefix), *(Path(p) for p in sys.path if p)},
                            key=lambda p: len(p.parts)):
        try:
            folder = candidate.resolve()
        except OSError:
            continue
        if (folder.is_dir() and folder != temp and folder.is_relative_to(temp)
                and not any(folder.is_relative_to(f) for f in found)):
            found.append(folder)
    return found


def _hidden() -> list[str]:
    """bwrap arguments that hide credential files and folders under the home folder."""
    args: list[str] = []
    for path in hidden_paths():
        if path.is_dir():
            args += ["--tmpfs", str(path)]
        elif path.is_file():
            args += ["--ro-bind", "/dev/null", str(path)]
    return args


def _argv(argv: list[str], limits: Limits, cwd: Path,
          also_writable: Iterable[Path] = ()) -> list[str]:
    iso = isolation()
    if iso.level == "bwrap":
        bwrap = _bwrap()
        assert bwrap
        args = [bwrap, *_BWRAP_BASE]
        if not limits.network:
            args.append("--unshare-net")
        args += _hidden()
        writable = _writable(cwd, limits)
        # A zygote's delegated cgroup (where it makes its jobs' cgroups), and the like.
        for folder in also_writable:
            args += ["--bind", str(folder), str(folder)]
        for folder in writable:
            args += ["--bind", str(folder), str(folder)]
        # A checkout or virtual environment inside the temp folder (CI clones often live in
        # /tmp) would be writable through it: mount it read-only again, then reopen the
        # job's own folders that lie inside it.
        protected = _inside_temp()
        for folder in protected:
            args += ["--ro-bind", str(folder), str(folder)]
        for folder in writable:
            if any(folder.is_relative_to(p) for p in protected):
                args += ["--bind", str(folder), str(folder)]
        return [*args, "--chdir", str(cwd.resolve()), "--", *argv]
    if iso.level == "namespaces":
        prefix = list(_unshare())
        if limits.network:  # keep the PID namespace, drop the network one
            prefix = ["-r" if f == "-rn" else f for f in prefix if f != "-n"]
        return [*prefix, *argv]
    return [*(() if limits.network else _network_only()), *argv]


class _Confinement:
    """One child's cgroups and sandbox token: joined before exec, killed as a whole.

    `cgroup` is the pids cgroup (the process cap); `killgroup` a cgroup v2 one whose
    `cgroup.kill` kills every process in it at once (the same folder where the pids
    controller is itself v2). A warm worker's zygote gets `delegated`: the folder in
    which it makes one cgroup per job."""

    def __init__(self, limits: Limits) -> None:
        self.token = uuid.uuid4().hex
        self.cgroup: Path | None = None
        self.killgroup: Path | None = None
        unified = _unified_root() if _cgroup_root() is not None else None
        if unified is not None:
            path = unified / "visioncode" / f"{os.getpid()}-{self.token}"
            try:
                path.mkdir(parents=True)
                self.killgroup = path
            except OSError as exc:
                log.warning("sandbox.no_cgroup", path=str(path), error=str(exc))
        root = _cgroup_root()
        if root is not None:
            # Named after the process that made it, so a later sweep can tell when its
            # maker is gone (killed before it could remove it).
            path = root / "visioncode" / f"{os.getpid()}-{self.token}"
            try:
                path.mkdir(parents=True)
                if limits.processes is not None:
                    (path / "pids.max").write_text(str(limits.processes))
                self.cgroup = path
            except OSError as exc:
                log.warning("sandbox.no_cgroup", path=str(path), error=str(exc))
                with contextlib.suppress(OSError):
                    path.rmdir()

    @property
    def delegated(self) -> Path | None:
        """Where a zygote makes its jobs' cgroups (v2 where offered, else the pids one)."""
        return self.killgroup or self.cgroup

    def join(self) -> None:
        """In the child, before exec: enter the cgroups (every descendant inherits them)."""
        for group in (self.cgroup, self.killgroup):
            if group is not None:
                (group / "cgroup.procs").write_text(str(os.getpid()))

    def members(self) -> set[int]:
        found: set[int] = set()
        for group in (self.cgroup, self.killgroup):
            if group is not None:
                found |= _procs(group)
        needle = f"{TOKEN_ENV}={self.token}".encode()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                with contextlib.suppress(OSError):
                    if needle in (entry / "environ").read_bytes():
                        found.add(int(entry.name))
        return found

    def kill_all(self, keep: set[int] | None = None) -> None:
        """SIGKILL every process of the child (but `keep`) until none is left."""
        keep = keep or set()
        if self.killgroup is not None and not keep:
            with contextlib.suppress(OSError):
                (self.killgroup / "cgroup.kill").write_text("1")
        for _ in range(200):
            left = self.members() - keep
            if not left:
                return
            for pid in left:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)
        log.warning("sandbox.stragglers", pids=sorted(self.members() - keep))

    def release(self) -> None:
        self.kill_all()
        for group in (self.killgroup, self.cgroup):
            if group is not None:
                _remove_tree(group)
        self.cgroup = self.killgroup = None


def _procs(group: Path) -> set[int]:
    """Every process in `group` and the cgroups below it (a zygote's jobs)."""
    found: set[int] = set()
    with contextlib.suppress(OSError):
        for procs in [group / "cgroup.procs", *group.glob("*/cgroup.procs")]:
            with contextlib.suppress(OSError, ValueError):
                found |= {int(x) for x in procs.read_text().split()}
    return found


def _remove_tree(group: Path) -> None:
    """Remove a killed cgroup and the job cgroups its zygote left in it."""
    for child in [p for p in group.iterdir() if p.is_dir()] if group.is_dir() else []:
        _remove_tree(child)
    for _ in range(100):  # the kernel removes killed tasks asynchronously
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            for pid in _procs(group):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)
    log.warning("sandbox.cgroup_left", path=str(group))


def _preexec(limits: Limits, confinement: _Confinement | None = None) -> Callable[[], None]:
    def apply() -> None:
        os.setsid()
        if confinement is not None:
            confinement.join()
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


def _returncode(code: int | None) -> int | None:
    """bwrap reports a child killed by signal N as 128+N; report it as -N, as a child
    run without it would be, so executors see the same codes at every level."""
    if code is not None and code > 128 and isolation().level == "bwrap" and code - 128 < 65:
        return -(code - 128)
    return code


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


class _Spawner:
    """Starts sandboxed children from one long-lived thread.

    Why: bubblewrap's `--die-with-parent` (PR_SET_PDEATHSIG) fires when the *thread* that
    forked the child exits, not the process. A Worker first used from a short-lived thread
    (a `ThreadPoolExecutor` that is shut down, a request handler) would otherwise be killed
    with that thread and silently restarted on every call. The main thread lives as long
    as the process, so it forks directly; any other thread hands the fork to this one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: queue.Queue[_SpawnJob] = queue.Queue()
        self._owner_pid: int | None = None

    def popen(self, *args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        if threading.current_thread() is threading.main_thread():
            return subprocess.Popen(*args, **kwargs)
        with self._lock:
            if self._owner_pid != os.getpid():  # first use, or a forked copy of this process
                self._jobs = queue.Queue()
                threading.Thread(target=self._serve, args=(self._jobs,), daemon=True,
                                 name="visioncode-spawner").start()
                self._owner_pid = os.getpid()
            jobs = self._jobs
        done: Future[subprocess.Popen[bytes]] = Future()
        jobs.put((args, kwargs, done))
        return done.result()

    @staticmethod
    def _serve(jobs: queue.Queue[_SpawnJob]) -> None:
        while True:
            args, kwargs, done = jobs.get()
            try:
                done.set_result(subprocess.Popen(*args, **kwargs))  # type: ignore[arg-type]
            except BaseException as exc:
                done.set_exception(exc)


_SpawnJob = tuple[tuple[Any, ...], dict[str, Any], "Future[subprocess.Popen[bytes]]"]
_spawner = _Spawner()


def run_limited(
    argv: list[str],
    *,
    cwd: Path,
    limits: Limits,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> ProcessResult:
    """Run one command under `limits`; on exit or timeout kill everything it started
    (its process group, and its cgroup or PID namespace, so daemons it left die too)."""
    start = time.perf_counter()
    confinement = _Confinement(limits)
    # HOME and TMPDIR of its own, removed with it.
    private = Path(tempfile.mkdtemp(prefix="visioncode-run-"))
    (private / "home").mkdir()
    (private / "tmp").mkdir()
    try:
        proc = _spawner.popen(
            _argv(argv, limits, cwd), cwd=cwd,
            env=child_env({**(env or {}), TOKEN_ENV: confinement.token},
                          allow=limits.env_allow, home=private / "home",
                          tmp=private / "tmp"),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            preexec_fn=_preexec(limits, confinement),
        )
    except BaseException:
        confinement.release()
        shutil.rmtree(private, ignore_errors=True)
        raise
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
    # The job may have left background children, in its group or escaped from it (setsid,
    # double fork): kill the group, then everything in its cgroup or carrying its token.
    _kill_group(proc)
    confinement.release()
    shutil.rmtree(private, ignore_errors=True)
    out.join(2)
    err.join(2)
    return ProcessResult(
        returncode=None if timed_out else _returncode(proc.returncode),
        stdout=out.text(), stderr=err.text(), timed_out=timed_out,
        duration_s=time.perf_counter() - start,
        truncated=out.total > limits.output_bytes or err.total > limits.output_bytes,
    )


_swept = False


def _finalize_worker(proc: subprocess.Popen[bytes], confinement: _Confinement,
                     jobs_root: Path) -> None:
    with contextlib.suppress(Exception):
        _kill_group(proc)
    with contextlib.suppress(Exception):
        confinement.release()
    shutil.rmtree(jobs_root, ignore_errors=True)


class Worker:
    """A warm child process (`python -m module`) that answers JSON requests.

    The child is started on first use (it says `{"ready": true}` once its imports are
    done; start-up has its own allowance). Its side is `serve(handler)`, which by default
    makes it a zygote: every request runs in a fresh, already walled child forked from it
    (its own cgroup, folder, Landlock and seccomp; see `visioncode.sandbox.zygote`), so a
    job that crashes costs that job only and the warm imports stay. After a timeout the
    whole worker is killed and replaced. Not thread-safe: one Worker per thread.

    After each call, `job_dir` is the folder the job's child ran in (its working folder
    and HOME; take files from it with `take_file`), kept until the next call or `close`,
    and `walls` lists the walls that job had."""

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
        self._confinement: _Confinement | None = None
        self._jobs_root: Path | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self.per_job = False
        self.started = 0
        #: The last job's folder (None before the first call, or for a worker whose
        #: `serve` runs jobs in its own process).
        self.job_dir: Path | None = None
        #: The walls of the last job (the worker's level, plus the per-job ones).
        self.walls: list[str] = []

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _plan(self, confinement: _Confinement, jobs_root: Path) -> str:
        from .zygote import JobPlan

        extra = [Path(p) for p in os.environ.get(WRITABLE_ENV, "").split(os.pathsep) if p]
        writable = [self.cwd.resolve(), *(Path(p).resolve() for p in self.limits.writable),
                    *extra]
        return JobPlan(jobs_root=jobs_root, cgroup=confinement.delegated,
                       readable=[Path(p) for p in self.limits.readable], writable=writable,
                       network=self.limits.network).model_dump_json()

    def _start(self) -> None:
        from .zygote import JOB_ENV, PER_JOB_ENV

        global _swept
        # Once per process: what killed hosts left behind (never from inside a sandbox,
        # whose PID namespace would call every host dead).
        if not _swept and TOKEN_ENV not in os.environ:
            _swept = True
            _remove_stale_jobs_roots()
        self._confinement = confinement = _Confinement(self.limits)
        self._jobs_root = Path(tempfile.mkdtemp(prefix=f"visioncode-jobs-{os.getpid()}-"))
        home = self._jobs_root / "home"
        home.mkdir()
        delegated = [confinement.delegated] if confinement.delegated is not None else []
        env = child_env({JOB_ENV: self._plan(confinement, self._jobs_root),
                         **(self.env or {}), TOKEN_ENV: confinement.token},
                        allow=[*self.limits.env_allow, PER_JOB_ENV], home=home,
                        tmp=self._jobs_root)
        try:
            self.proc = _spawner.popen(
                _argv([self.python, "-m", self.module], self.limits, self.cwd, delegated),
                cwd=self.cwd, env=env,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                preexec_fn=_preexec(self.limits, confinement),
            )
        except BaseException:
            self._release_start()
            raise
        self._stderr = _CappedReader(self.proc.stderr, 64 * 1024, tail=True)
        # A Worker dropped without close(), or alive at interpreter exit, still takes its
        # processes, cgroups and job folders with it.
        self._finalizer = weakref.finalize(self, _finalize_worker, self.proc, confinement,
                                           self._jobs_root)
        self.started += 1
        try:
            hello = json.loads(self._readline(self.startup_timeout_s, "start"))
        except json.JSONDecodeError:
            hello = {}
        if not isinstance(hello, dict) or hello.get("ready") is not True:
            self.close()
            raise SandboxError("crashed", f"worker {self.module} did not start: {hello!r}")
        self.per_job = hello.get("per_job") is True
        level = isolation().level
        self.walls = [level, *(w for w in hello.get("walls", []) if isinstance(w, str))]

    def _release_start(self) -> None:
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if self._confinement is not None:
            self._confinement.release()
            self._confinement = None
        if self._jobs_root is not None:
            shutil.rmtree(self._jobs_root, ignore_errors=True)
            self._jobs_root = None
        self.job_dir = None

    @property
    def pid(self) -> int | None:
        """The live child's pid (None before the first call or after close)."""
        return self.proc.pid if self.alive and self.proc else None

    def kill(self) -> None:
        """Kill the child now (as a crash would); the next call starts a new one."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        if self._confinement is not None:
            self._confinement.kill_all()

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
        self._drop_job_dir()  # the last job's folder goes while this job runs
        line = self._readline(timeout)
        try:
            answer = json.loads(line)
        except json.JSONDecodeError:
            self.close()
            raise SandboxError("crashed", f"worker answered garbage: {line[:200]!r}") from None
        if not self.per_job:
            return answer  # type: ignore[no-any-return]
        return self._unwrap(answer)

    def _unwrap(self, message: Any) -> dict[str, Any]:
        """The zygote's relay: `{"answer": ..., "job": ...}` or `{"crashed": code, ...}`."""
        job = message.get("job") if isinstance(message, dict) else None
        if not isinstance(job, dict) or not isinstance(job.get("dir"), str):
            self.close()
            raise SandboxError("crashed", f"worker answered garbage: {str(message)[:200]!r}")
        folder = Path(job["dir"])
        if self._jobs_root is not None and folder.parent == self._jobs_root:
            self.job_dir = folder
        if "crashed" in message:
            tail = self._stderr.text()[-2000:] if self._stderr else ""
            out_of_memory = ("MemoryError" in tail or "memory allocation of" in tail
                             or "std::bad_alloc" in tail)
            raise SandboxError("memory" if out_of_memory else "crashed",
                               f"worker exited with code {message['crashed']}: "
                               f"{tail.strip()}")
        answer = message.get("answer")
        if not isinstance(answer, dict):
            raise SandboxError("bad_answer", f"the job answered {str(answer)[:200]!r}, not "
                               "a JSON object")
        return answer

    def _drop_job_dir(self) -> None:
        if self.job_dir is not None:
            shutil.rmtree(self.job_dir, ignore_errors=True)
            self.job_dir = None

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
        code = _returncode(self.proc.returncode)
        tail = self._stderr.text()[-2000:] if self._stderr else ""
        self.close()
        out_of_memory = ("MemoryError" in tail or "memory allocation of" in tail
                         or "std::bad_alloc" in tail)
        reason = "memory" if out_of_memory else "crashed"
        return SandboxError(reason, f"worker exited with code {code}: {tail.strip()}")

    def close(self) -> None:
        """Stop the child and everything it started (group, cgroup, PID namespace)."""
        if self.proc is not None:
            _kill_group(self.proc)
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream:
                    stream.close()
            self.proc = None
        self._release_start()
