"""`take_file` and `parse_answer` against what a hostile program leaves in its folder:
links to a canary, symlinked parents, hard links, FIFOs, devices, oversize files, names
that leave the folder, and forged answers."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from visioncode import SandboxError, parse_answer, take_file


@pytest.fixture
def job(tmp_path: Path) -> Path:
    folder = tmp_path / "job"
    (folder / "sub").mkdir(parents=True)
    return folder


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("canary-5b1e")
    return secret


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    folder.mkdir()
    return folder


def refused(job: Path, name: str | Path, dest: Path, reason: str = "unsafe_output",
            max_bytes: int = 1 << 20) -> str:
    with pytest.raises(SandboxError) as info:
        take_file(job, name, dest, max_bytes=max_bytes)
    assert info.value.reason == reason, info.value
    assert str(name) in str(info.value)  # the message names the file
    return str(info.value)


def test_a_regular_file_is_copied(job: Path, dest: Path) -> None:
    (job / "sub" / "render.png").write_bytes(b"png-bytes")
    out = take_file(job, "sub/render.png", dest, max_bytes=100)
    assert out == dest / "render.png" and out.read_bytes() == b"png-bytes"
    named = take_file(job, Path("sub/render.png"), dest / "renamed.png", max_bytes=9)
    assert named.read_bytes() == b"png-bytes"
    assert sorted(p.name for p in dest.iterdir()) == ["renamed.png", "render.png"]


def test_symlinked_leaf_to_a_canary_is_refused(job: Path, canary: Path, dest: Path) -> None:
    (job / "render.png").symlink_to(canary)
    assert "symbolic link" in refused(job, "render.png", dest)
    assert list(dest.iterdir()) == []


def test_symlinked_parent_is_refused(job: Path, canary: Path, dest: Path) -> None:
    (job / "frames").symlink_to(canary.parent, target_is_directory=True)
    assert "frames" in refused(job, "frames/secret.txt", dest)
    assert list(dest.iterdir()) == []


def test_symlinked_job_folder_is_refused(tmp_path: Path, canary: Path, dest: Path) -> None:
    swapped = tmp_path / "swapped-job"
    swapped.symlink_to(canary.parent, target_is_directory=True)
    assert "job folder" in refused(swapped, "secret.txt", dest)


def test_hard_link_to_a_canary_is_refused(job: Path, canary: Path, dest: Path) -> None:
    os.link(canary, job / "render.png")
    assert "hard links" in refused(job, "render.png", dest)
    assert list(dest.iterdir()) == []


def test_fifo_is_refused_without_blocking(job: Path, dest: Path) -> None:
    os.mkfifo(job / "render.png")  # nobody ever writes it: opening it would block
    assert "FIFO" in refused(job, "render.png", dest)


def test_device_is_refused(job: Path, dest: Path) -> None:
    try:
        os.mknod(job / "render.png", 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero
    except PermissionError:
        pytest.skip("mknod needs root")
    assert "character device" in refused(job, "render.png", dest)


def test_folder_and_socket_are_refused(job: Path, dest: Path) -> None:
    import socket

    assert "a folder" in refused(job, "sub", dest)
    path = job / "s"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        assert "socket" in refused(job, "s", dest)


def test_oversize_file_is_refused(job: Path, dest: Path) -> None:
    (job / "big.bin").write_bytes(b"x" * 101)
    assert "over the cap of 100" in refused(job, "big.bin", dest, max_bytes=100)
    assert list(dest.iterdir()) == []
    (job / "ok.bin").write_bytes(b"x" * 100)
    assert take_file(job, "ok.bin", dest, max_bytes=100).stat().st_size == 100


@pytest.mark.parametrize("name", ["../outside/secret.txt", "sub/../../outside/secret.txt",
                                  "", "."])
def test_names_that_leave_the_folder_are_refused(job: Path, canary: Path, dest: Path,
                                                 name: str) -> None:
    refused(job, name, dest)


def test_absolute_name_is_refused(job: Path, canary: Path, dest: Path) -> None:
    assert "absolute" in refused(job, str(canary), dest)


def test_missing_file_is_its_own_reason(job: Path, dest: Path) -> None:
    refused(job, "render.png", dest, reason="missing_output")
    refused(job, "nothing/render.png", dest, reason="missing_output")


def test_a_link_at_the_destination_is_replaced_not_followed(job: Path, canary: Path,
                                                            dest: Path) -> None:
    (job / "render.png").write_bytes(b"new")
    (dest / "render.png").symlink_to(canary)
    take_file(job, "render.png", dest / "render.png", max_bytes=10)
    assert canary.read_text() == "canary-5b1e"
    assert not (dest / "render.png").is_symlink()
    assert (dest / "render.png").read_bytes() == b"new"


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ok: bool
    files: list[str]


def test_parse_answer_accepts_a_valid_answer() -> None:
    assert parse_answer(Answer, {"ok": True, "files": ["a.png"]}).files == ["a.png"]
    assert parse_answer(Answer, '{"ok": false, "files": []}').ok is False


@pytest.mark.parametrize("forged", [{"ok": True, "files": "/etc/shadow"},
                                    {"ok": True, "files": [], "copy_from": "/etc/shadow"},
                                    "not json", ["a list"]])
def test_parse_answer_refuses_a_forged_answer(forged: object) -> None:
    with pytest.raises(SandboxError) as info:
        parse_answer(Answer, forged)
    assert info.value.reason == "bad_answer" and "Answer" in str(info.value)
