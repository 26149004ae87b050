"""Every error record and its log line name the stage that raised: a component of a
third-party plugin raises in one stage at a time, and the record says that stage, not
the stage the loop was in (which used to be `generate` for execute, render and score)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visioncode.config import load_config
from visioncode.runner import Runner
from visioncode.store import RunStore

from .conftest import stage_pipeline

LOOP = '[loop]\nrounds = 2\n[visual_prompter]\nuse = "stage-prompter"\n'
METRIC = '[[metrics]]\nuse = "stage-metric"\n'

CASES = {
    "plan": dict(model='fail_on = "plan"', extra=METRIC),
    "generate": dict(model='fail_on = "generate"', extra=METRIC),
    "extract": dict(executor='fail_in = "extract"', extra=METRIC),
    "execute": dict(executor='fail_in = "execute"', extra=METRIC),
    "render": dict(renderer="fail = true", extra=METRIC),
    "score": dict(extra='[[metrics]]\nuse = "stage-metric"\noptions = { fail = true }\n'),
    "visual_prompt": dict(extra=LOOP.replace('"stage-prompter"',
                                             '"stage-prompter"\noptions = { fail = true }')
                          + METRIC),
    "critique": dict(model='fail_on = "critique"', extra=LOOP + METRIC),
}


@pytest.mark.parametrize("stage", list(CASES))
def test_error_record_and_log_name_the_stage_that_raised(
        stage: str, stage_plugin: dict[str, str], tmp_path: Path) -> None:
    cfg = stage_pipeline(tmp_path, **CASES[stage])
    if stage == "plan":
        text = cfg.read_text().replace('name = "stages"',
                                       'name = "stages"\nplan = "Outline {text}."')
        cfg.write_text(text)
    out = tmp_path / "run"
    summary = Runner(load_config(cfg), out).run(console="quiet")
    assert summary.errors == 1
    [record] = RunStore(out).load()
    assert record.status == "error"
    assert record.reason is not None and record.reason.startswith(f"{stage}: RuntimeError: ")
    what = {"visual_prompt": "prompter", "score": "metric", "render": "renderer",
            "execute": "executor", "extract": "executor"}.get(stage, "model")
    assert what in record.reason
    events = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    [error] = [e for e in events if e["event"] == "sample.error"]
    assert error["stage"] == stage and error["sample_id"] == "s0"


def test_a_plugin_put_on_the_path_after_a_load_is_found(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """stevedore remembers each namespace it listed; the registry makes it look again
    when the path changed, so a plugin installed mid-process loads."""
    from visioncode import registry

    from . import plugin_stages
    from .conftest import use_site

    assert registry.load("renderer", "cairosvg").__name__.endswith("Renderer")
    use_site(plugin_stages.install(tmp_path / "site"), monkeypatch)
    assert registry.load("renderer", "stage-renderer").__name__ == "StageRenderer"
