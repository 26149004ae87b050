"""The planner step (`task.plan`) and metrics' feedback in the loop (`{feedback}`,
`loop.critic_mode = "feedback"`), with recorded responses and the real SVG stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visioncode import ConfigError, RoundRecord, Sample, Score, hookimpl
from visioncode.config import load_config
from visioncode.pipeline import Pipeline
from visioncode.samples import load_manifest

from ..conftest import EXAMPLE, pipeline_toml, write_dataset
from .test_loop import Recorder


class FlagChecker:
    """A metric-like plugin: feedback on round 0 only, as a layout checker would give
    until the program is fixed."""

    @hookimpl
    def visioncode_score(self, sample: Sample, result: RoundRecord) -> Score:
        faults = "the pole is missing (cell A1)" if result.round == 0 else ""
        return Score(metric="flag-check", values={"faults": float(bool(faults))},
                     details={"feedback": faults})


def _config(tmp_path: Path, task_extra: str, loop: str) -> tuple[Path, Path]:
    ds = write_dataset(tmp_path / "d", ids=["icon-flag"])
    good = (EXAMPLE / "dataset" / "svg" / "icon-flag.svg").read_text()
    lines = [
        {"sample_id": "icon-flag", "purpose": "plan", "text": "1. pole 2. three stripes"},
        {"sample_id": "icon-flag", "round": 0, "text": good},
        {"sample_id": "icon-flag", "round": 1, "purpose": "revise", "text": good},
        {"sample_id": "icon-flag", "round": 2, "purpose": "revise", "text": good},
    ]
    replay = tmp_path / "answers.jsonl"
    replay.write_text("".join(json.dumps(x) + "\n" for x in lines))
    text = pipeline_toml(ds, model=f'use = "replay"\n[model.options]\npath = "{replay}"',
                         extra=loop, metrics=("render-success",))
    text = text.replace('prompt = "Turn the image into SVG."',
                        'prompt = "Draw it following this plan:\\n{plan}"' + task_extra)
    cfg = tmp_path / "p.toml"
    cfg.write_text(text)
    return cfg, ds


def test_plan_is_asked_once_and_reaches_the_prompt(tmp_path: Path) -> None:
    cfg, ds = _config(tmp_path, '\nplan = "Outline the parts of {id}."', "")
    recorder = Recorder()
    with Pipeline(load_config(cfg), plugins=[recorder]) as pipeline:
        record = pipeline.run_sample(next(load_manifest(ds)), tmp_path / "w")
    assert record.status == "ok"
    assert record.plan is not None and record.plan.text == "1. pole 2. three stripes"
    plan, generate = recorder.requests
    assert plan.purpose == "plan" and "Outline the parts of icon-flag." in plan.messages[-1].text
    assert generate.purpose == "generate"
    assert "following this plan:\n1. pole 2. three stripes" in generate.messages[-1].text
    assert record.usage.calls == 2


def test_feedback_mode_repairs_without_a_critic_model(tmp_path: Path) -> None:
    cfg, ds = _config(tmp_path, '\nrevise = "Fix these faults: {feedback}"',
                      '[loop]\nrounds = 3\ncritic_mode = "feedback"')
    recorder = Recorder()
    with Pipeline(load_config(cfg), plugins=[recorder, FlagChecker()]) as pipeline:
        record = pipeline.run_sample(next(load_manifest(ds)), tmp_path / "w")
    # Round 0 had a fault, round 1 none: the loop stops there without a third round.
    assert len(record.rounds) == 2 and record.stop_reason == "no_feedback"
    assert [r.purpose for r in recorder.requests] == ["generate", "revise"]
    critique = record.rounds[0].critique
    assert critique is not None and critique.usage.calls == 0
    assert critique.text == "[flag-check] the pole is missing (cell A1)"
    assert recorder.requests[1].messages[-1].text == (
        "Fix these faults: [flag-check] the pole is missing (cell A1)")


def test_feedback_reaches_a_model_critic(tmp_path: Path) -> None:
    cfg, ds = _config(tmp_path, '\ncritique = "Review. Checker says: {feedback}"',
                      "[loop]\nrounds = 2")
    replay = tmp_path / "answers.jsonl"
    with replay.open("a") as fh:
        fh.write(json.dumps({"sample_id": "icon-flag", "purpose": "critique",
                             "text": "Add a pole."}) + "\n")
    recorder = Recorder()
    with Pipeline(load_config(cfg), plugins=[recorder, FlagChecker()]) as pipeline:
        pipeline.run_sample(next(load_manifest(ds)), tmp_path / "w")
    critique = next(r for r in recorder.requests if r.purpose == "critique")
    assert "Checker says: [flag-check] the pole is missing (cell A1)" in (
        critique.messages[-1].text)


def test_a_critic_in_feedback_mode_is_a_config_error(tmp_path: Path) -> None:
    cfg, _ = _config(tmp_path, "", '[loop]\nrounds = 2\ncritic_mode = "feedback"\n'
                     '[loop.critic]\nuse = "replay"')
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert "loop" in str(err.value) and "critic_mode" in str(err.value)
