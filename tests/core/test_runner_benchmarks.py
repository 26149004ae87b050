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
    quiet = {"load_1m": 0.4, "load_5m": 0.5, "load_15m": 0.5, "cores": 2, "at": "t"}
    busy = {**quiet, "load_1m": 3.5}
    data = json.loads((results / "svg_render.json").read_text())
    data["load"] = {"before": quiet, "after": quiet}
    (results / "svg_render.json").write_text(json.dumps(data))
    (results / "html_render.json").write_text(json.dumps({
        "measured_at": "2026-01-01T00:00:00", "load": {"before": quiet, "after": quiet},
        "results": {
            "reuse": {"pages": 20, "per_page_s": 0.05, "speedup": 6.5},
            "per_page_browser": {"pages": 20, "per_page_s": 0.33}}}))
    # Measured while the 1-minute load exceeded the 2 cores: kept off the page.
    (results / "blender_render.json").write_text(json.dumps({
        "measured_at": "2026-01-02T00:00:00", "load": {"before": quiet, "after": busy},
        "results": {"persistent": {"speedup": 9.9}}}))
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
           "reuse speedup 6.50x | 2026-01-01T00:00:00 (1-minute load 0.40 before, 0.40 " \
           "after, 2 cores) |" in text
    assert "| `blender_render` | Blender: persistent workers versus a process per render | " \
           "not published: measured under load or without a load record (1-minute load " \
           "0.40 before, 3.50 after, 2 cores)" in text
    assert "9.9" not in text.split("<!-- overview:end -->")[0]
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


FAKE = """
import json, os, sys
from pathlib import Path
out = Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else \\
    Path(os.environ["FAKE_RESULTS"])
out.write_text(json.dumps({"measured_at": "now", "results": {"x": {"speedup": 2.0}}}))
Path(os.environ["FAKE_DOC"]).write_text("rewritten by the script")
"""


@pytest.fixture
def fake_bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, Path]:
    """`run.py` pointed at a folder with one fake benchmark, its results file and page."""
    run = load("run")
    here = tmp_path / "benchmarks"
    (here / "results").mkdir(parents=True)
    (here / "fake.py").write_text(FAKE)
    doc = tmp_path / "benchmarks.md"
    doc.write_text("the page")
    monkeypatch.setattr(run, "HERE", here)
    monkeypatch.setattr(run, "RESULTS", here / "results")
    monkeypatch.setattr(run, "DOC", doc)
    monkeypatch.setenv("FAKE_RESULTS", str(here / "results" / "fake.json"))
    monkeypatch.setenv("FAKE_DOC", str(doc))
    return run, run.Benchmark("fake", "visioncode", "a fake benchmark"), here


def test_quick_runs_leave_the_tracked_results_and_the_page_alone(
        fake_bench: tuple[Any, Any, Path], tmp_path: Path) -> None:
    run, bench, here = fake_bench
    tracked = here / "results" / "fake.json"
    tracked.write_text('{"the": "committed figures"}')
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert run.run_one(bench, True, scratch)[0] == "ok"
    assert tracked.read_text() == '{"the": "committed figures"}'
    assert (tmp_path / "benchmarks.md").read_text() == "the page"
    # A script without --out writes the tracked file itself: it is put back too.
    (here / "fake.py").write_text((here / "fake.py").read_text().replace(
        '"--out" in sys.argv', 'False'))
    assert run.run_one(bench, True, scratch)[0] == "ok"
    assert tracked.read_text() == '{"the": "committed figures"}'


def test_full_runs_record_the_load_and_refuse_docs_under_load(
        fake_bench: tuple[Any, Any, Path], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    run, bench, here = fake_bench
    loads = iter([0.5, 0.7, 3.0, 5.0])
    monkeypatch.setattr(run.LoadRecord, "start", classmethod(lambda cls: cls(before={
        "load_1m": next(loads), "cores": 2})))

    def stop(self: Any) -> Any:
        self.after = {"load_1m": next(loads), "cores": 2}
        return self

    monkeypatch.setattr(run.LoadRecord, "stop", stop)
    assert run.run_one(bench, False, tmp_path)[0] == "ok"
    data = json.loads((here / "results" / "fake.json").read_text())
    assert data["load"]["before"]["load_1m"] == 0.5
    assert data["load"]["after"]["load_1m"] == 0.7 and data["load"]["publishable"] is True
    assert (tmp_path / "benchmarks.md").read_text() == "rewritten by the script"
    (tmp_path / "benchmarks.md").write_text("the page")
    assert run.run_one(bench, False, tmp_path)[0] == "ok"  # load 3.0 -> 5.0 on 2 cores
    data = json.loads((here / "results" / "fake.json").read_text())
    assert data["load"]["publishable"] is False
    assert (tmp_path / "benchmarks.md").read_text() == "the page"  # put back
