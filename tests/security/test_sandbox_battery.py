"""The sandbox itself (`run_limited` and `Worker`) against hostile programs: fork bombs,
memory hogs, daemons that escape the process group, floods of output, network, writes
and deletes outside the scratch folder, credential files and other processes' environments.

Every executor runs its programs through these two, so each property proved here holds
for all of them. Where a property depends on the isolation level (`isolation()`), the
test runs at the levels that promise it, forcing the weaker ones by hiding the stronger
tools, so the fallbacks are measured too."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from visioncode import Limits, SandboxError, Worker, run_limited
from visioncode import sandbox as sb
from visioncode.sandbox import walls

from ..conftest import ROOT
from .harness import Canary, Listener, outside_temp, processes_matching, wait_gone

pytestmark = pytest.mark.security

HERE = Path(__file__).parent
CHILD_ENV = {"PYTHONPATH": str(HERE)}
FULL = sb.isolation()


def py(code: str, marker: str = "") -> list[str]:
    """argv running `code`; `marker` (in a trailing comment) names its processes."""
    return [sys.executable, "-c", textwrap.dedent(code) + (f"\n# {marker}" if marker else "")]


def mark() -> str:
    return f"vc-battery-{uuid.uuid4().hex[:10]}"


# -- the levels ----------------------------------------------------------------------------

LEVELS = {
    "bwrap": FULL.level == "bwrap",
    "namespaces": bool(sb._unshare()),
    "cgroup-only": FULL.cgroup,
    "token-only": True,
}


@pytest.fixture(params=list(LEVELS))
def level(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test at each isolation level this machine can offer, the weaker ones
    forced by pretending the stronger tools are missing."""
    name = request.param
    if not LEVELS[name]:
        pytest.skip(f"isolation level {name!r} is not available on this machine")
    cgroup = FULL.cgroup and name != "token-only"
    forced = {
        "bwrap": FULL,
        "namespaces": sb.Isolation("namespaces", False, True, True, cgroup),
        "cgroup-only": sb.Isolation("rlimits", False, False, bool(sb._network_only()), True),
        "token-only": sb.Isolation("rlimits", False, False, bool(sb._network_only()), False),
    }[name]
    monkeypatch.setattr(sb, "isolation", lambda: forced)
    if not cgroup:
        monkeypatch.setattr(sb, "_cgroup_root", lambda: None)
    yield name


def test_this_machine_gets_the_full_level_and_says_so() -> None:
    """CI and the development machine are Debian, as root, with bubblewrap installed by
    scripts/setup.d/10-sandbox.sh: the strongest level must be in force there."""
    if os.geteuid() != 0 and FULL.level != "bwrap":
        pytest.skip("not root: the full level needs bubblewrap with namespaces")
    assert FULL.level == "bwrap" and FULL.filesystem and FULL.pid_namespace
    assert FULL.network_namespace and FULL.cgroup


def test_a_weaker_level_warns_loudly(monkeypatch: pytest.MonkeyPatch,
                                     capfd: pytest.CaptureFixture[str]) -> None:
    real_which = sb.shutil.which
    monkeypatch.setattr(sb.shutil, "which",
                        lambda name: None if name == "bwrap" else real_which(name))
    for probe in (sb._bwrap, sb.isolation):
        probe.cache_clear()
    try:
        found = sb.isolation()
        assert found.level in {"namespaces", "rlimits"} and not found.filesystem
        assert "bubblewrap" in capfd.readouterr().err
    finally:
        for probe in (sb._bwrap, sb.isolation):
            probe.cache_clear()
    monkeypatch.undo()
    assert sb.isolation() == FULL


# -- processes -----------------------------------------------------------------------------

