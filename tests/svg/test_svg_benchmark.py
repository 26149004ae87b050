"""The rendering benchmark runs end to end (tiny N, no timing asserted) and writes its
JSON and its section of the benchmarks page without touching the rest of the page."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from ..conftest import ROOT


def test_benchmark_runs_and_writes_results(tmp_path: Path) -> None:
    page = tmp_path / "benchmarks.md"
    page.write_text("# Benchmarks\n\nAn earlier section that must stay.\n")
    out = tmp_path / "svg_render.json"
    args = [sys.executable, str(ROOT / "benchmarks" / "svg_render.py"), "--n", "5",
            "--size", "64", "--repeat", "1", "--out", str(out), "--markdown", str(page),
            "--max-load", "100000"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert len(data["load_before"]) == 3 and len(data["load_after"]) == 3
    assert data["programs"] == 5 and set(data["results"]) == {"cairosvg", "resvg"}
    for r in data["results"].values():
        for key in ("bare_rps", "renderer_rps", "executor_renderer_rps", "pipeline_rps",
                    "renderer_overhead_ratio", "pipeline_overhead_ratio", "worker_start_s"):
            assert r[key] > 0, key
    text = page.read_text()
    assert "An earlier section that must stay." in text
    assert text.count("## SVG rendering") == 1 and "| cairosvg 2.9" in text
    # writing the section again replaces it, and only it
    spec = importlib.util.spec_from_file_location("svg_render", ROOT / "benchmarks" /
                                                  "svg_render.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    page.write_text(text + "\n## A later section\n")
    bench.write_doc(page, bench.markdown(data))
    again = page.read_text()
    assert again.count("## SVG rendering") == 1 and "must stay" in again
    assert again.rstrip().endswith("## A later section")
