"""The throughput benchmark runs (at its smallest size) and writes its results; no timing
is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.mark.slow
def test_benchmark_quick(tmp_path: Path) -> None:
    out = tmp_path / "html_render.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "html_render.py"),
                           "--quick", "--out", str(out)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "screenshots/s" in done.stdout and "new browser per page" in done.stdout
    result = json.loads(out.read_text())
    assert result["pages"] == 2
    assert set(result["screenshots_per_s"]) == {
        "visioncode, browser reuse", "visioncode, new browser per page",
        "bare, browser reuse", "bare, new browser per page"}
    assert result["reuse_speedup"] > 0 and result["reuse_speedup_bare"] > 0
    assert result["overhead"] > 0
    assert set(result["warm_per_s"]) == {
        "pool, blocked-network settle, CDP capture", "no pool",
        "network-idle settle (100 ms)", "Playwright screenshot",
        "frames (30 fps animation)", "chromium-svg renderer", "bare, one page reused"}
    assert set(result["warm_ratios"]) == {"pool", "settle", "capture",
                                          "isolated vs one page reused"}
    assert result["frames_per_s"] > 0 and len(result["machine"]["load_before"]) == 3


def test_entry_points_import_without_playwright() -> None:
    """Listing and loading the components must not start Playwright or SciPy."""
    code = ("import sys; import visioncode_html.executor, visioncode_html.renderers, "
            "visioncode_html.set_of_marks, visioncode_html.design2code, "
            "visioncode_html.action_selection; "
            "print(sorted(m for m in ('playwright', 'scipy', 'skimage') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