def test_fork_bomb_is_capped_and_leaves_nothing(tmp_path: Path) -> None:
    if not FULL.cgroup:
        pytest.skip("no pids cgroup here: a fork bomb would reach the whole machine")
    marker = mark()
    wide = """
        import os, time
        n = 0
        for _ in range(5000):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            n += 1
        print(n, flush=True)
    """
    res = run_limited(py(wide, marker), cwd=tmp_path, limits=Limits(processes=40))
    assert res.returncode == 0, res.stderr
    assert 0 < int(res.stdout) < 40  # the cap held (the process itself counts too)
    assert wait_gone(marker) == []
    # A true recursive bomb runs until its wall time and leaves nothing behind.
    bomb = """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """
    res = run_limited(py(bomb, marker), cwd=tmp_path,
                      limits=Limits(processes=40, wall_time_s=2))
    assert res.timed_out and res.returncode is None
    assert wait_gone(marker) == []


def test_memory_hog_fails_its_own_process(tmp_path: Path) -> None:
    res = run_limited(py("blob = bytearray(4 << 30)"), cwd=tmp_path,
                      limits=Limits(memory_mb=256))
    assert res.returncode not in (0, None) and "MemoryError" in res.stderr
    w = Worker("battery_child", Limits(memory_mb=256, wall_time_s=20), cwd=tmp_path,
               env=CHILD_ENV)
    try:
        answer = w.call({"op": "hog", "mb": 4096})
        assert answer["ok"] is False and answer["kind"] == "MemoryError"
        assert w.call({"op": "echo", "value": 1})["value"] == 1  # same warm worker
        assert w.started == 1
    finally:
        w.close()


DAEMON = """
    import os, subprocess, sys, time
    # Double fork with a new session: the grandchild leaves the job's process group.
    # The daemon says it runs (a file it creates); the job waits for that, then ends.
    ready = os.path.abspath("daemon-ready")
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            env = {} if CLEAR_ENV else None
            code = f"open({ready!r}, 'w').close(); import time; time.sleep(120)  # MARK"
            subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True)
            time.sleep(120)
        os._exit(0)
    while not os.path.exists(ready):
        time.sleep(0.01)
    print("parent done")
"""


@pytest.mark.parametrize("clear_env", [False, True], ids=["daemon", "daemon-clearing-env"])
def test_daemon_that_escapes_the_group_dies_with_the_job(level: str, clear_env: bool,
                                                         tmp_path: Path) -> None:
    if clear_env and level == "token-only":
        pytest.skip("known gap of the weakest level (documented): without a cgroup or "
                    "PID namespace, a daemon that drops its environment escapes")
    marker = mark()
    code = DAEMON.replace("CLEAR_ENV", str(clear_env)).replace("MARK", marker)
    res = run_limited(py(code, marker), cwd=tmp_path, limits=Limits(wall_time_s=30))
    assert res.returncode == 0 and "parent done" in res.stdout, res.stderr
    assert wait_gone(marker) == []


def battery_worker(cwd: Path, **limits: Any) -> Worker:
    return Worker("battery_child", Limits(**{"wall_time_s": 30, **limits}), cwd=cwd,
                  env=CHILD_ENV)


def test_a_jobs_daemon_dies_with_its_job_and_never_touches_a_later_job(
        level: str, tmp_path: Path) -> None:
    """A job starts a daemon (double fork, new session, empty environment) that keeps
    overwriting the file a later job of the same worker will write. The daemon must be
    gone when its job's answer arrives, and the later job's output stay its own."""
    marker = mark()
    later = tmp_path / "later.txt"  # the worker's folder: writable by each of its jobs
    w = battery_worker(tmp_path)
    try:
        assert w.call({"op": "daemon", "marker": marker, "target": str(later)})["ok"]
        if level == "token-only":
            # Known gap, documented: without a cgroup a daemon that dropped the sandbox
            # token survives its job; it dies with the worker (its PID namespace or
            # process group is all that is left at this level).
            assert processes_matching(marker) != []
            w.close()
            left = wait_gone(marker)
            for pid in left:  # the test cleans up what the weakest level could not
                os.kill(pid, 9)
            assert wait_gone(marker) == []
            if left:
                pytest.skip("known gap of the weakest level: the daemon outlived the worker")
            return
        assert wait_gone(marker) == [], "the daemon outlived its job"
        assert w.call({"op": "write_file", "name": str(later), "text": "job-2"})["ok"]
        assert later.read_text() == "job-2"
        assert w.started == 1
    finally:
        w.close()
    assert wait_gone(marker) == []


