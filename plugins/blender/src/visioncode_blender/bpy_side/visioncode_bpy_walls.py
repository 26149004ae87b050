"""The kernel walls of one bpy job, put up by the job's freshly forked child.

The bpy interpreter has neither visioncode nor pydantic, but core's walls
(`visioncode/sandbox/walls.py`: Landlock, seccomp, `no_new_privs`, per-job cgroups) are
standard library only: the host names that file in `VISIONCODE_BPY_WALLS_FILE` and this
module loads it by path, so a bpy job gets the same walls as every other job of the
framework. On top of core's seccomp filter a bpy job gets a second one that refuses to
start any process at all (`fork`, `vfork`, `execve`, `clone` without `CLONE_THREAD`):
Blender needs threads, never processes, so no daemon can outlive or escape its job even
where no cgroup could be made. The cgroup comes from the host's plan
(`VISIONCODE_SANDBOX_JOB`, the JSON core's `Worker` gives its zygotes): one child cgroup
per job, killed whole when the job ends.

Where core's file cannot be loaded, the job falls back to this plugin's own Landlock
(`visioncode_bpy_guard.apply_landlock`) and the process filter, and `names()` says so:
every record lists the walls its job had.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import importlib.util
import json
import os
import platform
import signal
import struct
import sys
from types import ModuleType
from typing import Any

import visioncode_bpy_guard as guard

WALLS_FILE_ENV = "VISIONCODE_BPY_WALLS_FILE"
PLAN_ENV = "VISIONCODE_SANDBOX_JOB"

_libc = ctypes.CDLL(None, use_errno=True)
_libc.prctl.restype = ctypes.c_int
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                        ctypes.c_ulong]
_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_X86_64 = platform.machine() in {"x86_64", "AMD64"}

# The process filter (x86_64 system call numbers, classic BPF).
_AUDIT_ARCH_X86_64 = 0xC000003E
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_RET_ALLOW = 0x7FFF0000
_LD_ABS, _JEQ, _JSET, _RET = 0x20, 0x15, 0x45, 0x06
_FORK, _VFORK, _EXECVE, _EXECVEAT, _CLONE, _CLONE3 = 57, 58, 59, 322, 56, 435
_CLONE_THREAD = 0x00010000


def die_with_parent() -> None:
    """The job child dies when the zygote does (a killed worker takes its job along)."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def process_filter() -> bytes:
    """No new process: fork, vfork, execve(at) and clone without CLONE_THREAD fail with
    EPERM; clone3 with ENOSYS (its flags are out of a classic filter's reach), so the C
    library creates threads with clone, which stays allowed."""
    eperm = _RET_ERRNO | errno.EPERM
    prog = [_insn(_LD_ABS, 4), _insn(_JEQ, _AUDIT_ARCH_X86_64, 1, 0),
            _insn(_RET, _RET_KILL_PROCESS), _insn(_LD_ABS, 0)]
    for nr in (_FORK, _VFORK, _EXECVE, _EXECVEAT):
        prog += [_insn(_JEQ, nr, 0, 1), _insn(_RET, eperm)]
    prog += [_insn(_JEQ, _CLONE3, 0, 1), _insn(_RET, _RET_ERRNO | errno.ENOSYS),
             _insn(_JEQ, _CLONE, 0, 3),
             _insn(_LD_ABS, 16),  # args[0], the clone flags (low 32 bits)
             _insn(_JSET, _CLONE_THREAD, 1, 0),
             _insn(_RET, eperm),
             _insn(_RET, _RET_ALLOW)]
    return b"".join(prog)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def apply_process_filter() -> None:
    program = process_filter()
    buf = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "the process filter (seccomp) failed")


def _load_core(path: str | None) -> tuple[ModuleType | None, str | None]:
    if not path:
        return None, f"{WALLS_FILE_ENV} is not set"
    try:
        spec = importlib.util.spec_from_file_location("visioncode_core_walls", path)
        if spec is None or spec.loader is None:
            return None, f"cannot load {path}"
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        for name in ("apply_landlock", "apply_seccomp", "no_new_privs", "probe",
                     "join_cgroup", "kill_cgroup", "remove_cgroup"):
            if not hasattr(module, name):
                return None, f"{path} has no {name}()"
        return module, None
    except Exception as exc:  # any failure: fall back to this module's own walls
        return None, f"cannot load {path}: {exc!r}"


