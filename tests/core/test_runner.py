"""Runs over real components: records, parallel workers, renderer swap, recorded
failures, resume after --limit, after a kill -9, and after a torn last line."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from visioncode.config import load_config
from visioncode.errors import RunDirError
from visioncode.runner import Runner
from visioncode.store import RunStore

from ..conftest import BIN, EXAMPLE, pipeline_toml, write_dataset


def run(cfg: Path, out: Path, resume: bool = False, **overrides: object):
    loaded = load_config(cfg, overrides)
    return Runner(loaded, out).run(resume=resume, console="quiet")


def scores(out: Path) -> dict[str, dict]:
    return {r.sample_id: {k: s.values for k, s in r.scores.items()}
            for r in RunStore(out).load()}


def outcomes(out: Path) -> dict[str, dict]:
    """What each sample computed (all but times, pids and paths): equal between a resumed
    run and an uninterrupted one."""
    return {r.sample_id: {
        "status": r.status, "reason": r.reason, "error": r.error,
        "final_round": r.final_round, "stop_reason": r.stop_reason, "meta": r.meta,
        "rounds": [(rnd.status, rnd.reason, rnd.program,
                    rnd.completion.text if rnd.completion else None,
                    {k: v.values for k, v in rnd.scores.items()}) for rnd in r.rounds],
    } for r in RunStore(out).load()}


def test_run_writes_records_artifacts_and_summary(small_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    summary = run(small_config, out)
    assert summary.samples == 4 and summary.ok == 4 and summary.success_rate == 1.0
    records = RunStore(out).load()
    assert {r.sample_id for r in records} == {"icon-battery", "icon-checkmark", "icon-cloud",
                                              "icon-flag"}
    for r in records:
        rnd = r.rounds[0]
        assert r.status == "ok" and r.final_round == 0
        assert rnd.completion and rnd.completion.model.startswith("vtracer")
        assert rnd.execution and rnd.execution.program.startswith("<svg")
        # paths are stored relative to the run directory and exist there
        assert rnd.rendering and not rnd.rendering.images[0].is_absolute()
        assert (out / rnd.rendering.images[0]).is_file()
        assert (out / "artifacts" / r.sample_id / "round-0" / "output.txt").is_file()
        assert r.scores["ssim"].values["ssim"] > 0.8
        assert set(rnd.timings) >= {"generate", "extract", "execute", "render", "score"}
    manifest = json.loads((out / "run.json").read_text())
    assert {c["slot"] for c in manifest["components"]} >= {"model", "renderer", "metrics[1]"}
    assert "visioncode-svg" in manifest["distributions"]
    assert (out / "summary.md").read_text().count("| mse |") == 1
    assert json.loads((out / "summary.json").read_text())["samples"] == 4
    assert any('"event": "round.done"' in line for line in (out / "log.jsonl").open())


def test_parallel_workers_give_the_same_results(small_config: Path, tmp_path: Path) -> None:
    run(small_config, tmp_path / "one")
    run(small_config, tmp_path / "two", **{"run.workers": 2})
    assert scores(tmp_path / "one") == scores(tmp_path / "two")
    workers = {r.worker for r in RunStore(tmp_path / "two").load()}
    assert len(workers) == 2 and os.getpid() not in workers


def test_swapping_the_renderer_changes_only_the_renderer(small_config: Path,
                                                         tmp_path: Path) -> None:
    run(small_config, tmp_path / "cairo")
    run(small_config, tmp_path / "resvg", **{"renderer.use": "resvg"})
    a, b = RunStore(tmp_path / "cairo").load(), RunStore(tmp_path / "resvg").load()
    for ra, rb in zip(sorted(a, key=lambda r: r.sample_id),
                      sorted(b, key=lambda r: r.sample_id), strict=True):
        ga, gb = ra.rounds[0].rendering, rb.rounds[0].rendering
        assert ga and gb and ga.renderer == "cairosvg" and gb.renderer == "resvg"
        assert ga.renderer_version.startswith("cairosvg") and gb.renderer_version
        assert (ga.width, ga.height) == (gb.width, gb.height) == (128, 128)
        assert ra.rounds[0].execution.program == rb.rounds[0].execution.program  # type: ignore[union-attr]
        assert rb.scores["ssim"].values["ssim"] == pytest.approx(
            ra.scores["ssim"].values["ssim"], abs=0.05)


# Ten levels of tenfold references: 10^10 bytes, far past the executor's expansion bound
# (small internal entities are expanded and render).
BILLION_LAUGHS = """<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
<!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&i;</text></svg>"""

DASH_BOMB = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">'
             + "".join(f'<circle cx="128" cy="128" r="{100 + i}" fill="none" stroke="red" '
                       f'stroke-dasharray="0.001"/>' for i in range(60)) + "</svg>")


def test_failures_are_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    ids = ["icon-flag", "icon-heart", "icon-house", "icon-star", "icon-sun"]
    ds = write_dataset(tmp_path / "d", ids=ids)
    good = (EXAMPLE / "dataset" / "svg" / "icon-flag.svg").read_text()
    answers = {
        "icon-flag": f"Here you go:\n```svg\n{good}```",
        "icon-heart": "I am sorry, I cannot draw hearts.",
        "icon-house": BILLION_LAUGHS,
        "icon-star": DASH_BOMB,
        "icon-sun": good,
    }
    replay = tmp_path / "answers.jsonl"
    replay.write_text("".join(json.dumps({"sample_id": k, "text": v}) + "\n"
                              for k, v in answers.items()))
    cfg = tmp_path / "p.toml"
    cfg.write_text(pipeline_toml(
        ds, model=f'use = "replay"\n[model.options]\npath = "{replay}"', renderer="resvg",
        extra="[renderer.options.limits]\nwall_time_s = 1.0",
        metrics=("render-success", "mse", "program-size"), workers=2))
    summary = run(cfg, tmp_path / "run")
    recs = {r.sample_id: r for r in RunStore(tmp_path / "run").load()}
    assert recs["icon-flag"].status == recs["icon-sun"].status == "ok"
    assert recs["icon-flag"].rounds[0].scores["mse"].values["mse"] == pytest.approx(0, abs=1e-3)

    heart = recs["icon-heart"]
    assert heart.status == "failed" and heart.rounds[0].status == "no_svg"
    house = recs["icon-house"]
    assert house.rounds[0].status == "parse_error" and "entit" in (house.reason or "").lower()
    star = recs["icon-star"]
    assert star.rounds[0].status == "timeout" and star.status == "failed"
    for r in (heart, house, star):
        assert r.scores["render-success"].values["render_success"] == 0.0
        assert r.scores["mse"].rendered is False  # scored by the blank-canvas policy
        assert r.error is None  # a failed program is not a framework error
    assert summary.ok == 2 and summary.failed == 3 and summary.success_rate == 0.4
    assert summary.statuses == {"no_svg": 1, "ok": 2, "parse_error": 1, "timeout": 1}


def test_resume_skips_finished_samples(small_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    loaded = load_config(small_config)
    Runner(loaded, out, limit=2).run(console="quiet")
    first = {r.sample_id: r.finished_at for r in RunStore(out).load()}
    assert len(first) == 2
    with pytest.raises(RunDirError, match="--resume"):
        Runner(loaded, out).run(console="quiet")
    summary = Runner(loaded, out).run(resume=True, console="quiet")
    assert summary.samples == 4
    lines = (out / "records.jsonl").read_text().splitlines()
    assert len(lines) == 4  # nothing computed twice
    after = {r.sample_id: r.finished_at for r in RunStore(out).load()}
    assert all(after[k] == v for k, v in first.items())


def test_resume_refuses_a_changed_config(small_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    run(small_config, out)
    with pytest.raises(RunDirError, match="different pipeline config"):
        run(small_config, out, resume=True, **{"renderer.use": "resvg"})


def test_torn_last_line_is_dropped_and_recomputed(small_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    run(small_config, out)
    path = out / "records.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:3]) + lines[3][: len(lines[3]) // 2])  # a torn write
    assert len(RunStore(out).load()) == 3
    run(small_config, out, resume=True)
    assert len(path.read_text().splitlines()) == 4
    assert all(json.loads(x) for x in path.read_text().splitlines())


# A model answering each sample with its reference program. Its 6th call (the 6th
# sample: one worker runs them in order, so 5 records are written by then) tells the
# test through the `reached` FIFO, then blocks on the `gate` FIFO until the test opens
# it: the run is killed at a known point, never a matter of timing. Once `open` exists
# no call blocks (the resumed and the clean runs).
GATED = f"""#!{sys.executable}
import json, os, pathlib, sys
req = json.load(sys.stdin)
text = json.dumps(req)
here = pathlib.Path(__file__).parent
calls = here / "calls"
calls.mkdir(exist_ok=True)
n = len(list(calls.iterdir())) + 1
(calls / str(n)).touch()
if n == 6 and not (here / "open").exists():
    with open(here / "reached", "w") as fh:
        fh.write("6")
    with open(here / "gate") as fh:
        fh.read()
