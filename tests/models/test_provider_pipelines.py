"""Whole pipelines against the local provider server, through the runner and its worker
processes: the endpoint's concurrency limit across workers, a re-run served entirely
from the response cache, usage summed into records and the summary, the critic loop with
early stopping, and switching `model.use` between every provider with nothing else
changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from provider_server import API_KEY, MODEL, ProviderServer

from tests.conftest import BIN, EXAMPLE, pipeline_toml, write_dataset
from visioncode import ModelError
from visioncode.config import load_config
from visioncode.records import SampleRecord
from visioncode.runner import Runner
from visioncode.store import RunStore
from visioncode.summary import RunSummary

FAST_CALLS = """
[model_calls]
backoff_base_s = 0.01
backoff_max_s = 0.2
"""


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)


def openai_model(server: ProviderServer) -> str:
    return f'use = "openai"\n[model.options]\nmodel = "{MODEL}"\nbase_url = "{server.url}"'


def config(tmp_path: Path, model: str, *, n: int = 3, workers: int = 1, extra: str = "",
           metrics: tuple[str, ...] = ("render-success", "mse")) -> Path:
    dataset = write_dataset(tmp_path / "data", n=n)
    path = tmp_path / "pipeline.toml"
    path.write_text(pipeline_toml(dataset, model=model, workers=workers,
                                  extra=FAST_CALLS + extra, metrics=metrics))
    return path


def run(cfg: Path, out: Path, **overrides: Any) -> RunSummary:
    return Runner(load_config(cfg, overrides), out).run(console="quiet")


def records(out: Path) -> dict[str, SampleRecord]:
    return {r.sample_id: r for r in RunStore(out).load()}


def sample_images(n: int) -> dict[bytes, str]:
    rows = [json.loads(line) for line in (EXAMPLE / "dataset" / "samples.jsonl").open()][:n]
    return {(EXAMPLE / "dataset" / r["image"]).read_bytes(): r["id"] for r in rows}


def test_concurrency_limit_holds_across_worker_processes(tmp_path: Path) -> None:
    with ProviderServer(delay_s=0.25) as server:
        cfg = config(tmp_path, openai_model(server), n=6, workers=3,
                     extra="max_connections = 3\ncache = false\n")
        run(cfg, tmp_path / "wide")
        assert server.requests == 6 and server.max_in_flight >= 2  # workers do overlap
        server.max_in_flight = 0
        summary = run(cfg, tmp_path / "narrow", **{"model_calls.max_connections": 1})
    assert server.requests == 12
    assert server.max_in_flight == 1
    assert summary.ok == 6
    assert len({r.worker for r in records(tmp_path / "narrow").values()}) > 1


def test_a_rerun_is_answered_from_the_cache_with_zero_requests(tmp_path: Path) -> None:
    with ProviderServer() as server:
        cfg = config(tmp_path, openai_model(server), workers=2,
                     extra="[loop]\nrounds = 2\n")
        first = run(cfg, tmp_path / "first")
        asked = server.requests
        assert asked == 9  # 3 samples x (generate, critique, revise)
        second = run(cfg, tmp_path / "second")
        assert server.requests == asked  # nothing asked the second time

    assert first.usage.calls == 9 and first.usage.cache_hits == 0
    assert second.usage.calls == 0 and second.usage.cache_hits == 9
    assert second.usage.input_tokens == second.usage.output_tokens == 0
    assert second.usage.saved_input_tokens == first.usage.input_tokens > 0
    assert second.usage.saved_output_tokens == first.usage.output_tokens > 0
    a, b = records(tmp_path / "first"), records(tmp_path / "second")
    for sid, rec in b.items():
        for rnd, before in zip(rec.rounds, a[sid].rounds, strict=True):
            assert rnd.completion and rnd.completion.cached
            assert before.completion and not before.completion.cached
            assert rnd.completion.text == before.completion.text
        assert rec.scores["mse"].values == a[sid].scores["mse"].values
    assert "Answered from the response cache: 9" in (tmp_path / "second" / "summary.md"
                                                    ).read_text()

    # The key is nowhere in what a run writes.
    for path in (tmp_path / "first").rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path

    stats = subprocess.run([str(BIN / "visioncode"), "cache", "stats", "--json"],
                           capture_output=True, text=True, timeout=60, env=os.environ)
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert data["entries"] == 9 and data["hits"] == 9
    assert data["models"] == [{"provider": "openai", "model": MODEL, "entries": 9, "hits": 9}]
    cleared = subprocess.run([str(BIN / "visioncode"), "cache", "clear"], capture_output=True,
                             text=True, timeout=60, env=os.environ)
    assert cleared.returncode == 0 and "removed 9 entries" in cleared.stdout


def test_usage_is_summed_per_sample_and_per_run(tmp_path: Path) -> None:
    with ProviderServer() as server:
        cfg = config(tmp_path, openai_model(server), extra="[loop]\nrounds = 2\n")
        summary = run(cfg, tmp_path / "run")
    by_sample: dict[str, list[int]] = {}
    images = sample_images(3)
    for ex in server.exchanges:
        sid = images[ex.images[0]]  # every request carries its sample's image first
        tokens = by_sample.setdefault(sid, [0, 0, 0])
        tokens[0] += ex.usage["input"]
        tokens[1] += ex.usage["output"]
        tokens[2] += 1
    recs = records(tmp_path / "run")
    for sid, (tokens_in, tokens_out, n) in by_sample.items():
        usage = recs[sid].usage
        assert (usage.input_tokens, usage.output_tokens, usage.calls) == (tokens_in,
                                                                          tokens_out, n)
        assert usage.latency_s > 0
        round0 = recs[sid].rounds[0]
        assert round0.completion and round0.critique
        assert usage.input_tokens == sum(c.usage.input_tokens for c in (
            round0.completion, round0.critique, recs[sid].rounds[1].completion) if c)
    written = json.loads((tmp_path / "run" / "summary.json").read_text())["usage"]
    assert written["input_tokens"] == sum(ex.usage["input"] for ex in server.exchanges)
    assert written["output_tokens"] == sum(ex.usage["output"] for ex in server.exchanges)
    assert written["calls"] == server.requests == 9
    assert summary.usage.input_tokens == written["input_tokens"]


def test_critic_loop_stops_when_the_score_stops_improving(tmp_path: Path) -> None:
    with ProviderServer() as server:
        critic = (f'[loop.critic]\nuse = "anthropic"\n[loop.critic.options]\n'
                  f'model = "{MODEL}"\nbase_url = "{server.url}"\n')
        cfg = config(tmp_path, openai_model(server), n=1, extra=(
            "[loop]\nrounds = 5\nstop_metric = \"mse\"\npatience = 1\n" + critic))
        run(cfg, tmp_path / "run")
    (rec,) = records(tmp_path / "run").values()
    mse = [r.scores["mse"].values["mse"] for r in rec.rounds]
    # round 0 is poor, round 1 better, round 2 the same again: stop after it, keep it.
    assert len(rec.rounds) == 3 and rec.stop_reason == "no_improvement"
    assert mse[1] is not None and mse[0] is not None and mse[1] < mse[0] and mse[2] == mse[1]
    assert rec.final_round == 2 and rec.scores["mse"].values["mse"] == mse[2]

    critiques = [ex for ex in server.exchanges if ex.protocol == "anthropic"]
    generations = [ex for ex in server.exchanges if ex.protocol == "openai"]
    assert len(critiques) == 2 and len(generations) == 3
    reference = next(iter(sample_images(1)))
    for k, ex in enumerate(critiques):
        render = rec.rounds[k].rendering
        assert render is not None
        assert ex.images == [reference, (tmp_path / "run" / render.images[0]).read_bytes()]
        assert "difference analysis" in ex.texts[0].lower()
    assert generations[1].texts[-1].startswith("Here is a difference analysis")
    assert "Fill the canvas" in generations[1].texts[-1]
    assert rec.rounds[0].critique and rec.rounds[0].critique.text.startswith("Difference")


def test_auth_failure_stops_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with ProviderServer() as server:
        cfg = config(tmp_path, openai_model(server), n=3)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-revoked-11111111111111")
        with pytest.raises(ModelError, match="HTTP 401") as info:
            run(cfg, tmp_path / "run")
        assert info.value.auth and server.requests == 1
        assert RunStore(tmp_path / "run").load() == []  # nothing recorded as done
        monkeypatch.delenv("OPENAI_API_KEY")
        with pytest.raises(ModelError, match="set the environment variable OPENAI_API_KEY"):
            run(cfg, tmp_path / "run2")
        assert not (tmp_path / "run2").exists() and server.requests == 1


def write_command(tmp_path: Path) -> Path:
    script = tmp_path / "answer.py"
    script.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        "request = json.load(sys.stdin)\n"
        "print('<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 8 8\">"
        "<rect width=\"8\" height=\"8\" fill=\"#3050c0\"/></svg>')\n")
    script.chmod(0o755)
    return script


def test_switching_model_use_changes_nothing_else(tmp_path: Path) -> None:
    dataset_ids = ["icon-battery", "icon-checkmark"]
    replay = tmp_path / "answers.jsonl"
    svg = (EXAMPLE / "dataset" / "svg" / "icon-flag.svg").read_text()
    replay.write_text("".join(json.dumps({"sample_id": s, "text": svg}) + "\n"
                              for s in dataset_ids))
    script = write_command(tmp_path)
    with ProviderServer() as server:
        cfg = config(tmp_path, 'use = "vtracer"', n=2)
        choices: dict[str, dict[str, Any]] = {
            "vtracer": {},
            "replay": {"path": str(replay)},
            "command": {"command": [str(script)]},
            "openai": {"model": MODEL, "base_url": server.url},
            "anthropic": {"model": MODEL, "base_url": server.url},
        }
        models = {}
        for use, options in choices.items():
            out = tmp_path / f"run-{use}"
            summary = run(cfg, out, **{"model.use": use, "model.options": options})
            assert summary.samples == 2 and summary.ok == 2, (use, summary.statuses)
            recs = records(out)
            models[use] = {r.rounds[0].completion.model for r in recs.values()
                           if r.rounds[0].completion}
            manifest = json.loads((out / "run.json").read_text())
            assert {c["name"] for c in manifest["components"] if c["slot"] == "model"} == {use}
        assert server.requests == 4
    assert models["openai"] == models["anthropic"] == {MODEL}
    assert next(iter(models["vtracer"])).startswith("vtracer")
    assert models["replay"] == {"replay"} and models["command"] == {"answer.py"}


def test_the_openai_example_config_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")  # validating needs no key and no network
    res = subprocess.run([str(BIN / "visioncode"), "validate",
                          str(EXAMPLE / "pipeline-openai.toml")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "openai" in res.stdout and "loop.critic" in res.stdout
