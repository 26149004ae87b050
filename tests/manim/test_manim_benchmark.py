"""The render benchmark runs (one scene each way) and reports its ratio; no timing is
asserted."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from ..conftest import ROOT


@pytest.mark.slow
def test_benchmark_measures_both_ways_in_one_run(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("manim_render",
                                                  ROOT / "benchmarks" / "manim_render.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "result.json"
    result = bench.main(["--n", "1", "--workers", "1", "--out", str(out)])
    saved = json.loads(out.read_text())
    assert saved["scenes"] == 1 and saved["cli"]["scenes_per_min"] > 0
    assert saved["pool"]["scenes_per_min"] > 0 and saved["pool"]["startup_s"] > 0
    assert saved["ratio_pool_vs_cli"] == pytest.approx(
        result["pool"]["scenes_per_min"] / result["cli"]["scenes_per_min"])
