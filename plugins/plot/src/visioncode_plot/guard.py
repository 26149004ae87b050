"""Friendly early refusals inside a chart job, on top of the core sandbox's walls.

The walls are the kernel's (the core `Worker`: bubblewrap's read-only filesystem but the
worker's folders, private PID and network namespaces, a pids cgroup, rlimits; per-job
Landlock and seccomp where core provides them). Inside those walls the forked job process
installs a Python audit hook that refuses, with a `PermissionError` a model can act on,
what a chart program has no business doing: reading files outside its job folder and the
libraries (so no /etc/passwd, no ~/.ssh, no checkout, no other job's folder), writing,
deleting or listing outside its job folder, starting programs, forking, opening sockets,
signalling other processes, changing rlimits and calling native code through `ctypes`.

An audit hook is not a wall (native code can ignore it); it turns what the walls would stop
anyway into an error with the program's line number, and it is the only barrier where the
machine cannot run bubblewrap.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DEVICES = frozenset({"/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/full"})
#: System folders a chart job may read (shared libraries, fonts, locale, time zone).
SYSTEM_READ_ROOTS = ("/usr", "/lib", "/lib64", "/etc/fonts", "/etc/ld.so.cache",
                     "/etc/localtime", "/var/cache/fontconfig", "/etc/ssl")

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_WRITE_EVENTS = {
    "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.chmod": (0,),
    "os.chown": (0,), "os.truncate": (0,), "os.utime": (0,), "os.rename": (0, 1),
    "os.link": (0, 1), "os.symlink": (1,), "shutil.rmtree": (0,), "shutil.copyfile": (1,),
    "shutil.copytree": (1,), "shutil.move": (0, 1), "os.mkfifo": (0,), "os.mknod": (0,),
    "os.setxattr": (0,), "os.removexattr": (0,),
}
_READ_EVENTS = {"os.listdir": 0, "os.scandir": 0, "glob.glob": 0, "shutil.copyfile": 0,
                "shutil.copytree": 0, "os.getxattr": 0, "os.listxattr": 0}
_DENIED = {
    "os.system": "running shell commands",
    "os.exec": "replacing the process with another program",
    "os.posix_spawn": "starting programs",
    "os.spawn": "starting programs",
    "subprocess.Popen": "starting programs",
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
    "os.chroot": "changing the root folder",
    "webbrowser.open": "opening a browser",
    "sys.remote_exec": "attaching to processes",
}


class Refused(PermissionError):
    """What the chart program tried that the sandbox does not allow."""


def _under(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _path(value: Any) -> str | None:
    if value is None or isinstance(value, int):
        return None
    try:
        return os.path.realpath(os.fsdecode(value))
    except (TypeError, ValueError):
        return None


#: Events that act on a name itself, not on what a link there points to: the name's folder
#: is resolved, the name is not (removing a link to a file elsewhere is allowed, and
#: removes the link).
_ON_THE_NAME = frozenset({"os.remove", "os.rmdir", "os.mkdir", "os.rename", "os.link",
                          "os.symlink", "shutil.rmtree", "shutil.move", "os.mkfifo",
                          "os.mknod"})


def _name(value: Any) -> str | None:
    if value is None or isinstance(value, int):
        return None
    try:
        raw = os.path.abspath(os.fsdecode(value))
    except (TypeError, ValueError):
        return None
    return os.path.join(os.path.realpath(os.path.dirname(raw)), os.path.basename(raw))


def library_roots(exclude: Path) -> list[str]:
    """Folders the program's imports read: the interpreter's prefixes, `sys.path` and the
    top-level folder of every imported package (editable installs live outside the
    environment), leaving out any folder that holds `exclude` (the worker's scratch
    folder, where other jobs' folders live)."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots.update(p for p in sys.path if p and os.path.isdir(p))
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        name = getattr(module, "__name__", None)
        if not isinstance(file, str) or not isinstance(name, str):
            continue
        folder = Path(file).resolve().parent
        depth = name.count(".") - (0 if Path(file).stem == "__init__" else 1)
        for _ in range(max(0, depth)):
            folder = folder.parent
        roots.add(str(folder))
    scratch = os.path.realpath(exclude)
    real = {os.path.realpath(r) for r in roots if r}
    return sorted(r for r in real if not _under(scratch, [r]))


def install(job_dir: Path, read_roots: Iterable[str]) -> None:
    """Refuse everything listed in the module docstring from now on in this process."""
    job = os.path.realpath(job_dir)
    readable = [job, *read_roots, *SYSTEM_READ_ROOTS]
    own_pid = os.getpid()

    def check_read(path: str | None, what: str) -> None:
        if path is None or path in DEVICES or _under(path, readable):
            return
        if path.startswith(("/proc/self/", f"/proc/{own_pid}/")):
            return
        raise Refused(f"the chart sandbox does not allow {what} {path} (only the job's own "
                      "folder and the libraries are readable)")

    def check_write(path: str | None, what: str) -> None:
        if path is None or path in DEVICES or _under(path, [job]):
            return
        raise Refused(f"the chart sandbox does not allow {what} {path} (only the job's own "
                      "folder is writable)")

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path = _path(args[0]) if args else None
            mode = args[1] if len(args) > 1 else None
            flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(
                flags & _WRITE_FLAGS)
            (check_write if writing else check_read)(path, "writing" if writing else "reading")
            return
        if event in _WRITE_EVENTS:
            resolve = _name if event in _ON_THE_NAME else _path
            for i in _WRITE_EVENTS[event]:
                if i < len(args):
                    check_write(resolve(args[i]), f"{event} on")
        if event in _READ_EVENTS:
            i = _READ_EVENTS[event]
            check_read(_path(args[i]) if len(args) > i else None, f"{event} on")
            return
        if event in _WRITE_EVENTS:
            return
        if event == "os.chdir":
            check_write(_path(args[0]) if args else None, "changing directory to")
        elif event in _DENIED:
            if event in ("os.kill", "os.killpg") and args and args[0] in (own_pid, 0):
                return
            raise Refused(f"the chart sandbox does not allow {_DENIED[event]} ({event})")
        elif event.startswith("ctypes."):
            raise Refused(f"the chart sandbox does not allow native calls through ctypes "
                          f"({event})")

    sys.addaudithook(hook)
