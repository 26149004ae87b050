"""The walls around a model-written scene, applied inside the render worker's forked
scene process, on top of what the core's `Worker` gives every worker (bubblewrap: the
filesystem read-only but the worker's folders and the temp folder, credential folders
hidden, private PID and network namespaces, no capabilities, a pids cgroup, rlimits).

The scene runs under a Python audit hook that refuses, with a `PermissionError` naming
what was refused, reading files outside the scene's own folder and the library folders
(so not /etc/passwd, ~/.ssh, the project's files, other samples' outputs), writing,
deleting, renaming or listing outside its own folder (so not the temp folder the worker
may write to, nor the run's folder), starting programs other than LaTeX's, forking,
creating sockets, sending signals to other processes, changing rlimits, and loading
native code through `ctypes`. The message is one a model can act on, and the hook is
also the only wall where the machine cannot run bubblewrap.

After each scene the worker kills every process carrying the scene's marker in its
environment (`kill_marked`), so nothing a scene started outlives it, even outside its
process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: Programs a scene may run: what `MathTex`/`Tex` need.
TEX_PROGRAMS = frozenset({"latex", "pdflatex", "xelatex", "lualatex", "dvisvgm"})
#: Device files every process may read and write.
DEVICES = frozenset({"/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/full"})
#: Where libraries, fonts and TeX live: readable, never writable.
SYSTEM_READ_ROOTS = ("/usr", "/etc/fonts", "/etc/texmf", "/var/lib/texmf", "/var/cache/fontconfig",
                     "/etc/ssl", "/lib", "/lib64", "/etc/ld.so.cache", "/etc/localtime")


def _under(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def library_roots() -> list[str]:
    """Folders the scene's Python needs to read: the interpreter's prefixes and the
    folders of every package already imported (editable installs live outside the
    environment)."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots.update(p for p in sys.path if p and os.path.isdir(p))
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        name = getattr(module, "__name__", None)
        if not isinstance(file, str) or not isinstance(name, str):
            continue
        path = Path(file).resolve()
        is_package = path.stem == "__init__"
        folder = path.parent
        # up to the top-level package's folder (visioncode/, manim/), not the tree above
        for _ in range(max(0, name.count(".") - (0 if is_package else 1))):
            folder = folder.parent
        roots.add(str(folder))
    return sorted(os.path.realpath(r) for r in roots if r)


# -- cleaning up after a scene -------------------------------------------------------------


def processes_with(marker: str) -> list[int]:
    """Pids (other than this one) whose environment holds `marker` (`NAME=token`)."""
    needle = marker.encode()
    found: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:  # walled off from /proc: the job's cgroup kill is the wall then
        return found
    for entry in entries:
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if needle in fh.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def kill_marked(marker: str, attempts: int = 50) -> int:
    """Kill every process whose environment holds `marker`: a scene's child sets it, so
    its descendants carry it too, including ones that left the process group (setsid,
    double fork). Returns how many were left (0 is the answer expected)."""
    for _ in range(attempts):
        pids = processes_with(marker)
        if not pids:
            return 0
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)
    return len(processes_with(marker))


# -- layer 2: audit hooks ------------------------------------------------------------------


class Refused(PermissionError):
    """What the scene tried that the sandbox does not allow."""


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_PATH_EVENTS_WRITE = {
    "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.chmod": (0,),
    "os.chown": (0,), "os.truncate": (0,), "os.utime": (0,), "os.rename": (0, 1),
    "os.link": (0, 1), "os.symlink": (1,), "shutil.rmtree": (0,), "shutil.copyfile": (1,),
    "shutil.copytree": (1,), "shutil.move": (0, 1), "os.chflags": (0,), "os.lchown": (0,),
    "os.setxattr": (0,), "os.removexattr": (0,), "os.mkfifo": (0,), "os.mknod": (0,),
}
_PATH_EVENTS_READ = {"os.listdir": (0,), "os.scandir": (0,), "shutil.copyfile": (0,),
                     "shutil.copytree": (0,), "os.getxattr": (0,), "os.listxattr": (0,),
                     "glob.glob": (0,)}
