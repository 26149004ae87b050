"""The critique -> revise loop with recorded responses: the critic sees the reference and
the failure, the generator gets the critique, and every round is recorded and scored."""

from __future__ import annotations

import json
from collections.abc import Generator
from pathlib import Path
from typing import Any

from visioncode import ModelRequest, hookimpl
from visioncode.config import load_config
from visioncode.pipeline import Pipeline
from visioncode.samples import load_manifest

from ..conftest import EXAMPLE, pipeline_toml, write_dataset


class Recorder:
    """A wrapper plugin that keeps every model request."""

    def __init__(self) -> None:
        self.requests: list[ModelRequest] = []

    @hookimpl(wrapper=True)
    def visioncode_generate(self, request: ModelRequest) -> Generator[None, Any, Any]:
        self.requests.append(request)
        return (yield)


def setup(tmp_path: Path, loop: str) -> tuple[Path, Path]:
    ds = write_dataset(tmp_path / "d", ids=["icon-flag"])
    good = (EXAMPLE / "dataset" / "svg" / "icon-flag.svg").read_text()
    replay = tmp_path / "answers.jsonl"
    lines = [
        {"sample_id": "icon-flag", "round": 0, "text": "A flag, I think."},
        {"sample_id": "icon-flag", "round": 0, "purpose": "critique",
         "text": "There is no SVG at all. Draw a pole and three horizontal stripes."},
        {"sample_id": "icon-flag", "round": 1, "purpose": "revise", "text": good},
        {"sample_id": "icon-flag", "round": 1, "purpose": "critique", "text": "Perfect."},
        {"sample_id": "icon-flag", "round": 2, "purpose": "revise", "text": good},
    ]
    replay.write_text("".join(json.dumps(x) + "\n" for x in lines))
    cfg = tmp_path / "p.toml"
    cfg.write_text(pipeline_toml(ds, model=f'use = "replay"\n[model.options]\npath = "{replay}"',
                                 extra=loop, metrics=("render-success", "ssim")))
    return cfg, ds


def test_critique_feeds_the_revision(tmp_path: Path) -> None:
    cfg, ds = setup(tmp_path, "[loop]\nrounds = 2")
    recorder = Recorder()
    sample = next(load_manifest(ds))
    with Pipeline(load_config(cfg), plugins=[recorder]) as pipeline:
        record = pipeline.run_sample(sample, tmp_path / "work")

    assert [r.status for r in record.rounds] == ["no_svg", "ok"]
    assert record.status == "ok" and record.final_round == 1
    assert record.rounds[0].critique is not None
    assert record.rounds[0].critique.text.startswith("There is no SVG")
    assert record.rounds[0].scores["render-success"].values["render_success"] == 0.0
    assert record.scores["ssim"].values["ssim"] > 0.95  # final round; 128 px vs 256 px reference
    assert record.usage.calls == 3

    generate, critique, revise = recorder.requests
    assert (generate.purpose, critique.purpose, revise.purpose) == (
        "generate", "critique", "revise")
    assert [i.path for i in critique.images] == [sample.image]  # the reference
    assert "did not render: no_svg" in critique.messages[-1].text
    assert "Draw a pole" in revise.messages[-1].text
    assert revise.messages[-2].role == "assistant"
    assert revise.messages[-2].text == "A flag, I think."


def test_critic_sees_the_render_when_there_is_one(tmp_path: Path) -> None:
    cfg, ds = setup(tmp_path, "[loop]\nrounds = 3")
    recorder = Recorder()
    with Pipeline(load_config(cfg), plugins=[recorder]) as pipeline:
        record = pipeline.run_sample(next(load_manifest(ds)), tmp_path / "work")
    assert len(record.rounds) == 3
    second_critique = recorder.requests[3]
    assert second_critique.purpose == "critique" and second_critique.round == 1
    rendered = record.rounds[1].rendering
    assert rendered is not None
    assert rendered.images[0] in [i.path for i in second_critique.images]


def test_stop_when_rendered(tmp_path: Path) -> None:
    cfg, ds = setup(tmp_path, "[loop]\nrounds = 5\nstop_when_rendered = true")
    with Pipeline(load_config(cfg)) as pipeline:
        record = pipeline.run_sample(next(load_manifest(ds)), tmp_path / "work")
    assert len(record.rounds) == 2 and record.status == "ok"
