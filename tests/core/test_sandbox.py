"""The core's isolation primitives on real processes: timeouts kill whole process groups,
crashes and memory limits become SandboxErrors, the worker is replaced, credentials and
network stay outside."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from visioncode import Limits, SandboxError, Worker, run_limited
from visioncode.sandbox import network_isolation

HERE = Path(__file__).parent
ENV = {"PYTHONPATH": str(HERE)}


def worker(**limits: object) -> Worker:
    return Worker("sandbox_child", Limits(**{"wall_time_s": 10, **limits}), cwd=HERE, env=ENV)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_worker_is_warm_and_ignores_prints() -> None:
    w = worker()
    try:
        a = w.call({"op": "echo", "value": 1})
        b = w.call({"op": "echo", "value": 2})
        assert (a["value"], b["value"]) == (1, 2)
        assert a["pid"] == b["pid"] and w.started == 1
    finally:
        w.close()


def test_timeout_kills_the_worker_and_the_next_call_gets_a_new_one() -> None:
    w = worker(wall_time_s=0.5)
    try:
        w.call({"op": "echo", "value": 0})
        pid = w.pid  # seen from here (inside a PID namespace the child has another)
        assert pid is not None
        with pytest.raises(SandboxError) as info:
            w.call({"op": "sleep", "seconds": 30})
        assert info.value.reason == "timeout"
        assert not alive(pid)
        w.call({"op": "echo", "value": 5})
        assert w.pid != pid
        assert w.started == 2
    finally:
        w.close()


def test_crash_is_reported_and_recovered() -> None:
    w = worker()
    try:
        with pytest.raises(SandboxError, match="exited with code 3") as info:
            w.call({"op": "crash"})
        assert info.value.reason == "crashed"
        assert w.call({"op": "echo", "value": 1})["value"] == 1
    finally:
        w.close()


def test_memory_limit_fails_the_job_not_the_parent() -> None:
    w = worker(memory_mb=200)
    try:
        answer = w.call({"op": "hog", "mb": 1024})
        assert answer == {"ok": False, "kind": "MemoryError", "error": "memory limit exceeded"}
        assert w.call({"op": "hog", "mb": 10})["size"] == 10 * 1024 * 1024
    finally:
        w.close()


def test_credentials_are_not_passed_to_children(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("HF_TOKEN", "hf-secret")
    monkeypatch.setenv("HARMLESS", "yes")
    w = worker()
    try:
        env = w.call({"op": "env"})["env"]
    finally:
        w.close()
    assert "OPENAI_API_KEY" not in env and "HF_TOKEN" not in env
    assert env["HARMLESS"] == "yes"


@pytest.mark.skipif(not network_isolation(), reason="no network namespaces on this machine")
def test_children_have_no_network() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        end = time.monotonic() + 4
        while time.monotonic() < end:
            try:
                accepted.append(server.accept())
            except TimeoutError:
                continue

    t = threading.Thread(target=accept)
    t.start()
    w = worker()
    try:
        answer = w.call({"op": "connect", "port": port})
    finally:
        w.close()
        t.join()
        server.close()
    assert answer["connected"] is False
    assert accepted == []
    # With network allowed the same call connects: the test server works.
    w = worker(network=True)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        assert w.call({"op": "connect", "port": server.getsockname()[1]})["connected"]
    finally:
        w.close()
        server.close()


def _sleepers(arg: bytes) -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and alive(int(p))
            and _cmdline(p).startswith(b"sleep\x00" + arg)]


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_background_children_die_with_the_worker() -> None:
    w = worker()
    w.call({"op": "spawn"})  # a `sleep 300` (its pid inside a PID namespace is not ours)
    end = time.monotonic() + 5
    while not _sleepers(b"300"):  # wait for the exec
        assert time.monotonic() < end, "the background child never started"
        time.sleep(0.02)
    w.close()
    time.sleep(0.2)
    assert _sleepers(b"300") == []


def test_run_limited_times_out_and_kills_the_group(tmp_path: Path) -> None:
    script = "import subprocess,time; subprocess.Popen(['sleep','301']); time.sleep(60)"
    res = run_limited([sys.executable, "-c", script], cwd=tmp_path,
                      limits=Limits(wall_time_s=1))
    assert res.timed_out and res.returncode is None
    time.sleep(0.2)
    assert _sleepers(b"301") == []


def test_run_limited_caps_output(tmp_path: Path) -> None:
    res = run_limited([sys.executable, "-c", "print('x' * 5_000_000)"], cwd=tmp_path,
                      limits=Limits(output_bytes=4096))
    assert res.returncode == 0 and res.truncated
    assert len(res.stdout) < 5000 and "more bytes dropped" in res.stdout


def test_worker_started_from_a_short_lived_thread_outlives_it() -> None:
    """The sandbox kills a child when the thread that forked it exits (bubblewrap's
    --die-with-parent is per thread): children are forked by a long-lived thread, so a
    Worker first used inside a thread pool stays warm after the pool is gone."""
    from concurrent.futures import ThreadPoolExecutor

    w = worker()
    try:
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(w.call, {"op": "echo", "value": 1}).result()
        time.sleep(0.5)  # the pool's thread has exited
        assert w.alive, "the worker died with the thread that first used it"
        second = w.call({"op": "echo", "value": 2})
        assert (first["value"], second["value"]) == (1, 2)
        assert w.started == 1
    finally:
        w.close()
