"""The SVG example configs run offline end to end: text2svg, the VCode protocol (CodeVQA
through the replay model, tokens, exclusion) and VCoder-style revision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.npm_support import installed_cl100k
from visioncode import SampleRecord
from visioncode.config import LoadedConfig, read_file, validate
from visioncode.runner import Runner
from visioncode.store import RunStore
from visioncode.summary import RunSummary
from visioncode_svg import original_program, svg_status

from ..conftest import ROOT

IMG2SVG = ROOT / "examples" / "img2svg"
TEXT2SVG = ROOT / "examples" / "text2svg"


@pytest.fixture(scope="module")
def cl100k() -> Path | None:
    return installed_cl100k()


def example(path: Path, cl100k: Path | None) -> LoadedConfig:
    """The example config as written, with svg-code pointed at the cl100k_base file this
    machine has (or its token count switched off when it has none)."""
    data: dict[str, Any] = read_file(path)
    for m in data.get("metrics", []):
        if m["use"] == "svg-code":
            options = m.setdefault("options", {})
            if cl100k is None:
                options["tokenizer"] = None
            else:
                options["tokenizer_file"] = str(cl100k)
    return validate(data, source=path)


def run(loaded: LoadedConfig, out: Path) -> tuple[RunSummary, dict[str, SampleRecord]]:
    summary = Runner(loaded, out, workers=2).run(console="quiet")
    return summary, {r.sample_id: r for r in RunStore(out).load()}


def test_text2svg(tmp_path: Path, cl100k: Path | None) -> None:
    loaded = example(TEXT2SVG / "pipeline.toml", cl100k)
    assert "{text}" in loaded.config.task.prompt and "viewBox" in loaded.config.task.prompt
    summary, records = run(loaded, tmp_path / "run")
    assert summary.samples == 10 and summary.ok == 9
    statuses = {sid: svg_status(r.rounds[0]) for sid, r in records.items()}
    assert statuses["icon-cloud"] == "no_svg"
    assert statuses["icon-heart"] == statuses["icon-traffic-light"] == "repaired"
    assert list(statuses.values()).count("ok") == 7
    heart = records["icon-heart"].rounds[0]
    assert heart.extraction and "Heart & soul" in (original_program(heart.extraction) or "")
    assert "Heart &amp; soul" in (heart.extraction.program or "")
    assert heart.completion is not None and heart.completion.text.startswith("```svg")
    sun = records["icon-sun"].scores
    assert sun["svg-code"].values["rect"] == 8 and sun["svg-code"].values["circle"] == 1
    if cl100k is not None:
        assert sun["svg-code"].values["tokens"] and sun["svg-code"].values["tokens"] > 50
    cloud = records["icon-cloud"].scores
    assert cloud["ssim"].policy == "blank" and cloud["ssim"].values["ssim"] is not None


def test_vcode_protocol(tmp_path: Path, cl100k: Path | None) -> None:
    summary, records = run(example(IMG2SVG / "pipeline-vcode.toml", cl100k), tmp_path / "run")
    assert summary.samples == 12 and summary.ok == 11
    accuracy = {sid: r.scores["codevqa"].values["accuracy"] for sid, r in records.items()}
    assert accuracy == {
        "icon-battery": 0.0, "icon-checkmark": 0.0, "icon-cloud": 0.0, "icon-flag": 1.0,
        "icon-heart": 1.0, "icon-house": 0.5, "icon-mountain": 1.0, "icon-star": 1.0,
        "icon-sun": 0.5, "icon-target": 1.0, "icon-traffic-light": 0.5, "icon-tree": 0.5}
    # the original image is asked in the same run: the upper bound
    assert records["icon-cloud"].scores["codevqa"].values["upper_bound"] == 1.0
    assert records["icon-battery"].scores["codevqa"].values["upper_bound"] == 0.0
    cloud = records["icon-cloud"].scores["codevqa"]
    assert not cloud.rendered and cloud.policy == "worst"
    assert cloud.details["questions"][0]["render"]["reply"] is None
    house = records["icon-house"].scores["codevqa"].details["questions"]
    assert house[0]["render"]["reply"] == "The answer is B." and not house[0]["render"]["correct"]
    metrics = {(m.metric, m.key): m for m in summary.metrics}
    assert metrics[("codevqa", "accuracy")].n == 12  # failures count, as wrong
    assert metrics[("ssim", "ssim")].n == 11 and metrics[("ssim", "ssim")].excluded == 1
    assert metrics[("codevqa", "upper_bound")].mean == pytest.approx(11 / 12)
    if cl100k is not None:
        assert metrics[("svg-code", "tokens")].n == 11
    # every policy-model call counts in the sample's usage (replay: one call each)
    assert records["icon-flag"].usage.calls == 1 + 2 + 2


def test_vcoder_revision(tmp_path: Path) -> None:
    loaded = example(IMG2SVG / "pipeline-revision.toml", None)
    assert loaded.config.loop.rounds == 2
    summary, records = run(loaded, tmp_path / "run")
    assert summary.samples == 6 and summary.ok == 6
    for sid, r in records.items():
        first, second = r.rounds
        assert first.critique is not None and first.critique.text, sid
        assert second.scores["ssim"].values["ssim"] == pytest.approx(1.0, abs=1e-6)
        assert (second.scores["ssim"].values["ssim"] or 0) >= \
            (first.scores["ssim"].values["ssim"] or 0) - 1e-9, sid
    house = records["icon-house"].rounds
    assert house[0].scores["ssim"].values["ssim"] < 0.95
    assert "roof" in (house[0].critique.text if house[0].critique else "")
    assert svg_status(records["icon-cloud"].rounds[0]) == "no_svg"
    assert svg_status(records["icon-checkmark"].rounds[0]) == "repaired"