def test_worker_killed_mid_job_is_replaced_with_its_daemons_gone(tmp_path: Path) -> None:
    marker = mark()
    w = battery_worker(tmp_path)
    try:
        w.call({"op": "daemon", "marker": marker})
        with pytest.raises(SandboxError) as info:
            w.call({"op": "crash"})
        assert info.value.reason == "crashed" and "exited with code 3" in str(info.value)
        # The crash took its own job's child only: the warm worker answers on.
        assert w.call({"op": "echo", "value": 7})["value"] == 7 and w.started == 1
        w.kill()  # now the worker itself dies, as an OOM kill would
        assert w.call({"op": "echo", "value": 8})["value"] == 8 and w.started == 2
        assert wait_gone(marker) == []
    finally:
        w.close()


# -- per-job walls -------------------------------------------------------------------------

PER_JOB = pytest.mark.skipif(not (walls.probe().landlock_abi and walls.probe().seccomp),
                             reason="no Landlock or seccomp on this kernel")


@PER_JOB
def test_every_job_records_its_walls(tmp_path: Path) -> None:
    w = battery_worker(tmp_path)
    try:
        w.call({"op": "echo", "value": 1})
        assert w.walls[0] == FULL.level
        assert {"fork-per-job", "no-new-privs", "seccomp", "private-folder"} <= set(w.walls)
        assert any(x.startswith("landlock-abi") for x in w.walls)
        assert ("cgroup" in w.walls) == (sb._cgroup_root() is not None)
    finally:
        w.close()


@PER_JOB
def test_a_job_reads_nothing_outside_its_allow_list(canary: Canary, fake_home: Path,
                                                    tmp_path: Path) -> None:
    targets = {"canary": canary.file, "checkout": ROOT / "pyproject.toml",
               "git": ROOT / ".git" / "config", "home": fake_home / "notes.txt",
               "ssh": fake_home / ".ssh" / "id_ed25519", "shadow": Path("/etc/shadow"),
               "host_tmp": Path(tempfile.gettempdir())}
    w = battery_worker(tmp_path)
    try:
        answer = w.call({"op": "read", "paths": [str(p) for p in targets.values()]})
        results = dict(zip(targets, answer["results"].values(), strict=True))
        # Control: what the toolchain needs is readable.
        lib = w.call({"op": "read", "paths": [sb.__file__]})["results"][sb.__file__]
    finally:
        w.close()
    assert set(results.values()) <= {"Permission denied", "No such file or directory",
                                     "Is a directory"}, results
    assert canary.secret not in str(answer) and "PRIVATE-KEY" not in str(answer)
    assert "SandboxError" in lib  # this very module, read by the job
    canary.assert_untouched()


@PER_JOB
def test_a_job_writes_nothing_outside_its_folder(canary: Canary, tmp_path: Path) -> None:
    """Not the host's temp folder, not another worker's job folder, not a canary; its
    own folder, yes."""
    other_cwd, cwd = tmp_path / "other", tmp_path / "mine"
    other_cwd.mkdir()
    cwd.mkdir()
    other, w = battery_worker(other_cwd), battery_worker(cwd)
    try:
        other.call({"op": "write_file", "name": "result.txt", "text": "other's"})
        assert other.job_dir is not None
        victim = other.job_dir / "result.txt"
        host_tmp = Path(tempfile.gettempdir()) / f"{mark()}.txt"
        for target in (victim, host_tmp, canary.path / "pwned.txt", canary.file):
            # Landlock refuses (EACCES); bubblewrap's read-only mount may refuse first.
            assert w.call({"op": "write", "path": str(target)})["error"] in {
                "Permission denied", "Read-only file system"}, target
        assert w.call({"op": "write_file", "name": "own.txt", "text": "fine"})["ok"]
        assert w.job_dir is not None and (w.job_dir / "own.txt").read_text() == "fine"
    finally:
        w.close()
        other.close()
    assert not host_tmp.exists()
    canary.assert_untouched()


