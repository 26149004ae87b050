"""Confinement of the bpy worker process, applied by the worker itself at start-up.

Self-contained (standard library only): it runs under the bpy interpreter, which has
neither visioncode nor pydantic. Two layers, because a scene program runs inside the
worker's own Python:

- **Landlock** (Linux 5.13+): the kernel confines the whole process, C code included (a
  `bpy.ops.wm.save_as_mainfile(filepath="/etc/x")` is refused as surely as an `open()`):
  writes only under the scratch root, reads only under the interpreter, Blender's own
  files, system libraries and the scratch root, no TCP connect or bind (ABI 4+), no
  signals to processes outside the worker (ABI 6+). Applied before `import bpy` in the
  pip-`bpy` worker, so every thread Blender starts inherits it.
- **An audit hook** (`sys.addaudithook`, armed in each job's child): refuses process
  creation (`os.system`, `subprocess`, `fork`, `exec`, `posix_spawn`), signals, sockets,
  `ctypes` calls, and file opens outside the same roots, with a message that names what
  was refused, so a model reads "os.system is not allowed" rather than a bare EACCES.

The audit hook is a friendly early error, not a wall: a program can disable it (through
`gc`, frame walking, or by patching this module), and then meets the kernel's walls of its
job child (`visioncode_bpy_walls`): Landlock narrowed to its own job folder, seccomp, no
new processes, its own cgroup. Where Landlock is missing, those others, the rlimits, the
network namespace and the process-group kill of `visioncode.Worker` remain.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterable

# Landlock ABI constants (linux/landlock.h).
_FS_EXECUTE = 1 << 0
_FS_WRITE_FILE = 1 << 1
_FS_READ_FILE = 1 << 2
_FS_READ_DIR = 1 << 3
_FS_REMOVE_DIR = 1 << 4
_FS_REMOVE_FILE = 1 << 5
_FS_MAKE_CHAR = 1 << 6
_FS_MAKE_DIR = 1 << 7
_FS_MAKE_REG = 1 << 8
_FS_MAKE_SOCK = 1 << 9
_FS_MAKE_FIFO = 1 << 10
_FS_MAKE_BLOCK = 1 << 11
_FS_MAKE_SYM = 1 << 12
_FS_REFER = 1 << 13  # ABI 2
_FS_TRUNCATE = 1 << 14  # ABI 3
_FS_IOCTL_DEV = 1 << 15  # ABI 5
_NET_BIND_TCP = 1 << 0  # ABI 4
_NET_CONNECT_TCP = 1 << 1
_SCOPE_ABSTRACT_UNIX = 1 << 0  # ABI 6
_SCOPE_SIGNAL = 1 << 1
_SYS_CREATE, _SYS_ADD_RULE, _SYS_RESTRICT = 444, 445, 446
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

_READ = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV

#: System folders every Blender needs to read (shared libraries, fonts, Mesa's drivers).
SYSTEM_READ = ("/usr", "/lib", "/lib64", "/bin", "/etc/ld.so.cache", "/etc/fonts",
               "/etc/localtime", "/sys", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat",
               "/dev/urandom", "/dev/random", "/dev/zero", "/dev/dri")
#: Devices written to as a matter of course.
SYSTEM_WRITE = ("/dev/null",)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64),
                ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 where it has none (or it is disabled)."""
    version = _libc.syscall(_SYS_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(version), 0)


