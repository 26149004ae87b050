"""Faults a long run must survive without losing work: a sandboxed worker killed in the
middle of a sample, the disk filling up under the run folder, and a model API that times
out, fails with 5xx or answers garbage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from visioncode.config import load_config
from visioncode.errors import RunDirError
from visioncode.records import SampleRecord
from visioncode.runner import Runner
from visioncode.store import RunStore

from ..conftest import pipeline_toml, write_dataset
from .harness import kill_with_env, run_battery
from .test_svg import GOOD, IMAGE, time_bomb

sys.path.insert(0, str(Path(__file__).parents[1] / "models"))
from provider_server import API_KEY, MODEL, Fail, Malformed, ProviderServer, Stall

pytestmark = [pytest.mark.security, pytest.mark.slow]

RUN_MARKER_ENV = "VISIONCODE_BATTERY_RUN"


def replay_config(tmp_path: Path, answers: dict[str, str], extra: str = "") -> str:
    replay = tmp_path / "answers.jsonl"
    replay.write_text("".join(json.dumps({"sample_id": k, "text": v}) + "\n"
                              for k, v in answers.items()))
    return pipeline_toml(Path("{dataset}"), metrics=("render-success", "mse"), extra=extra,
                         model=f'use = "replay"\n[model.options]\npath = "{replay}"')


def test_a_worker_killed_mid_sample_fails_that_sample_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = uuid.uuid4().hex
    monkeypatch.setenv(RUN_MARKER_ENV, marker)
    answers = {"before": GOOD, "victim": time_bomb(), "after": GOOD}
    records_file = tmp_path / "battery" / "run" / "records.jsonl"
    killed: list[int] = []

    def killer() -> None:
        """Once the first sample is recorded (the victim renders now), SIGKILL the render
        worker, as the kernel's OOM killer or an operator would."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            if records_file.exists() and records_file.read_bytes().count(b"\n") == 1:
                time.sleep(1.0)
                killed.extend(kill_with_env(
                    RUN_MARKER_ENV, marker,
                    lambda argv: argv[0].endswith(b"python")
                    and any(b"render_worker" in a for a in argv)))
            time.sleep(0.05)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    config = replay_config(tmp_path, answers,
                           extra="[renderer.options.limits]\nwall_time_s = 120.0")
    records = run_battery(config, tmp_path, [{"id": k, "image": IMAGE} for k in answers])
    thread.join(5)
    assert killed, "the render worker was never seen"
    victim = records["victim"]
    assert victim.status == "failed" and victim.rounds[0].status == "render_error"
    assert "crashed" in (victim.reason or "") and "exited with code -9" in (victim.reason or "")
    assert records["before"].status == records["after"].status == "ok"
    assert records["after"].scores["mse"].values["mse"] == pytest.approx(0, abs=1e-3)


# -- disk full -------------------------------------------------------------------------------

def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