@PER_JOB
def test_a_job_cannot_spy_on_or_kill_the_zygote(tmp_path: Path) -> None:
    w = battery_worker(tmp_path)
    try:
        results = w.call({"op": "spy"})["results"]
        assert w.call({"op": "echo", "value": 3})["value"] == 3 and w.started == 1
    finally:
        w.close()
    assert results["ptrace_attach"] == "Operation not permitted"
    assert results["process_vm_readv"] == "Operation not permitted"
    assert results["proc_mem"] == "Permission denied"
    assert results["proc_environ"] == "Permission denied"
    assert results["kill_zygote"] == "Operation not permitted"


@PER_JOB
def test_a_job_cannot_make_namespaces_or_mounts(tmp_path: Path) -> None:
    w = battery_worker(tmp_path)
    try:
        results = w.call({"op": "escape"})["results"]
    finally:
        w.close()
    assert set(results.values()) == {"Operation not permitted"}, results


def test_a_job_that_corrupts_the_interpreter_leaves_the_next_one_clean(
        tmp_path: Path) -> None:
    w = battery_worker(tmp_path)
    try:
        assert w.call({"op": "corrupt"})["state"] == "corrupted"
        after = w.call({"op": "state"})
    finally:
        w.close()
    assert after == {"ok": True, "state": "pristine", "json": "[1]", "len": 2}
    assert w.started == 1


