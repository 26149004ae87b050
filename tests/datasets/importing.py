"""Helpers of the import tests: run an import, run an example pipeline on the result
the way a user would (`--set dataset.path=...` on the example config), and read the
records back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from visioncode.config import load_config
from visioncode.datasets import ImportOptions, import_dataset
from visioncode.records import SampleRecord
from visioncode.runner import Runner
from visioncode.samples import Sample, load_manifest
from visioncode.store import RunStore


def do_import(fmt: str, src: Path, out: Path, **options: Any) -> list[Sample]:
    import_dataset(fmt, src, out, ImportOptions(**options))
    return list(load_manifest(out / "samples.jsonl"))


def card(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "dataset.json").read_text())
    return data


def run_example(example: str, dataset: Path, run_dir: Path,
                **overrides: Any) -> list[SampleRecord]:
    """The example config of the repository, with the imported dataset put in."""
    loaded = load_config(ROOT / example, {"dataset.path": str(dataset / "samples.jsonl"),
                                          "dataset.limit": None, "run.workers": 1,
                                          **overrides})
    Runner(loaded, run_dir).run(console="quiet")
    return list(RunStore(run_dir).load())


def replay_file(path: Path, answers: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps({"sample_id": sid, "text": text}) + "\n"
                            for sid, text in answers.items()))
    return path
