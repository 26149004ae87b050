"""The scaling benchmark and the one-command runner, at a tiny size: the warm re-run makes
zero renders and zero model calls, the page is generated from the JSON files with the
SVG section kept as written, and a benchmark without its plugin is skipped with a line.
No timing is asserted."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..conftest import ROOT


def load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}",
                                                  ROOT / "benchmarks" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_scaling_benchmark_runs_and_the_warm_rerun_is_warm(tmp_path: Path) -> None:
    out = tmp_path / "pipeline_scaling.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "pipeline_scaling.py"), "--n", "6",
         "--latency", "0.05", "--in-flight", "2", "--out", str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    z = data["results"]["warm_rerun"]
    assert z["cold_model_calls"] == 6 and z["warm_model_calls"] == 0
    assert z["warm_renders"] == 0 and z["warm_render_cache_hits"] == 6
    assert z["warm_usage_calls"] == 0 and z["warm_cache_hits"] == 6
    o = data["results"]["overlap"]
    assert o["samples"] == 6 and o["model_s"] > 0.05 * 6 * 0.9
    assert "## Pipeline scaling" in proc.stdout and "naive / visioncode" in proc.stdout


def test_page_is_written_from_the_results(tmp_path: Path) -> None:
    run = load("run")
    results = tmp_path / "results"
    results.mkdir()
    shutil.copy(ROOT / "benchmarks" / "results" / "svg_render.json", results)
    (results / "html_render.json").write_text(json.dumps({
        "measured_at": "2026-01-01T00:00:00", "results": {
            "reuse": {"pages": 20, "per_page_s": 0.05, "speedup": 6.5},
            "per_page_browser": {"pages": 20, "per_page_s": 0.33}}}))
    doc = tmp_path / "benchmarks.md"
    shutil.copy(ROOT / "docs" / "benchmarks.md", doc)
    svg_section = doc.read_text().split("<!-- svg_render:start -->")[1].split(
        "<!-- svg_render:end -->")[0]
    run.write_docs(doc, results)
    run.write_docs(doc, results)  # idempotent: sections are replaced, not appended
    text = doc.read_text()
    assert text.count("<!-- overview:start -->") == 1
    assert text.count("<!-- html_render:start -->") == 1
    assert svg_section in text  # the SVG script's own section is kept as it wrote it
    assert "| `html_render` | HTML: browser reuse versus a browser per page | " \
           "reuse speedup 6.50x |" in text
    assert "| reuse | 20 | 0.05 | 6.5 |" in text
    assert "| `manim_render` |" in text and "not measured yet" in text


def test_missing_plugins_and_scripts_are_skipped_with_a_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = load("run")
    bench = run.Benchmark("nothing_here", "visioncode-nothing", "nothing")
    assert run.run_one(bench, True, tmp_path) == ("skipped", 0.0)
    assert "skip nothing_here: benchmarks/nothing_here.py does not exist" in \
        capsys.readouterr().out
    bench = run.Benchmark("svg_render", "visioncode-not-installed", "svg")
    assert run.run_one(bench, True, tmp_path) == ("skipped", 0.0)
    assert "skip svg_render: plugin visioncode-not-installed is not installed" in \
        capsys.readouterr().out
