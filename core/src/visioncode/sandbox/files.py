"""What the host takes from a job: files it left in its folder, and its answer.

A sandboxed program controls everything inside its job folder and everything its worker
answers. The host therefore never follows a path a child names: `take_file` opens a file
only when it is a regular file strictly inside the job folder, walking every component
with `O_NOFOLLOW` relative to the folder's own descriptor (so neither a symlinked leaf
nor a symlinked parent is followed, and a folder renamed mid-walk is not escaped), refuses
hard links (which could point at content outside the folder), FIFOs, sockets and devices,
and copies at most `max_bytes` into a destination the host chose. `parse_answer` turns a
child's answer into a typed model, so a forged or malformed answer fails its own job with
a clear error instead of steering the host.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import uuid
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import SandboxError

__all__ = ["parse_answer", "take_file"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: a FIFO swapped in between the check and the open must not block the host.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_CHUNK = 1 << 20

M = TypeVar("M", bound=BaseModel)


def _unsafe(name: object, why: str) -> SandboxError:
    return SandboxError("unsafe_output", f"refused to take output {str(name)!r}: {why}")


def _parts(name: str | Path) -> list[str]:
    """The components of a relative name; refuses absolute names, `..`, empty names."""
    text = os.fspath(name)
    if not text or "\x00" in text:
        raise _unsafe(name, "the name is empty or contains a NUL byte")
    path = PurePosixPath(text)
    if path.is_absolute():
        raise _unsafe(name, "the name is absolute; outputs are named relative to the job "
                      "folder")
    parts = [p for p in path.parts if p != "."]
    if not parts:
        raise _unsafe(name, "the name is the job folder itself, not a file in it")
    if ".." in parts:
        raise _unsafe(name, "the name contains '..'; outputs must lie inside the job folder")
    return parts


def _kind(mode: int) -> str:
    for test, word in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"),
                       (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return word
    return "not a regular file"


def take_file(job_dir: Path, name: str | Path, dest: Path, *, max_bytes: int) -> Path:
    """Copy the regular file `name` (relative to `job_dir`) to `dest`; return `dest`.

    `job_dir` is the folder the host made for the job (its own final component is not
    followed either); `name` comes from the child and is never trusted. `dest` is a path
    the host chose (if it is an existing folder, the file keeps its name inside it); it is
    written through a temporary name and renamed into place, so a link at `dest` is
    replaced, never followed. Raises `SandboxError` with reason `unsafe_output` (a link, a
    folder, a FIFO, socket or device, a hard link, a name leaving the folder, a file over
    `max_bytes`) or `missing_output` (no such file), the message naming the file and why.
    """
    if max_bytes < 0:
        raise ValueError(f"take_file: max_bytes must be >= 0, not {max_bytes}")
    parts = _parts(name)
    dest = Path(dest)
    if dest.is_dir() and not dest.is_symlink():
        dest = dest / parts[-1]
    fds: list[int] = []
    try:
        try:
            fds.append(os.open(job_dir, _DIR_FLAGS))
        except OSError as exc:
            raise _unsafe(name, f"the job folder {job_dir} cannot be opened as a folder "
                          f"without following links ({exc.strerror})") from None
        for part in parts[:-1]:
            try:
                fds.append(os.open(part, _DIR_FLAGS, dir_fd=fds[-1]))
            except FileNotFoundError:
                raise SandboxError("missing_output", f"output {str(name)!r} does not exist "
                                   f"(no folder {part!r})") from None
            except OSError as exc:
                raise _unsafe(name, f"its parent {part!r} is not a plain folder (a link or "
                              f"a file: {exc.strerror})") from None
        leaf = parts[-1]
        try:
            before = os.stat(leaf, dir_fd=fds[-1], follow_symlinks=False)
        except FileNotFoundError:
            raise SandboxError("missing_output", f"output {str(name)!r} does not exist in "
                               f"the job folder") from None
        if not stat.S_ISREG(before.st_mode):
            raise _unsafe(name, f"it is {_kind(before.st_mode)}, not a regular file")
        try:
            fd = os.open(leaf, _FILE_FLAGS, dir_fd=fds[-1])
        except OSError as exc:
            raise _unsafe(name, f"it cannot be opened without following links "
                          f"({exc.strerror})") from None
        fds.append(fd)
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != (before.st_dev, before.st_ino) or not stat.S_ISREG(
                st.st_mode):
            raise _unsafe(name, "it was replaced while being opened")
        if st.st_nlink != 1:
            raise _unsafe(name, f"it has {st.st_nlink} hard links; a hard link may share "
                          "content with a file outside the job folder")
        if st.st_size > max_bytes:
            raise _unsafe(name, f"it is {st.st_size} bytes, over the cap of {max_bytes}")
        return _copy(fd, name, dest, max_bytes)
    finally:
        for fd in reversed(fds):
            os.close(fd)


def _copy(fd: int, name: object, dest: Path, max_bytes: int) -> Path:
    part = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:12]}.part")
    out = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                  0o644)
    try:
        total = 0
        with os.fdopen(out, "wb", closefd=True) as sink:
            while chunk := os.read(fd, _CHUNK):
                total += len(chunk)
                if total > max_bytes:  # it grew after the size check
                    raise _unsafe(name, f"it grew past the cap of {max_bytes} bytes while "
                                  "being copied")
                sink.write(chunk)
        os.replace(part, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise
    return dest


def parse_answer(model: type[M], answer: Any) -> M:
    """Validate a child's answer (a dict, or the JSON text of one) into `model`.

    Raises `SandboxError("bad_answer", ...)` naming the model and each invalid field, so
    a forged or garbled answer fails its own job and nothing of it is used."""
    try:
        if isinstance(answer, (str, bytes, bytearray)):
            return model.model_validate_json(answer)
        return model.model_validate(answer)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in err['loc']) or '(answer)'}: {err['msg']}"
            for err in exc.errors()[:10])
        raise SandboxError("bad_answer", f"the worker's answer is not a valid "
                           f"{model.__name__}: {problems}") from None
    except (ValueError, json.JSONDecodeError) as exc:
        raise SandboxError("bad_answer", f"the worker's answer is not a valid "
                           f"{model.__name__}: {exc}") from None
