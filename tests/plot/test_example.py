"""The chart2code example end to end: the dataset is complete, and the revision loop with
the anchor-grid prompter fixes the recoloured charts in round 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visioncode.config import load_config
from visioncode.runner import Runner
from visioncode.samples import load_manifest
from visioncode.store import RunStore

from .conftest import EXAMPLE, PROGRAMS


def test_the_dataset_has_every_chart_with_its_program_and_answer() -> None:
    samples = list(load_manifest(EXAMPLE / "dataset" / "samples.jsonl"))
    assert len(samples) == len(PROGRAMS) >= 20
    kinds = {s.meta["chart"] for s in samples}
    assert len(kinds) >= 15
    answers = {json.loads(line)["sample_id"]: json.loads(line)["text"]
               for line in (EXAMPLE / "replay" / "answers.jsonl").open()}
    assert set(answers) == {s.id for s in samples}
    kinds_of_answer = {s.meta["answer"] for s in samples}
    assert kinds_of_answer == {"exact", "recoloured", "missing-panel", "failing"}


@pytest.mark.slow
def test_the_revision_loop_fixes_the_colours_with_the_anchor_grid(tmp_path: Path) -> None:
    out = tmp_path / "run"
    Runner(load_config(EXAMPLE / "pipeline-revision.toml"), out).run(console="quiet")
    records = list(RunStore(out).load())
    assert len(records) == 3
    for rec in records:
        first, last = rec.rounds
        assert first.prompted is not None and (out / first.prompted.image).is_file()
        assert "A1" in first.prompted.legend
        assert first.scores["chartmimic"].values["color_f1"] < 0.8
        assert first.scores["chartmimic"].values["text_f1"] == 1.0
        assert last.scores["chartmimic"].values["color_f1"] == pytest.approx(1.0)
        assert last.scores["ssim"].values["ssim"] == pytest.approx(1.0)
