"""The offline examples run end to end with the real runner: gui-next-state with the
oracle and identity world models, action selection (and a judge that picks wrong), and
screenshot2html with the Design2Code metric."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visioncode.config import load_config
from visioncode.records import SampleRecord
from visioncode.runner import Runner
from visioncode.store import RunStore

from .conftest import GUI, ROOT, S2H


def run(config: Path, out: Path, limit: int | None = None,
        overrides: dict | None = None) -> dict[str, SampleRecord]:
    Runner(load_config(config, overrides), out, limit=limit).run(console="quiet")
    return {r.sample_id: r for r in RunStore(out).load()}


def mean(records: dict[str, SampleRecord], metric: str, value: str) -> float:
    values = [r.scores[metric].values[value] for r in records.values()]
    assert all(v is not None for v in values)
    return sum(values) / len(values)  # type: ignore[arg-type]


@pytest.mark.slow
def test_gui_next_state_oracle_beats_identity(tmp_path: Path) -> None:
    oracle = run(GUI / "pipeline.toml", tmp_path / "oracle", limit=2)
    identity = run(GUI / "pipeline-identity.toml", tmp_path / "identity", limit=2)
    assert sorted(oracle) == sorted(identity) == ["form-0", "form-1"]
    for records in (oracle, identity):
        assert all(r.status == "ok" for r in records.values()), records
    # The true next DOM renders like the replayed screen (focus rings aside).
    assert mean(oracle, "design2code", "overall") == pytest.approx(1.0)
    assert mean(oracle, "ssim", "ssim") > 0.97
    # "Nothing changes" misses the error message and the typed name.
    assert mean(identity, "ssim", "ssim") < mean(oracle, "ssim", "ssim")
    assert mean(identity, "design2code", "overall") < 1.0
    rec = oracle["form-0"]
    assert rec.rounds[0].rendering is not None
    assert rec.rounds[0].rendering.metadata["interactive"]  # set-of-marks material


@pytest.mark.slow
def test_action_selection_accuracy(tmp_path: Path) -> None:
    records = run(GUI / "pipeline-action-selection.toml", tmp_path / "right", limit=1)
    for r in records.values():
        score = r.scores["action-selection"]
        assert score.values == {"accuracy": 1.0, "predictions_rendered": 1.0}, score.details
        assert score.details["picked"] == score.details["best"]
    # A judge that always answers "3" is wrong where the best candidate is not third.
    replies = [json.loads(line) for line in (GUI / "replay" / "select.jsonl").open()]
    for reply in replies:
        if reply.get("purpose") == "action-judge":
            reply["text"] = "Candidate 3 looks best."
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text("".join(json.dumps(r) + "\n" for r in replies))
    spec = {"use": "replay", "options": {"path": str(wrong)}}
    config = GUI / "pipeline-action-selection.toml"
    data = load_config(config).config.metrics[0].options
    overrides = {"model.options.path": str(wrong), "metrics": [{
        "use": "action-selection", "options": {**data, "world_model": spec, "judge": spec}}]}
    records = run(config, tmp_path / "wrong", limit=1, overrides=overrides)
    samples = [json.loads(line) for line in (GUI / "dataset" / "select.jsonl").open()][:1]
    for sample in samples:
        score = records[sample["id"]].scores["action-selection"]
        assert score.details["picked"] == 2
        assert sample["meta"]["best"] != 2
        assert score.values["accuracy"] == 0.0


@pytest.mark.slow
def test_screenshot2html_example(tmp_path: Path) -> None:
    records = run(S2H / "pipeline.toml", tmp_path / "run", limit=1)
    assert len(records) == 1
    for r in records.values():
        assert r.status == "ok", r.reason
        d2c = r.scores["design2code"].values
        # hand-written approximations: close, not exact
        assert all(v is not None and 0.3 < v < 1.0 for v in d2c.values()), d2c
        assert 0.3 < (r.scores["ssim"].values["ssim"] or 0) < 1.0


ANIMATED = ROOT / "examples" / "animated-svg"


@pytest.mark.slow
def test_animated_svg_example_scores_frames_and_motion(tmp_path: Path) -> None:
    """text -> animated SVG -> 8 frames (and a video) -> frame-by-frame SSIM and motion;
    the still spinner of round 0 scores motion 0, the critic gets a contact sheet."""
    records = run(ANIMATED / "pipeline.toml", tmp_path / "run")
    assert sorted(records) == ["bouncing-ball", "spinner", "traffic-light"]
    first = {k: r.rounds[0] for k, r in records.items()}
    assert first["spinner"].scores["motion"].values["motion"] == 0.0
    assert first["bouncing-ball"].scores["frames"].values["ssim_worst"] == pytest.approx(1.0)
    wrong = first["traffic-light"].scores["frames"]
    assert wrong.values["ssim_worst"] < 0.95
    assert wrong.details["worst_frame"]["time_s"] in (0.5, 0.75, 1.25)
    for record in records.values():
        final = record.rounds[-1]
        assert final.scores["motion"].values["motion"] == 1.0
        assert final.scores["frames"].values["ssim_mean"] == pytest.approx(1.0)
        assert final.rendering is not None and len(final.rendering.frames) == 8
        assert final.rendering.video is not None
    sheet = tmp_path / "run" / str(first["spinner"].prompted.image)  # type: ignore[union-attr]
    assert sheet.is_file()