def apply_landlock(read: Iterable[str], write: Iterable[str]) -> int:
    """Confine this process (and its future threads and children) to reading `read` and
    writing `write` (both: files or folders, taken with everything beneath). Returns the
    ABI used, 0 when the kernel has no Landlock (nothing is applied then)."""
    abi = landlock_abi()
    if abi < 1:
        return 0
    fs = (_FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_READ_DIR | _FS_REMOVE_DIR
          | _FS_REMOVE_FILE | _FS_MAKE_CHAR | _FS_MAKE_DIR | _FS_MAKE_REG | _FS_MAKE_SOCK
          | _FS_MAKE_FIFO | _FS_MAKE_BLOCK | _FS_MAKE_SYM)
    if abi >= 2:
        fs |= _FS_REFER
    if abi >= 3:
        fs |= _FS_TRUNCATE
    if abi >= 5:
        fs |= _FS_IOCTL_DEV
    attr = _RulesetAttr(fs, (_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0,
                        (_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL) if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = _libc.syscall(_SYS_CREATE, ctypes.byref(attr), ctypes.c_size_t(size),
                            ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for paths, rights in ((read, _READ), (write, fs)):
            for path in paths:
                _add_rule(int(ruleset), path, rights & fs)
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if _libc.syscall(_SYS_RESTRICT, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(int(ruleset))
    return abi


def _add_rule(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a folder this machine does not have
    try:
        if not os.path.isdir(path):
            rights &= _FILE_RIGHTS
        rule = _PathBeneath(rights, fd)
        if _libc.syscall(_SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                         ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule({path}) failed")
    finally:
        os.close(fd)


class Refused(PermissionError):
    """An operation the sandbox does not allow a scene program."""


#: Audit events refused outright: what a scene program never needs.
_PROCESS_EVENTS = {
    "os.system": "os.system", "subprocess.Popen": "starting a subprocess",
    "os.fork": "os.fork", "os.forkpty": "os.forkpty", "os.exec": "os.exec*",
    "os.posix_spawn": "os.posix_spawn", "os.spawn": "os.spawn*", "os.startfile": "os.startfile",
    "pty.spawn": "pty.spawn", "os.kill": "sending signals", "os.killpg": "sending signals",
    "signal.pthread_kill": "sending signals",
}
_NETWORK_EVENTS = ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg",
                   "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr")
_CTYPES_EVENTS = ("ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function", "ctypes.addressof",
                  "ctypes.cdata", "ctypes.string_at", "ctypes.wstring_at")
_PATH_EVENTS = {  # event -> (index of the path argument, does it modify the file system)
    "os.listdir": (0, False), "os.scandir": (0, False), "glob.glob": (0, False),
    "os.remove": (0, True), "os.rmdir": (0, True), "os.mkdir": (0, True),
    "os.rename": (0, True), "os.chmod": (0, True), "os.chown": (0, True),
    "os.symlink": (1, True), "os.link": (1, True), "os.truncate": (0, True),
    "os.utime": (0, True), "shutil.rmtree": (0, True), "shutil.copyfile": (1, True),
    "shutil.move": (1, True), "os.chdir": (0, False),
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


class AuditGuard:
    """The audit hook; `arm()` turns it on for good (hooks cannot be removed)."""

    def __init__(self, read: Iterable[str], write: Iterable[str]) -> None:
        self.libraries = tuple(os.path.realpath(p) for p in read)
        self.write = tuple(os.path.realpath(p) for p in write)
        self.read = self.libraries + self.write
        self.armed = False
        sys.addaudithook(self._hook)

    def narrow(self, read: Iterable[str], write: Iterable[str]) -> None:
        """In a job child: its own folder instead of the worker's whole scratch folder
        (the kernel's Landlock says the same; this only words the refusal)."""
        self.write = tuple(os.path.realpath(p) for p in write)
        self.read = self.libraries + tuple(os.path.realpath(p) for p in read) + self.write

    def arm(self) -> None:
        """Turn the hook on for good (in a job child, after its kernel walls)."""
        self.armed = True

    def _path(self, raw: object) -> str | None:
        if isinstance(raw, int):
            return None  # an fd the process already holds
        if isinstance(raw, bytes):
            raw = os.fsdecode(raw)
        if not isinstance(raw, str | os.PathLike):
            return None
        return os.path.realpath(os.fspath(raw))

    def _hook(self, event: str, args: tuple[object, ...]) -> None:
        if not self.armed:
            return
        if event in _PROCESS_EVENTS:
            raise Refused(f"{_PROCESS_EVENTS[event]} is not allowed in a scene program")
        if event in _NETWORK_EVENTS:
            raise Refused(f"network access ({event}) is not allowed in a scene program")
        if event in _CTYPES_EVENTS:
            raise Refused(f"ctypes ({event}) is not allowed in a scene program")
        if event == "open" and args:
            path = self._path(args[0])
            if path is None:
                return
            mode = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
            flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
            writing = any(c in mode for c in "wax+") or bool(flags & _WRITE_FLAGS)
            self._check(path, writing, "writing" if writing else "reading")
        elif event in _PATH_EVENTS:
            index, modifies = _PATH_EVENTS[event]
            if len(args) > index:
                path = self._path(args[index])
                if path is not None:
                    self._check(path, modifies, f"{event} on")

    def _check(self, path: str, writing: bool, what: str) -> None:
        if writing and not _under(path, self.write + SYSTEM_WRITE):
            raise Refused(f"{what} {path} is not allowed: a scene program may write only "
                          "in its scratch folder")
        if not writing and not _under(path, self.read + SYSTEM_READ + SYSTEM_WRITE):
            raise Refused(f"{what} {path} is not allowed: a scene program may read only "
                          "its scratch folder and Blender's own files")
