"""The offline text2video example end to end: plan -> code -> render (sections in
parallel on the pool) -> layout and section feedback -> repair, with the real runner."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest

from visioncode.config import load_config
from visioncode.runner import Runner
from visioncode.store import RunStore

from ..conftest import ROOT

EXAMPLE = ROOT / "examples" / "text2video"


def test_replayed_answers_match_the_programs_they_are_written_from() -> None:
    import sys

    sys.path.insert(0, str(EXAMPLE))
    try:
        from programs import PLANS, PROGRAMS
    finally:
        sys.path.remove(str(EXAMPLE))
    lines = [json.loads(x) for x in (EXAMPLE / "replay" / "answers.jsonl").open()]
    for line in lines:
        if line["purpose"] == "plan":
            assert line["text"] == PLANS[line["sample_id"]]
        elif line["purpose"] in ("generate", "revise"):
            program = PROGRAMS[line["sample_id"]][0 if line["purpose"] == "generate" else -1]
            assert program in line["text"]


@pytest.mark.slow
def test_the_example_repairs_a_layout_fault_and_a_runtime_error(tmp_path: Path) -> None:
    loaded = load_config(EXAMPLE / "pipeline.toml", {"render.fps": 10})
    Runner(loaded, tmp_path / "run").run(console="quiet")
    records = {r.sample_id: r for r in RunStore(tmp_path / "run").load()}
    assert set(records) == {"pythagoras", "derivative", "binary-search"}

    pyth = records["pythagoras"]
    assert pyth.status == "ok" and pyth.stop_reason == "no_feedback"
    assert pyth.plan is not None and pyth.plan.text.startswith("1. Intro")
    first, second = pyth.rounds
    assert first.scores["layout"].values["text_overlap"] == 1
    assert first.scores["layout"].values["out_of_frame"] == 1
    assert "(line 19)" in first.critique.text and "D4-E5" in first.critique.text
    assert second.scores["layout"].values["faults"] == 0
    assert second.scores["manim-sections"].values["sections_ok"] == 3

    deriv = records["derivative"]
    assert [r.status for r in deriv.rounds] == ["render_error", "ok"]
    assert "`Slope` failed" in deriv.rounds[0].reason and "(line 15)" in deriv.rounds[0].reason
    assert "axes.get_graph" in deriv.rounds[0].critique.text
    sections = deriv.rounds[0].scores["manim-sections"].values
    assert sections == {"section_success": 0.5, "sections_ok": 1.0, "sections_total": 2.0}

    search = records["binary-search"]
    assert len(search.rounds) == 1 and search.stop_reason == "no_feedback"

    for record in records.values():
        rendering = record.rounds[-1].rendering
        assert rendering is not None and rendering.video is not None
        video = rendering.video if rendering.video.is_absolute() else \
            tmp_path / "run" / rendering.video       # records keep run-relative paths
        with av.open(str(video)) as container:
            length = container.duration / 1e6
        expected = sum(s["duration_s"] for s in rendering.metadata["sections"])
        assert length == pytest.approx(expected, abs=0.3)
        assert record.timings["total"] > 0 and record.usage.calls >= 2