_DENIED = {
    "os.system": "running shell commands",
    "os.exec": "replacing the process with another program",
    "os.posix_spawn": "starting programs",
    "os.spawn": "starting programs",
    "os.fork": "forking processes",
    "os.forkpty": "forking processes",
    "os.kill": "sending signals to processes",
    "os.killpg": "sending signals to processes",
    "signal.pthread_kill": "sending signals to threads",
    "socket.__new__": "creating network sockets",
    "socket.connect": "network connections",
    "socket.bind": "network sockets",
    "socket.getaddrinfo": "network name lookups",
    "resource.setrlimit": "changing resource limits",
    "resource.prlimit": "changing resource limits",
    "sys.remote_exec": "attaching to processes",
    "os.chroot": "changing the root folder",
    "os.chdir": None,  # allowed inside the scratch folder only (checked below)
    "webbrowser.open": "opening a browser",
}


def _path(value: Any) -> str | None:
    if isinstance(value, int) or value is None:
        return None
    try:
        return os.path.realpath(os.fsdecode(value))
    except (TypeError, ValueError):
        return None


def install_audit_hook(scratch: Path, read_roots: Iterable[str]) -> None:
    """Refuse everything a scene has no business doing (see the module docstring)."""
    scratch_s = os.path.realpath(scratch)
    writable = [scratch_s]
    # a root above the scene's folder (the worker's scratch folder is on sys.path) would
    # open the other scenes' folders: left out
    roots = [r for r in (os.path.realpath(r) for r in read_roots)
             if not _under(scratch_s, [r]) or r == scratch_s]
    readable = [scratch_s, *roots, *SYSTEM_READ_ROOTS]
    own_pid = os.getpid()

    def check_read(path: str | None, what: str) -> None:
        if path is None or path in DEVICES or _under(path, readable):
            return
        if path.startswith(f"/proc/{own_pid}/") or path.startswith("/proc/self/"):
            return
        raise Refused(f"the scene sandbox does not allow {what} {path} (only the scene's "
                      "own folder and the libraries are readable)")

    def check_write(path: str | None, what: str) -> None:
        if path is None or path in DEVICES or _under(path, writable):
            return
        raise Refused(f"the scene sandbox does not allow {what} {path} (only the scene's "
                      "own folder is writable)")

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path = _path(args[0]) if args else None
            mode = args[1] if len(args) > 1 else None
            flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                bool(flags & _WRITE_FLAGS)
            if writing:
                check_write(path, "writing")
            else:
                check_read(path, "reading")
        elif event in _PATH_EVENTS_WRITE:
            for i in _PATH_EVENTS_WRITE[event]:
                if i < len(args):
                    check_write(_path(args[i]), f"{event} on")
            if event in _PATH_EVENTS_READ:
                check_read(_path(args[0]), f"{event} on")
        elif event in _PATH_EVENTS_READ:
            check_read(_path(args[0]) if args and args[0] is not None else None,
                       f"{event} on")
        elif event == "subprocess.Popen":
            argv = args[1] if len(args) > 1 else None
            first = argv[0] if isinstance(argv, list | tuple) and argv else argv
            program = os.path.basename(os.fsdecode(first)) if isinstance(
                first, str | bytes | os.PathLike) else ""
            if program not in TEX_PROGRAMS:
                allowed = ", ".join(sorted(TEX_PROGRAMS))
                raise Refused(f"the scene sandbox does not allow starting programs "
                              f"({program or argv!r}); only LaTeX ({allowed}) may run")
        elif event == "os.chdir":
            check_write(_path(args[0]) if args else None, "changing directory to")
        elif event in _DENIED:
            if event in ("os.kill", "os.killpg") and args and args[0] in (own_pid, 0):
                return
            raise Refused(f"the scene sandbox does not allow {_DENIED[event]} ({event})")
        elif event.startswith("ctypes."):
            raise Refused(f"the scene sandbox does not allow native calls through ctypes "
                          f"({event})")

    sys.addaudithook(hook)
