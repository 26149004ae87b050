"""The pipeline hands the executor the sample being run (for per-sample inputs such as GUI
actions in meta), while executors that take no `sample` keep working unchanged."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

from visioncode import Sample, hookimpl
from visioncode.config import load_config
from visioncode.pipeline import Pipeline
from visioncode.samples import load_manifest


class SeesExecuteArgs:
    """A wrapper on the execute hook that keeps the sample each call carried."""

    def __init__(self) -> None:
        self.samples: list[Sample | None] = []

    @hookimpl(wrapper=True)
    def visioncode_execute(self, sample: Sample | None) -> Generator[None, Any, Any]:
        self.samples.append(sample)
        return (yield)


def test_the_executor_hook_carries_the_sample(small_config: Path, tmp_path: Path) -> None:
    seen = SeesExecuteArgs()
    loaded = load_config(small_config)
    sample = next(load_manifest(loaded.config.dataset.path))
    with Pipeline(loaded, plugins=[seen]) as pipeline:
        record = pipeline.run_sample(sample, tmp_path / "w")  # the svg executor takes no sample
    assert record.status == "ok"
    assert [s.id if s else None for s in seen.samples] == [sample.id]