ids = [p for p in (here / "programs").iterdir() if p.stem in text]
print(json.dumps({{"text": ids[0].read_text() if ids else "<svg/>"}}))
"""


def gated_model(tmp_path: Path, dataset: Path) -> Path:
    folder = tmp_path / "model"
    (folder / "programs").mkdir(parents=True)
    for line in dataset.read_text().splitlines():
        row = json.loads(line)
        (folder / "programs" / f"{row['id']}.svg").write_text(
            Path(row["reference_program"]).read_text())
    script = folder / "answer.py"
    script.write_text(GATED)
    script.chmod(0o755)
    os.mkfifo(folder / "reached")
    os.mkfifo(folder / "gate")
    return folder


def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    ds = write_dataset(tmp_path / "d", n=12)
    model = gated_model(tmp_path, ds)
    cfg = tmp_path / "p.toml"
    cfg.write_text(pipeline_toml(ds, model=f'use = "command"\noptions = {{ command = '
                                           f'["{model / "answer.py"}"], output = "json" }}'))
    out = tmp_path / "killed"
    reached = os.open(model / "reached", os.O_RDONLY | os.O_NONBLOCK)
    proc = subprocess.Popen([str(BIN / "visioncode"), "run", str(cfg), "--out", str(out), "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # Wait for the 6th model call to say it has started (or the run to end).
        data = b""
        while not data and proc.poll() is None:
            ready, _, _ = select.select([reached], [], [], 300)
            assert ready, "the run never reached its 6th sample"
            data = os.read(reached, 16)
        assert data == b"6", proc.stderr.read() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        os.close(reached)
        (model / "open").touch()
        # Let the blocked model process go (the kill orphaned it); no reader: it is gone.
        with contextlib.suppress(OSError):
            os.close(os.open(model / "gate", os.O_WRONLY | os.O_NONBLOCK))
    done_before = {r.sample_id: r.finished_at for r in RunStore(out).load()}
    assert len(done_before) == 5, "the run must be killed mid-way"

    res = subprocess.run([str(BIN / "visioncode"), "run", str(cfg), "--out", str(out),
                          "--resume", "-q"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    after = RunStore(out).load()
    assert len(after) == 12
    records = out / "records.jsonl"
    assert len(records.read_text().splitlines()) == 12  # no sample recorded twice
    assert all(r.finished_at == done_before[r.sample_id] for r in after
               if r.sample_id in done_before)

    run(cfg, tmp_path / "clean")
    assert scores(out) == scores(tmp_path / "clean")
    assert outcomes(out) == outcomes(tmp_path / "clean")


def test_retry_errors_reruns_only_errored_samples(small_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    run(small_config, out)
    store = RunStore(out)
    records = store.load()
    broken = records[0].model_copy(update={"status": "error", "error": "boom"})
    store.append(broken)  # as if that sample had crashed a component
    assert store.finished(retry_errors=True) == {r.sample_id for r in records[1:]}
    loaded = load_config(small_config)
    Runner(loaded, out).run(resume=True, console="quiet", retry_errors=True)
    final = {r.sample_id: r for r in store.load()}
    assert final[broken.sample_id].status == "ok"
    assert len((out / "records.jsonl").read_text().splitlines()) == 6  # 4 + error + rerun
    assert final[records[1].sample_id].finished_at == records[1].finished_at


def test_records_carry_the_sample_meta(small_config: Path, tmp_path: Path) -> None:
    run(small_config, tmp_path / "run")
    assert {r.meta["subset"] for r in RunStore(tmp_path / "run").load()} == {"icon"}


def test_record_paths_are_made_relative_only_where_a_value_starts_with_the_run_dir() -> None:
    from visioncode.store import _relative_json

    run = "/runs/r1/"
    data = {"image": f"{run}artifacts/a.png", "list": [f"{run}b", "x/runs/r1/"],
            "quote": f'say "{run}"', "backslash": "ends\\", "next": f"{run}c",
            "near": "/runs/r1x/d"}
    assert json.loads(_relative_json(data, run)) == {
        "image": "artifacts/a.png", "list": ["b", "x/runs/r1/"], "quote": f'say "{run}"',
        "backslash": "ends\\", "next": "c", "near": "/runs/r1x/d"}
