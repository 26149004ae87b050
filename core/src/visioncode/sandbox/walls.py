"""The kernel walls a job's process puts up around itself before it reads its request.

Each function is applied in the freshly forked job child (see `zygote`), in this order:
its own cgroup (so the whole job can be killed at once, whatever it does with sessions,
groups or its environment), `PR_SET_NO_NEW_PRIVS`, Landlock (read-only allow-list of the
toolchain, read-write only the job's folders, no TCP, no signals or abstract sockets to
processes outside the job) and a seccomp filter (no ptrace, no process_vm_*, no new
namespaces, no mounts, no kernel keyring, no bpf or perf events, no module loading). They
are syscalls made through ctypes, so they hold for native code too: nothing inside the
interpreter can take them back, and a child inherits them across fork and exec.

This module is standard library only, and must stay so: a worker whose interpreter has no
visioncode (the bpy one) loads this file by path to put up the same walls.

`probe()` says which of them this kernel offers; a missing one is reported (loudly, by the
caller) and the job runs behind the others, with the list of walls actually applied
recorded for every job.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import platform
import signal
import stat
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["Probe", "apply_landlock", "apply_seccomp", "join_cgroup", "kill_cgroup",
           "no_new_privs", "open_rules", "probe", "remove_cgroup"]

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.restype = ctypes.c_int
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                        ctypes.c_ulong]

_X86_64 = platform.machine() in {"x86_64", "AMD64"}

# -- prctl -------------------------------------------------------------------------------

PR_SET_NO_NEW_PRIVS = 38
PR_GET_SECCOMP = 21
PR_SET_SECCOMP = 22
PR_SET_DUMPABLE = 4
SECCOMP_MODE_FILTER = 2


class WallError(OSError):
    """A wall the probe said was available could not be put up: the job must not run."""


def _prctl(option: int, arg: int = 0, arg3: int = 0) -> None:
    if _libc.prctl(option, arg, arg3, 0, 0) != 0:
        code = ctypes.get_errno()
        raise WallError(code, f"prctl({option}) failed: {os.strerror(code)}")


def no_new_privs() -> None:
    """No setuid/setcap binary can give the job more privileges (required by seccomp and
    unprivileged Landlock)."""
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


def restore_dumpable() -> None:
    """A job child: its own /proc files are its own again (the zygote's stay root-only)."""
    _prctl(PR_SET_DUMPABLE, 1)


def not_dumpable() -> None:
    """The zygote: no core dumps, and /proc/PID/mem, environ etc. of it are root-only."""
    _prctl(PR_SET_DUMPABLE, 0)


# -- Landlock ----------------------------------------------------------------------------

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

_FILE_ONLY = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
_READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR


def _fs_handled(abi: int) -> int:
    handled = (1 << 13) - 1  # ABI 1: EXECUTE .. MAKE_SYM
    if abi >= 2:
        handled |= FS_REFER
    if abi >= 3:
        handled |= FS_TRUNCATE
    if abi >= 5:
        handled |= FS_IOCTL_DEV
    return handled


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 where Landlock is missing or disabled."""
    if not _X86_64:
        return 0
    abi = _libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                        ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(int(abi), 0)


def open_rules(readable: Iterable[Path], writable: Iterable[Path],
               abi: int) -> list[tuple[int, int]]:
    """(O_PATH descriptor, allowed access) for each path that exists: opened once by the
    zygote, so that each job child adds its rules without resolving a path."""
    fs = _fs_handled(abi)
    rules: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for paths, access in ((writable, fs), (readable, _READ & fs)):
        for path in paths:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # a path that does not exist here needs no rule
            st = os.fstat(fd)
            key = (st.st_dev, st.st_ino)
            if key in seen:  # the same folder twice (a link, a repeated entry)
                os.close(fd)
                continue
            seen.add(key)
            rules.append((fd, access if stat.S_ISDIR(st.st_mode) else access & _FILE_ONLY))
    return rules


def apply_landlock(rules: Iterable[tuple[int, int]], *, network: bool,
                   abi: int) -> list[str]:
    """Restrict this process (and everything it starts) to the `rules` (`open_rules`),
    no TCP unless `network`, and (ABI 6+) no signals or abstract unix sockets to
    processes outside its own domain. Returns the names of what was applied."""
    fs = _fs_handled(abi)
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 and not network else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    attr = struct.pack("<QQQ", fs, net, scoped)[:size]
    buf = ctypes.create_string_buffer(attr, size)
    ruleset = _libc.syscall(_SYS_CREATE_RULESET, buf, ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        code = ctypes.get_errno()
        raise WallError(code, f"landlock_create_ruleset: {os.strerror(code)}")
    try:
        for fd, access in rules:
            rule = struct.pack("<Qi", access, fd)  # packed: u64 allowed_access, s32 fd
            rbuf = ctypes.create_string_buffer(rule, len(rule))
            if _libc.syscall(_SYS_ADD_RULE, ctypes.c_int(ruleset),
                             ctypes.c_int(_RULE_PATH_BENEATH), rbuf, ctypes.c_uint32(0)) != 0:
                code = ctypes.get_errno()
                raise WallError(code, f"landlock_add_rule(fd {fd}): {os.strerror(code)}")
        no_new_privs()
        if _libc.syscall(_SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            code = ctypes.get_errno()
            raise WallError(code, f"landlock_restrict_self: {os.strerror(code)}")
    finally:
        os.close(int(ruleset))
    applied = [f"landlock-abi{abi}"]
    if net:
        applied.append("landlock-no-tcp")
    if scoped:
        applied.append("landlock-scoped-signals")
    return applied


# -- seccomp -----------------------------------------------------------------------------

_AUDIT_ARCH_X86_64 = 0xC000003E
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_RET_ALLOW = 0x7FFF0000
_LD_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JSET = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RET = 0x06  # BPF_RET | BPF_K

#: x86_64 system calls a job never needs and an escape would: debugging other processes,
#: new namespaces and mounts (the ways out of a mount or PID confinement), the kernel
#: keyring, bpf and perf events (kernel attack surface and spying), module and kexec
#: loading, io_uring (whose requests bypass this filter) and userfaultfd.
DENIED = {
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312,
    "unshare": 272, "setns": 308,
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "open_tree": 428,
    "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442,
    "keyctl": 250, "add_key": 248, "request_key": 249,
    "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
    "delete_module": 176, "open_by_handle_at": 304, "name_to_handle_at": 303,
    "swapon": 167, "swapoff": 168, "reboot": 169, "acct": 163, "quotactl": 179,
    "iopl": 172, "ioperm": 173, "lookup_dcookie": 212,
}
_CLONE, _CLONE3 = 56, 435
#: CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 \
    | 0x20000000 | 0x40000000 | 0x00000080


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


@cache
def seccomp_program() -> bytes:
    """The classic BPF filter (see DENIED): other architectures (and x32 calls) are
    killed, denied calls fail with EPERM, clone with a namespace flag fails with EPERM,
    clone3 (whose flags this filter cannot read) with ENOSYS so the C library falls back
    to clone, and everything else is allowed."""
    eperm = _RET_ERRNO | errno.EPERM
    prog = [_insn(_LD_ABS, 4),  # seccomp_data.arch
            _insn(_JEQ, _AUDIT_ARCH_X86_64, 1, 0),
            _insn(_RET, _RET_KILL_PROCESS),
            _insn(_LD_ABS, 0),  # seccomp_data.nr
            _insn(_JGE, 0x40000000, 0, 1),  # the x32 ABI
            _insn(_RET, eperm)]
    for nr in sorted(set(DENIED.values())):
        prog += [_insn(_JEQ, nr, 0, 1), _insn(_RET, eperm)]
    prog += [_insn(_JEQ, _CLONE3, 0, 1), _insn(_RET, _RET_ERRNO | errno.ENOSYS),
             _insn(_JEQ, _CLONE, 0, 3),
             _insn(_LD_ABS, 16),  # args[0] (flags), low 32 bits
             _insn(_JSET, NAMESPACE_FLAGS, 0, 1),
             _insn(_RET, eperm),
             _insn(_RET, _RET_ALLOW)]
    return b"".join(prog)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def apply_seccomp() -> list[str]:
    """Install the filter on this process (inherited by all it starts; cannot be removed)."""
    program = seccomp_program()
    buf = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    no_new_privs()
    if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        code = ctypes.get_errno()
        raise WallError(code, f"seccomp filter: {os.strerror(code)}")
    return ["seccomp"]


def seccomp_available() -> bool:
    return _X86_64 and _libc.prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0


# -- cgroups -----------------------------------------------------------------------------

def join_cgroup(parent: Path, name: str) -> Path:
    """Make `parent/name` and move this process into it (every process it starts
    inherits it, and no unprivileged process can leave it)."""
    group = parent / name
    group.mkdir()
    (group / "cgroup.procs").write_text("0")
    return group


def kill_cgroup(group: Path) -> None:
    """SIGKILL every process in `group` at once (`cgroup.kill`, cgroup v2), or one by one
    until none is left where the file is missing (cgroup v1)."""
    try:
        (group / "cgroup.kill").write_text("1")
        return
    except FileNotFoundError:
        pass
    except OSError:
        if not group.exists():
            return
    for _ in range(1000):
        try:
            pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def remove_cgroup(group: Path, timeout_s: float = 5.0) -> bool:
    """Remove an emptied (killed) cgroup, waiting up to `timeout_s` for the kernel to
    reap its tasks (0: one try, never blocking). True once it is gone."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            group.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            kill_cgroup(group)
            time.sleep(0.001)


# -- probe -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    landlock_abi: int
    seccomp: bool


@cache
def probe() -> Probe:
    return Probe(landlock_abi=landlock_abi(), seccomp=seccomp_available())
