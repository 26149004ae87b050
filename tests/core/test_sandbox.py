"""The core's isolation primitives on real processes: timeouts kill whole process groups,
crashes and memory limits become SandboxErrors, the worker is replaced, credentials and
network stay outside."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
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
        # one warm worker (imports once), a fresh child per job
        assert w.started == 1 and a["pid"] != b["pid"]
    finally:
        w.close()


def test_timeout_kills_the_worker_and_the_next_call_gets_a_new_one() -> None:
    w = worker(wall_time_s=3)
    try:
        w.call({"op": "echo", "value": 0}, timeout=60)
        pid = w.pid  # seen from here (inside a PID namespace the child has another)
        assert pid is not None
        with pytest.raises(SandboxError) as info:
            w.call({"op": "sleep", "seconds": 30})
        assert info.value.reason == "timeout"
        assert not alive(pid)
        w.call({"op": "echo", "value": 5}, timeout=60)
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
        assert w.started == 1  # the crash took its job's child, not the warm worker
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


def test_the_environment_is_an_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"OPENAI_API_KEY": "sk-secret", "HF_TOKEN": "hf-secret",
                        "DATABASE_URL": "postgres://u:pw-9f1@db/x", "GH_PAT": "ghp_2b7c",
                        "HARMLESS": "yes", "MPLBACKEND": "Agg"}.items():
        monkeypatch.setenv(name, value)
    w = worker(env_allow=["MPLBACKEND"])
    try:
        env = w.call({"op": "env"})["env"]
        job = w.job_dir
    finally:
        w.close()
    for name in ("OPENAI_API_KEY", "HF_TOKEN", "DATABASE_URL", "GH_PAT", "HARMLESS"):
        assert name not in env
    assert "pw-9f1" not in str(env) and "ghp_2b7c" not in str(env)
    assert env["MPLBACKEND"] == "Agg" and env["PATH"] == os.environ["PATH"]
    assert job is not None  # HOME and TMPDIR are the job's own
    assert env["HOME"] == str(job / "home") and env["TMPDIR"] == str(job / "tmp")
    assert env["PYTHONPATH"] == str(HERE)  # what the caller passes explicitly


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


def _matching(marker: str) -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and alive(int(p))
            and marker.encode() in _cmdline(p)]


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def wait_until(condition: Callable[[], bool], timeout_s: float = 20) -> bool:
    """Poll `condition` until it holds (True) or `timeout_s` passes (False)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_background_children_die_with_their_job() -> None:
    w = worker()
    try:
        # The job starts a background process and answers once that process has said
        # it runs (by creating a file).
        marker = f"vc-spawn-{uuid.uuid4().hex[:10]}"
        assert w.call({"op": "spawn", "marker": marker})["running"]
        assert wait_until(lambda: _matching(marker) == [])
        assert w.alive and w.started == 1  # the job's processes died, not the worker
    finally:
        w.close()


def test_run_limited_times_out_and_kills_the_group(tmp_path: Path) -> None:
    script = "import subprocess,time; subprocess.Popen(['sleep','301']); time.sleep(60)"
    res = run_limited([sys.executable, "-c", script], cwd=tmp_path,
                      limits=Limits(wall_time_s=1))
    assert res.timed_out and res.returncode is None
    assert wait_until(lambda: _sleepers(b"301") == [])


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
        # leaving the block joined the pool's thread: it has exited
        assert w.alive, "the worker died with the thread that first used it"
        second = w.call({"op": "echo", "value": 2})
        assert (first["value"], second["value"]) == (1, 2)
        assert w.started == 1
    finally:
        w.close()


def test_keys_files_named_in_a_config_are_registered_hidden(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from visioncode.sandbox import HIDDEN_ENV, hidden_paths, hide_config_secrets

    monkeypatch.setenv(HIDDEN_ENV, "")
    tree = {"model": {"use": "openai-chat", "options": {"keys_file": "secrets/keys.toml"}},
            "metrics": [{"options": {"judge_keys_file": "/etc/vc/judge.toml"}}],
            "renderer": {"options": {"keys": "not a path option"}}}
    found = hide_config_secrets(tree, tmp_path)
    assert found == [tmp_path / "secrets/keys.toml", Path("/etc/vc/judge.toml")]
    hidden = hidden_paths()
    assert (tmp_path / "secrets/keys.toml").resolve() in hidden
    assert Path("/etc/vc/judge.toml") in hidden


@pytest.mark.slow
def test_the_overhead_benchmark_runs(tmp_path: Path) -> None:
    """At a tiny size, to prove the script works (no timing is asserted)."""
    import json
    import subprocess

    root = HERE.parents[1]
    out = tmp_path / "sandbox_overhead.json"
    proc = subprocess.run([sys.executable, str(root / "benchmarks" / "sandbox_overhead.py"),
                           "--quick", "--n", "5", "--write", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert set(data["results"]) == {"in_process", "bare_fork", "one_process", "per_job"}
    assert data["results"]["per_job"]["jobs"] == 5
    assert "fork-per-job" in data["results"]["per_job"]["walls"]
    assert "fork-per-job" not in data["results"]["one_process"]["walls"]
    assert len(data["load_avg_before"]) == 3


def test_a_dropped_worker_takes_its_processes_and_folders_with_it() -> None:
    """A Worker garbage-collected without close() (or alive at interpreter exit) still
    kills its processes and removes its job folders."""
    import gc

    w = worker()
    w.call({"op": "echo", "value": 1})
    pid, root = w.pid, w._jobs_root
    assert pid is not None and root is not None and root.is_dir()
    del w
    gc.collect()
    assert wait_until(lambda: not alive(pid))
    assert not root.exists()
