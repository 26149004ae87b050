"""The offline img2scene example end to end: replayed model, real bpy worker, Cycles,
object-ids prompts in the critique, revision, pixel metrics against the references the
project rendered itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visioncode.config import load_config
from visioncode.runner import Runner
from visioncode.store import RunStore

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "img2scene"


def test_reference_programs_are_the_scene_files() -> None:
    common = (EXAMPLE / "scenes" / "common.py").read_text()
    rows = [json.loads(x) for x in (EXAMPLE / "dataset" / "samples.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["stack", "shapes", "tower"]
    replay = (EXAMPLE / "replay" / "replay.jsonl").read_text()
    replies = [json.loads(x) for x in replay.splitlines()]
    for row in rows:
        program = (EXAMPLE / "dataset" / row["reference_program"]).read_text()
        scene = (EXAMPLE / "scenes" / f"{row['id']}.py").read_text().splitlines(True)
        assert program == common + "\n" + "".join(scene[1:])
        assert scene[0].startswith("# ruff: noqa")
        assert (EXAMPLE / "dataset" / row["image"]).is_file()
        revised = next(r["text"] for r in replies
                       if r["sample_id"] == row["id"] and r.get("purpose") == "revise")
        assert revised == f"```python\n{program}```"
    drafts = {r["sample_id"]: r["text"] for r in replies if r.get("round") == 0
              and r.get("purpose", "generate") == "generate"}
    assert "(\"Box.Blue\", 0.6, 0.3, -1.6, blue)" in drafts["stack"]


@pytest.mark.slow
def test_pipeline_revises_the_misplaced_box(tmp_path: Path) -> None:
    out = tmp_path / "run"
    # the first sample, `stack`, is the one whose draft needs the revision
    Runner(load_config(EXAMPLE / "pipeline.toml", {"dataset.limit": 1}),
           out).run(console="quiet")
    records = {r.sample_id: r for r in RunStore(out).load()}
    assert set(records) == {"stack"}
    for record in records.values():
        assert record.status == "ok", record.reason
        assert len(record.rounds) == 2
        assert record.scores["ssim"].values["ssim"] == pytest.approx(1.0, abs=1e-6)
    stack = records["stack"]
    first = stack.rounds[0]
    assert first.scores["ssim"].values["ssim"] < 0.99  # the draft's box is misplaced
    assert first.prompted is not None and "- Box.Blue (mesh):" in first.prompted.legend
    assert "Ground" not in first.prompted.legend  # skipped in the config
    assert first.critique is not None and "Move Box.Blue" in first.critique.text
    blue = {o["name"]: o for o in stack.rounds[1].execution.metadata["scene"]["objects"]}  # type: ignore[union-attr]
    assert blue["Box.Blue"]["location"] == pytest.approx([0.15, 0.0, 2.7])
