"""The SVG battery in strict mode (`executor.options.on_unsafe = "fail"`): scripts, event
handlers, external and local references fail their own sample with status `unsafe` and a
reason naming what was found and where, instead of being removed; nothing reaches the
listener, nothing outside the run changes, and the good samples around them render."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visioncode.execution import Execution
from visioncode_svg.executor import SvgExecutor

from ..conftest import ROOT, pipeline_toml
from .harness import Canary, Listener, run_battery
from .test_svg import (
    GOOD,
    IMAGE,
    NS,
    css_forms,
    data_url,
    external_refs,
    hostile_inner_svg,
    local_files,
    scripts,
)

pytestmark = [pytest.mark.security]


def test_unsafe_svgs_fail_in_strict_mode(tmp_path: Path, listener: Listener,
                                         canary: Canary) -> None:
    url = listener.http_url
    answers = {
        "good-first": GOOD,
        "external-refs": external_refs(url),
        "scripts": scripts(url),
        "local-files": local_files([f"file://{canary.file}", f"file://{ROOT}/pyproject.toml",
                                    "/etc/passwd"]),
        "mimeless-svg-image": f'<svg {NS} viewBox="0 0 8 8"><image width="8" height="8" '
                              f'href="{data_url(hostile_inner_svg(url))}"/></svg>',
        **{f"css-{i}": f'<svg {NS} viewBox="0 0 64 64">{line}</svg>'
           for i, line in enumerate(css_forms(url).splitlines()[1:-1])},
        "good-last": GOOD,
    }
    replay = tmp_path / "answers.jsonl"
    replay.write_text("".join(json.dumps({"sample_id": k, "text": v}) + "\n"
                              for k, v in answers.items()))
    config = pipeline_toml(
        Path("{dataset}"), model=f'use = "replay"\n[model.options]\npath = "{replay}"',
        metrics=("render-success", "mse"),
        extra='[executor.options]\non_unsafe = "fail"')
    records = run_battery(config, tmp_path, [{"id": k, "image": IMAGE} for k in answers])

    expected = {"external-refs": ["<image", "@import", "line "],
                "scripts": ["<script", "onload", "line "],
                "local-files": ["<image", "line "],
                "mimeless-svg-image": ["inside the svg image", "<script", "line "],
                **{f"css-{i}": ["css", "line "] for i in range(7)}}
    for sample, words in expected.items():
        rec = records[sample]
        assert rec.status == "failed" and rec.rounds[0].status == "unsafe", (sample, rec)
        reason = (rec.reason or "").lower()
        assert reason.startswith("unsafe") and "active or external content" in reason
        assert all(w in reason for w in words), (sample, rec.reason)
        assert rec.rounds[0].rendering is None  # never handed to a renderer
    for sample in ("good-first", "good-last"):
        rec = records[sample]
        assert rec.status == "ok" and rec.scores["mse"].values["mse"] == pytest.approx(0, abs=1e-3)
    assert listener.hits == []
    canary.assert_untouched()


def test_strict_mode_names_the_first_offending_line(tmp_path: Path) -> None:
    program = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8">\n'
               '<rect width="8" height="8"/>\n'
               '<script>alert(1)</script>\n</svg>')
    strict = SvgExecutor(SvgExecutor.Options(on_unsafe="fail"))
    result: Execution = strict.execute(program, tmp_path / "a")
    assert result.status == "unsafe" and result.error is not None
    assert result.error.line == 3 and "<script>" in result.error.message
    lenient = SvgExecutor().execute(program, tmp_path / "b")
    assert lenient.status == "ok" and any("<script>" in n for n in lenient.notes)