class Walls:
    """What each job child of this zygote applies (decided once, in the zygote)."""

    def __init__(self, core: ModuleType | None, error: str | None,
                 cgroup: str | None) -> None:
        self.core, self.error, self.cgroup = core, error, cgroup
        probe = core.probe() if core is not None else None
        self.landlock_abi = probe.landlock_abi if probe else guard.landlock_abi()
        self.seccomp = bool(probe and probe.seccomp)
        #: Landlock rules of what every job reads and writes, opened once in the zygote
        #: (each job child adds its own folder's rule and inherits these descriptors).
        self._shared: tuple[list[str], list[str], list[Any]] | None = None

    def prepare(self, read: list[str], write: list[str]) -> None:
        """In the zygote: open the rules every job shares, so that a job child resolves
        one path (its own folder), not the whole toolchain."""
        core = self.core
        if core is not None and self.landlock_abi and hasattr(core, "open_rules"):
            from pathlib import Path

            rules = core.open_rules([Path(p) for p in read], [Path(p) for p in write],
                                    self.landlock_abi)
            self._shared = (list(read), list(write), list(rules))

    @classmethod
    def load(cls) -> Walls:
        core, error = _load_core(os.environ.get(WALLS_FILE_ENV))
        cgroup = None
        with contextlib.suppress(ValueError, TypeError):
            plan = json.loads(os.environ.pop(PLAN_ENV, "") or "{}")
            if isinstance(plan, dict) and isinstance(plan.get("cgroup"), str):
                cgroup = plan["cgroup"] if os.path.isdir(plan["cgroup"]) else None
        return cls(core, error, cgroup)

    def names(self) -> list[str]:
        named = ["fork-per-job", "private-folder", "no-new-privs"]
        if self.cgroup and self.core is not None:
            named.append("cgroup")
        if self.landlock_abi:
            named.append(f"landlock-abi{self.landlock_abi}")
        if self.seccomp:
            named.append("seccomp")
        if _X86_64:
            named.append("no-processes")
        return named

    # -- in the job child ---------------------------------------------------------------

    def join_job(self, name: str) -> None:
        """Enter this job's own cgroup (before Landlock hides the cgroup folder)."""
        if self.cgroup and self.core is not None:
            from pathlib import Path

            self.core.join_cgroup(Path(self.cgroup), name)

    def apply(self, read: list[str], write: list[str]) -> list[str]:
        """Put up the job's walls; return their names. Raises when one fails, so that
        no program runs behind fewer walls than its record says."""
        from pathlib import Path

        applied = ["fork-per-job", "private-folder"]
        if self.core is not None:
            self.core.no_new_privs()
            applied.append("no-new-privs")
            if self.cgroup:
                applied.append("cgroup")
            if self.landlock_abi:
                applied += self._core_landlock([Path(p) for p in read],
                                               [Path(p) for p in write])
            if self.seccomp:
                applied += self.core.apply_seccomp()
        else:
            if self.landlock_abi:
                abi = guard.apply_landlock(read, write)
                applied.append(f"landlock-abi{abi}")
            applied.append("no-new-privs")
        if _X86_64:
            apply_process_filter()
            applied.append("no-processes")
        return applied

    def _core_landlock(self, read: list[Any], write: list[Any]) -> list[str]:
        core, abi = self.core, self.landlock_abi
        assert core is not None
        if hasattr(core, "open_rules"):  # rules opened first, then restricted
            shared = self._shared
            if shared is not None and [str(p) for p in read] == shared[0] and \
                    [str(p) for p in write][1:] == shared[1]:
                rules = shared[2] + list(core.open_rules([], write[:1], abi))
            else:
                rules = list(core.open_rules(read, write, abi))
            return list(core.apply_landlock(rules, network=False, abi=abi))
        try:
            return list(core.apply_landlock(read, write, network=False, abi=abi))
        except TypeError:  # a core whose Landlock call this module does not know
            return [f"landlock-abi{guard.apply_landlock(map(str, read), map(str, write))}"]

    # -- in the zygote ------------------------------------------------------------------

    def kill_job(self, pid: int, name: str) -> None:
        if self.cgroup and self.core is not None:
            from pathlib import Path

            self.core.kill_cgroup(Path(self.cgroup) / name)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    def remove_job(self, name: str) -> None:
        if self.cgroup and self.core is not None:
            from pathlib import Path

            with contextlib.suppress(OSError):
                self.core.remove_cgroup(Path(self.cgroup) / name)
