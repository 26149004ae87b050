"""Early stopping of the critique->revise loop on a metric that stopped improving, the
`[model_calls]` and `[loop]` config fields, and what a sample's loop records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visioncode import RoundRecord, SampleRecord, Score
from visioncode.config import LoopSpec, load_config
from visioncode.early_stop import ScoreWatch
from visioncode.errors import ConfigError, VisioncodeError
from visioncode.pipeline import Pipeline
from visioncode.samples import load_manifest

from ..conftest import EXAMPLE, pipeline_toml, write_dataset


def scored(r: int, value: float | None, higher: bool = True, key: str = "ssim") -> RoundRecord:
    return RoundRecord(round=r, scores={"ssim": Score(
        metric="ssim", values={key: value}, higher_is_better={key: higher})})


def watch(**loop: object) -> ScoreWatch:
    return ScoreWatch(LoopSpec(rounds=10, **{"stop_metric": "ssim.ssim", **loop}))


def test_stops_after_patience_rounds_without_improvement() -> None:
    w = watch(patience=2)
    assert [w.update(scored(i, v)) for i, v in enumerate([0.5, 0.6, 0.6, 0.59])] == [
        False, False, False, True]
    assert w.best == 0.6


def test_min_delta_and_lower_is_better() -> None:
    w = watch(min_delta=0.05)
    assert not w.update(scored(0, 0.5))
    assert w.update(scored(1, 0.54))  # +0.04 is not enough
    w = watch(stop_metric="ssim.mse")
    assert not w.update(scored(0, 0.2, higher=False, key="mse"))
    assert not w.update(scored(1, 0.1, higher=False, key="mse"))
    assert w.update(scored(2, 0.3, higher=False, key="mse"))


def test_missing_values() -> None:
    w = watch()
    assert not w.update(scored(0, None))  # nothing to beat yet: revise
    assert not w.update(scored(1, 0.4))
    assert w.update(scored(2, None))  # excluded after a real value: no improvement
    with pytest.raises(VisioncodeError, match=r"ssim.nope: round 0 has no such value .*ssim"):
        watch(stop_metric="ssim.nope").update(scored(0, 0.5))


def test_stop_metric_shorthand() -> None:
    assert LoopSpec(stop_metric="ssim").stop_metric_key() == ("ssim", "ssim")
    assert LoopSpec(stop_metric="program-size.bytes").stop_metric_key() == (
        "program-size", "bytes")


def replay_setup(tmp_path: Path, loop: str) -> tuple[Path, Path]:
    """A replay pipeline whose revisions go: nothing, the flag, the flag again, ..."""
    ds = write_dataset(tmp_path / "d", ids=["icon-flag"])
    good = (EXAMPLE / "dataset" / "svg" / "icon-flag.svg").read_text()
    poor = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="2" ' \
           'height="2"/></svg>'
    lines = [{"sample_id": "icon-flag", "round": 0, "text": poor},
             {"sample_id": "icon-flag", "purpose": "critique", "text": "Draw the flag."},
             {"sample_id": "icon-flag", "purpose": "revise", "text": good}]
    replay = tmp_path / "answers.jsonl"
    replay.write_text("".join(json.dumps(x) + "\n" for x in lines))
    cfg = tmp_path / "p.toml"
    cfg.write_text(pipeline_toml(ds, model=f'use = "replay"\n[model.options]\npath = "{replay}"',
                                 extra=loop, metrics=("render-success", "ssim")))
    return cfg, ds


def run_one(cfg: Path, ds: Path, tmp_path: Path) -> SampleRecord:
    with Pipeline(load_config(cfg)) as pipeline:
        return pipeline.run_sample(next(load_manifest(ds)), tmp_path / "work")


def test_loop_stops_when_ssim_stops_improving_and_keeps_the_last_round(tmp_path: Path) -> None:
    cfg, ds = replay_setup(tmp_path, '[loop]\nrounds = 6\nstop_metric = "ssim"')
    record = run_one(cfg, ds, tmp_path)
    assert len(record.rounds) == 3 and record.stop_reason == "no_improvement"
    ssim = [r.scores["ssim"].values["ssim"] for r in record.rounds]
    assert ssim[1] > ssim[0] and ssim[2] == ssim[1]
    assert record.final_round == 2 and record.scores == record.rounds[2].scores
    assert record.rounds[2].critique is None  # no critique after the last round
    assert record.usage.calls == 5  # generate, (critique, revise) x 2


def test_without_stop_metric_all_rounds_run(tmp_path: Path) -> None:
    cfg, ds = replay_setup(tmp_path, "[loop]\nrounds = 4")
    record = run_one(cfg, ds, tmp_path)
    assert len(record.rounds) == 4 and record.stop_reason == "rounds"


def test_one_round_is_unchanged(tmp_path: Path) -> None:
    cfg, ds = replay_setup(tmp_path, "")
    record = run_one(cfg, ds, tmp_path)
    assert len(record.rounds) == 1 and record.stop_reason == "rounds"
    assert record.rounds[0].critique is None and record.usage.calls == 1


def test_stop_metric_must_be_a_configured_metric(tmp_path: Path) -> None:
    cfg, _ = replay_setup(tmp_path, '[loop]\nrounds = 3\nstop_metric = "psnr.psnr"')
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    assert info.value.problems[0][0] == "loop.stop_metric"
    assert "'psnr'" in info.value.problems[0][1] and "render-success, ssim" in \
        info.value.problems[0][1]


def test_model_calls_config_is_validated_and_left_out_of_the_hash(tmp_path: Path) -> None:
    cfg, _ = replay_setup(tmp_path, "")
    base = load_config(cfg)
    tuned = load_config(cfg, {"model_calls.max_connections": 2, "model_calls.cache": False})
    assert tuned.config.model_calls.max_connections == 2 and not tuned.config.model_calls.cache
    assert tuned.hash == base.hash
    with pytest.raises(ConfigError, match=r"model_calls.max_conections: unknown field: did you "
                                          r"mean 'max_connections'"):
        load_config(cfg, {"model_calls.max_conections": 2})
    with pytest.raises(ConfigError, match=r"model_calls\.max_retries"):
        load_config(cfg, {"model_calls.max_retries": -1})
    assert load_config(cfg, {"loop.patience": 3}).hash != base.hash