def test_a_full_disk_stops_the_run_clearly_and_it_resumes(tmp_path: Path) -> None:
    disk = tmp_path / "small-disk"
    if not _mount_tmpfs(disk, "96k"):
        pytest.skip("cannot mount a small tmpfs here (needs root); the simulated full disk "
                    "below covers the store")
    try:
        ds = write_dataset(tmp_path / "d", n=24)
        cfg = tmp_path / "p.toml"
        cfg.write_text(pipeline_toml(ds, metrics=("render-success", "mse")))
        loaded = load_config(cfg)
        out = disk / "run"
        with pytest.raises(RunDirError) as info:
            Runner(loaded, out).run(console="quiet")
        message = str(info.value)
        assert "No space left on device" in message and "--resume" in message
        done = RunStore(out).load()
        assert 0 < len(done) < 24, "the disk must fill mid-run"
        finished = {r.sample_id: r.finished_at for r in done}
        # Room again (as after deleting old runs): the same run resumes and completes.
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        summary = Runner(loaded, out).run(resume=True, console="quiet")
        assert summary.samples == 24 and summary.ok == 24
        after = RunStore(out).load()
        assert all(r.finished_at == finished[r.sample_id] for r in after
                   if r.sample_id in finished)
        lines = (out / "records.jsonl").read_bytes().splitlines()
        assert len(lines) == 24 and all(json.loads(x) for x in lines)
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_failing_record_write_is_a_clear_error_and_leaves_no_torn_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same through a writer that fails half-way through a record (any machine)."""
    import visioncode.store as store_module

    ds = write_dataset(tmp_path / "d", n=4)
    cfg = tmp_path / "p.toml"
    cfg.write_text(pipeline_toml(ds, metrics=("render-success",)))
    loaded = load_config(cfg)
    out = tmp_path / "run"
    real_write = os.write
    calls = {"n": 0}

    def failing_write(fd: int, data: bytes) -> int:
        if data.startswith(b'{"sample_id"'):
            calls["n"] += 1
            if calls["n"] == 3:  # the third record: half of it lands, then the disk is full
                real_write(fd, data[: len(data) // 2])
                raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(store_module.os, "write", failing_write)
    with pytest.raises(RunDirError, match="No space left on device"):
        Runner(loaded, out).run(console="quiet")
    monkeypatch.undo()
    assert len(RunStore(out).load()) == 2  # the half record is never read back
    summary = Runner(loaded, out).run(resume=True, console="quiet")
    assert summary.samples == 4 and summary.ok == 4
    lines = (out / "records.jsonl").read_bytes().splitlines()
    assert len(lines) == 4 and all(json.loads(x) for x in lines)


# -- model API faults ------------------------------------------------------------------------

def test_model_api_faults_are_retried_per_policy_and_marked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    ids = ["icon-battery", "icon-checkmark", "icon-cloud", "icon-flag"]
    ds = write_dataset(tmp_path / "d", ids=ids)
    with ProviderServer() as server:
        server.plan(
            Fail(500), Malformed(),  # icon-battery: a 5xx (retried), then garbage (not)
            Stall(3.0), Stall(3.0), Stall(3.0),  # icon-checkmark: 3 timeouts: gives up
            Fail(503, headers={"Retry-After": "0"}),  # icon-cloud: a 503, then an answer
        )  # icon-flag: answered at once
        model = (f'use = "openai"\n[model.options]\nmodel = "{MODEL}"\n'
                 f'base_url = "{server.url}"\ntimeout_s = 1.0')
        cfg = tmp_path / "p.toml"
        cfg.write_text(pipeline_toml(ds, model=model, metrics=("render-success",), extra=(
            "[model_calls]\nmax_retries = 2\nbackoff_base_s = 0.01\nbackoff_max_s = 0.05\n"
            "cache = false\n")))
        out = tmp_path / "run"
        summary = Runner(load_config(cfg), out).run(console="quiet")
        recs: dict[str, SampleRecord] = {r.sample_id: r for r in RunStore(out).load()}
        assert summary.samples == 4
        # Retried within the policy: a 5xx or timeout is retried, up to max_retries; a
        # 200 whose body is garbage is not (the endpoint is wrong, not busy).
        for sample in ("icon-cloud", "icon-flag"):
            assert recs[sample].error is None and recs[sample].status in {"ok", "failed"}
            assert recs[sample].rounds[0].completion is not None
        garbage, stalled = recs["icon-battery"], recs["icon-checkmark"]
        assert garbage.status == stalled.status == "error"
        assert "not valid JSON" in (garbage.error or "")
        assert "gave up after 1 retries" in (garbage.error or "")
        assert "within 1 s" in (stalled.error or "")
        assert "gave up after 2 retries" in (stalled.error or "")
        assert summary.errors == 2
        assert server.requests == 2 + 3 + 2 + 1
        # The marked samples, and only they, run again with --retry-errors.
        Runner(load_config(cfg), out).run(resume=True, retry_errors=True, console="quiet")
        final = {r.sample_id: r for r in RunStore(out).load()}
        assert final["icon-battery"].error is None and final["icon-checkmark"].error is None
        assert final["icon-flag"].finished_at == recs["icon-flag"].finished_at
        assert server.requests == 8 + 2


# -- a runner worker process killed ----------------------------------------------------------

def test_a_runner_worker_killed_mid_sample_costs_only_that_sample(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whenever the victim sample starts rendering, every runner worker process is
    SIGKILLed (as by the out-of-memory killer). The samples in flight run again one at a
    time: the innocent ones finish, the victim (killed again) is recorded as an error,
    and the run goes on to the end."""
    marker = uuid.uuid4().hex
    monkeypatch.setenv(RUN_MARKER_ENV, marker)
    answers = {f"good-{i}": GOOD for i in range(5)}
    answers = {**dict(list(answers.items())[:2]), "victim": time_bomb(),
               **dict(list(answers.items())[2:])}
    run_dir = tmp_path / "battery" / "run"
    trigger = run_dir / "artifacts" / "victim" / "round-0" / "render.svg"
    kills: list[float] = []
    stop = threading.Event()

    def killer() -> None:
        last = 0.0
        while not stop.is_set():
            try:
                started = trigger.stat().st_mtime
            except OSError:
                started = 0.0
            if started > last:
                last = started
                time.sleep(0.3)
                kill_with_env(RUN_MARKER_ENV, marker,
                              lambda argv: any(b"multiprocessing.spawn" in a for a in argv))
                kills.append(started)
            time.sleep(0.05)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    config = replay_config(tmp_path, answers,
                           extra="[renderer.options.limits]\nwall_time_s = 120.0")
    config = config.replace("workers = 1", "workers = 2")
    try:
        records = run_battery(config, tmp_path, [{"id": k, "image": IMAGE} for k in answers])
    finally:
        stop.set()
        thread.join(5)
    assert len(kills) == 2, "killed once among others, once alone"
    victim = records.pop("victim")
    assert victim.status == "error" and victim.reason == "worker_died"
    assert "died twice" in (victim.error or "")
    assert {r.status for r in records.values()} == {"ok"} and len(records) == 5
    lines = (run_dir / "records.jsonl").read_bytes().splitlines()
    assert len(lines) == 6  # nothing recorded twice
    log = (run_dir / "log.jsonl").read_text()
    assert '"event": "run.worker_died"' in log