def test_env_secrets_never_reach_a_job(monkeypatch: pytest.MonkeyPatch,
                                       tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://app:hunter2-4ac1@db.internal/prod")
    monkeypatch.setenv("GH_PAT", "ghp_secret7f3e")
    w = battery_worker(tmp_path)
    try:
        answer = w.call({"op": "env"})
    finally:
        w.close()
    assert "DATABASE_URL" not in answer["env"] and "GH_PAT" not in answer["env"]
    assert "hunter2-4ac1" not in json.dumps(answer) and "ghp_secret7f3e" not in json.dumps(answer)
    res = run_limited(py("import os, json; print(json.dumps(dict(os.environ)))"),
                      cwd=tmp_path, limits=Limits(wall_time_s=20))
    assert "hunter2-4ac1" not in res.stdout and "ghp_secret7f3e" not in res.stdout


@pytest.mark.skipif(not FULL.filesystem, reason="no filesystem confinement on this machine")
def test_a_registered_keys_file_is_unreadable(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    """A keys file named in a config, registered with `hide_path`, even where it lies
    inside a folder the job may read."""
    folder = outside_temp() / f"keys-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    keys = folder / "keys.toml"
    keys.write_text('openai = "sk-live-KEY-8d2f"')
    monkeypatch.setenv(sb.HIDDEN_ENV, "")
    sb.hide_path(keys)
    assert keys in sb.hidden_paths()
    w = Worker("battery_child", Limits(wall_time_s=30, readable=[folder]), cwd=tmp_path,
               env=CHILD_ENV)
    try:
        answer = w.call({"op": "read", "paths": [str(keys)]})
        res = run_limited(py(f"print(open({str(keys)!r}).read())"), cwd=tmp_path,
                          limits=Limits(wall_time_s=20))
    finally:
        w.close()
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    assert "sk-live-KEY-8d2f" not in json.dumps(answer)
    assert "sk-live-KEY-8d2f" not in res.stdout + res.stderr


# -- output --------------------------------------------------------------------------------

def test_enormous_output_is_capped(tmp_path: Path) -> None:
    flood = """
        import sys
        chunk = "x" * 65536
        for _ in range(800):  # 50 MiB on each stream
            sys.stdout.write(chunk)
            sys.stderr.write(chunk)
    """
    res = run_limited(py(flood), cwd=tmp_path, limits=Limits(output_bytes=10_000))
    assert res.returncode == 0 and res.truncated
    assert len(res.stdout) < 11_000 and len(res.stderr) < 25_000
    w = Worker("battery_child", Limits(wall_time_s=30), cwd=tmp_path, env=CHILD_ENV)
    try:  # prints inside a warm worker go to its capped stderr, never the protocol
        assert w.call({"op": "flood", "mb": 50})["ok"]
        assert w.call({"op": "echo", "value": 2})["value"] == 2
    finally:
        w.close()


# -- network -------------------------------------------------------------------------------

CONNECT = """
    import json, socket, sys, urllib.request
    port = int(sys.argv[1])
    results = {}
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/leak", timeout=2)
        results["http"] = "connected"
    except Exception as exc:
        results["http"] = type(exc).__name__
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall(b"GET / HTTP/1.1\\r\\nHost: x\\r\\nUpgrade: websocket\\r\\n"
                  b"Connection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZQ==\\r\\n"
                  b"Sec-WebSocket-Version: 13\\r\\n\\r\\n")
        s.close()
        results["websocket"] = "connected"
    except Exception as exc:
        results["websocket"] = type(exc).__name__
    print(json.dumps(results))
"""


def test_no_network_reaches_the_listener(listener: Listener, tmp_path: Path) -> None:
    if not FULL.network_namespace:
        pytest.skip("no network namespace on this machine")
    res = run_limited([*py(CONNECT), str(listener.port)], cwd=tmp_path,
                      limits=Limits(wall_time_s=20))
    results = json.loads(res.stdout)
    assert results == {"http": "URLError", "websocket": "ConnectionRefusedError"}, res.stderr
    w = Worker("battery_child", Limits(wall_time_s=20), cwd=tmp_path, env=CHILD_ENV)
    try:
        assert w.call({"op": "connect", "port": listener.port})["connected"] is False
    finally:
        w.close()
    assert listener.hits == []
    # Control: with network allowed, the same program does reach it.
    res = run_limited([*py(CONNECT), str(listener.port)], cwd=tmp_path,
                      limits=Limits(wall_time_s=20, network=True))
    assert json.loads(res.stdout)["websocket"] == "connected"
    assert any(b"Upgrade: websocket" in h for h in listener.hits) or wait_hits(listener)


def wait_hits(listener: Listener) -> bool:
    import time

    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        if any(b"Upgrade: websocket" in h for h in listener.hits):
            return True
        time.sleep(0.05)
    return False


# -- filesystem ----------------------------------------------------------------------------

VANDAL = """
    import json, os, pathlib, shutil, sys
    canary, project, home = (pathlib.Path(p) for p in sys.argv[1:4])
    results = {}
    def attempt(name, action):
        try:
            action()
            results[name] = "done"
        except OSError as exc:
            results[name] = exc.strerror
    attempt("write_canary", lambda: (canary / "pwned.txt").write_text("x"))
    attempt("change_secret", lambda: (canary / "secret.txt").write_text("x"))
    attempt("delete_secret", lambda: (canary / "secret.txt").unlink())
    attempt("delete_canary", lambda: shutil.rmtree(canary))
    attempt("write_project", lambda: (project / "pwned.txt").write_text("x"))
    attempt("write_home", lambda: (home / "pwned.txt").write_text("x"))
    attempt("write_etc", lambda: pathlib.Path("/etc/pwned").write_text("x"))
    attempt("write_scratch", lambda: pathlib.Path("scratch.txt").write_text("fine"))
    print(json.dumps(results))
"""


@pytest.fixture
def fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder with credentials, outside the temp folder the sandbox lets children
    write (like a real one)."""
    home = outside_temp() / f"home-{uuid.uuid4().hex[:8]}"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE-KEY-e2a1")
    (home / ".config" / "visioncode").mkdir(parents=True)
    (home / ".config" / "visioncode" / "keys.toml").write_text('openai = "sk-KEY-51c0"')
    (home / "notes.txt").write_text("ordinary file")
    monkeypatch.setenv("HOME", str(home))
    yield home
    import shutil

    shutil.rmtree(home, ignore_errors=True)


@pytest.mark.skipif(not FULL.filesystem, reason="no filesystem confinement on this machine")
def test_writes_and_deletes_outside_scratch_fail(canary: Canary, fake_home: Path,
                                                 tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    res = run_limited([*py(VANDAL), str(canary.path), str(ROOT), str(fake_home)],
                      cwd=scratch, limits=Limits(wall_time_s=20))
    results = json.loads(res.stdout)
    assert results.pop("write_scratch") == "done"
    assert set(results.values()) == {"Read-only file system"}, results
    assert (scratch / "scratch.txt").read_text() == "fine"
    canary.assert_untouched()
    assert not (ROOT / "pwned.txt").exists() and not (fake_home / "pwned.txt").exists()
    # The same from a warm worker (whose cwd and the temp folder are writable).
    w = Worker("battery_child", Limits(wall_time_s=20), cwd=scratch, env=CHILD_ENV)
    try:
        answer = w.call({"op": "write", "path": str(canary.path / "pwned.txt")})
        assert answer["error"] == "Read-only file system"
    finally:
        w.close()
    canary.assert_untouched()


READER = """
    import json, os, pathlib, sys
    home, parent = pathlib.Path(sys.argv[1]), sys.argv[2]
    results = {}
    for name, path in [("ssh_key", home / ".ssh" / "id_ed25519"),
                       ("keys_file", home / ".config" / "visioncode" / "keys.toml"),
                       ("notes", home / "notes.txt"),
                       ("parent_environ", pathlib.Path(f"/proc/{parent}/environ"))]:
        try:
            results[name] = path.read_bytes().decode("latin-1")
        except OSError as exc:
            results[name] = exc.strerror
    results["processes"] = len([p for p in os.listdir("/proc") if p.isdigit()])
    print(json.dumps(results))
"""


@pytest.mark.skipif(not FULL.filesystem, reason="no filesystem confinement on this machine")
def test_credentials_and_other_processes_are_out_of_sight(fake_home: Path,
                                                          tmp_path: Path) -> None:
    res = run_limited([*py(READER), str(fake_home), str(os.getpid())], cwd=tmp_path,
                      limits=Limits(wall_time_s=20))
    results = json.loads(res.stdout)
    assert results["ssh_key"] == "No such file or directory"
    assert results["keys_file"] == "No such file or directory"
    assert results["notes"] == "ordinary file"  # the rest of the home folder is readable
    assert results["parent_environ"] == "No such file or directory"
    assert results["processes"] <= 4  # its own PID namespace: bwrap's init and itself
    assert "PRIVATE-KEY" not in res.stdout and "sk-KEY" not in res.stdout


def test_cgroups_of_killed_makers_are_swept() -> None:
    """A process killed before it could remove its child's cgroup leaves it empty; the
    next process that probes the machine removes it (and never one of a live maker)."""
    root = sb._cgroup_root()
    if root is None:
        pytest.skip("no pids cgroup here")
    dead = subprocess_pid_that_exited()
    orphan = root / "visioncode" / f"{dead}-{uuid.uuid4().hex}"
    mine = root / "visioncode" / f"{os.getpid()}-{uuid.uuid4().hex}"
    orphan.mkdir()
    mine.mkdir()
    try:
        sb._remove_stale_cgroups(root / "visioncode")
        assert not orphan.exists() and mine.exists()
    finally:
        for group in (orphan, mine):
            if group.exists():
                group.rmdir()


def subprocess_pid_that_exited() -> int:
    import subprocess

    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid
