"""`visioncode report`: the page's content from a real two-round run (summary, plots,
highlighted programs, critiques, diff heatmaps, failures), a video player, and the page in
headless Chromium: no console errors, every image loads, sorting and filtering work."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from visioncode.cli import main
from visioncode.config import load_config
from visioncode.records import RoundRecord, RunManifest, SampleRecord
from visioncode.rendering import Rendering
from visioncode.report import write_report
from visioncode.runner import Runner
from visioncode.scoring import Score
from visioncode.store import RunStore

from ..conftest import EXAMPLE

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The revision example over 8 icons: 6 recorded answers (2 rounds with a critique),
    2 samples without one, which fail as no_svg."""
    out = tmp_path_factory.mktemp("report") / "run"
    loaded = load_config(EXAMPLE / "pipeline-revision.toml", {
        "dataset.limit": 8, "model.options.missing": "empty", "run.workers": 1})
    Runner(loaded, out).run(console="quiet")
    return out


def test_report_page_content(run_dir: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    page = (run_dir / "report" / "index.html").read_text()
    assert page.count("<article class='card'") == 8
    assert "<td>ssim</td>" in page and "<td>mse</td>" in page  # summary rows
    assert page.count("<svg xmlns") >= 3 and "<rect" in page  # one histogram per metric
    assert "class=\"hl\"" in page and "class=\"nt\"" in page  # highlighted SVG tags
    assert "critic's feedback on round 0" in page
    assert "no_svg" in page and "data-status='failed'" in page
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)  # nothing from the network
    diffs = sorted((run_dir / "report" / "assets" / "diff").iterdir())
    rendered = [(r.sample_id, rnd.round) for r in RunStore(run_dir).load()
                for rnd in r.rounds if rnd.rendered]
    assert len(rendered) >= 10  # most of 6 samples x 2 rounds
    assert [d.name for d in diffs] == sorted(f"{s}-round-{n}.png" for s, n in rendered)
    refs = list((run_dir / "report" / "assets" / "ref").iterdir())
    assert len(refs) == 8


def test_video_renders_get_a_player(tmp_path: Path) -> None:
    run = tmp_path / "run"
    store = RunStore(run)
    store.create(RunManifest(run_id="r", config_path="", config_hash="h", created_at=0,
                             visioncode_version="0", python="3", platform="p",
                             components=[]), {"dataset": {"path": str(tmp_path / "none")}})
    video = store.artifacts / "clip" / "round-0" / "scene.mp4"
    video.parent.mkdir(parents=True)
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    rendering = Rendering(status="ok", renderer="manim", video=video)
    store.append(SampleRecord(sample_id="clip", status="ok",
                              rounds=[RoundRecord(round=0, rendering=rendering)]))
    page = write_report(run).read_text()
    assert "<video controls" in page and "../artifacts/clip/round-0/scene.mp4" in page


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no system Chromium (scripts/setup.d/50-ray.sh "
                                             "installs Debian's chromium)")
def test_report_in_headless_chromium(run_dir: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (scripts/setup.d)")
    page_file = write_report(run_dir)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
            page.goto(page_file.as_uri())
            page.wait_for_load_state("load")
            for img in page.locator("img").all():
                img.scroll_into_view_if_needed()
            page.wait_for_function(
                "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
            assert problems == []
            assert page.locator(".card").count() == 8
            assert page.locator("#shown").text_content() == "showing 8 of 8"

            def visible(attr: str) -> list[str]:
                return page.eval_on_selector_all(
                    ".card:not([hidden])", f"cs => cs.map(c => c.getAttribute('{attr}'))")

            page.select_option("#sort", "ssim.ssim")
            page.select_option("#order", "desc")
            ssim = [json.loads(s).get("ssim.ssim") for s in visible("data-scores")]
            assert ssim == sorted(ssim, reverse=True) and len(set(ssim)) > 1
            page.select_option("#order", "asc")
            assert [json.loads(s).get("ssim.ssim") for s in visible("data-scores")] == \
                sorted(ssim)
            page.select_option("#filter", "status:failed")
            assert visible("data-status") == ["failed", "failed"]
            assert page.locator("#shown").text_content() == "showing 2 of 8"
            page.select_option("#filter", "round:no_svg")
            assert sorted(visible("data-id")) == ["icon-mountain", "icon-star"]
        finally:
            browser.close()


def degenerate_run(tmp_path: Path, metrics: int = 8, samples: int = 3) -> Path:
    """A run whose every metric value is the same for all samples, with long score names."""
    run = tmp_path / "run"
    store = RunStore(run)
    store.create(RunManifest(run_id="r", config_path="", config_hash="h", created_at=0,
                             visioncode_version="0", python="3", platform="p",
                             components=[]), {"dataset": {"path": str(tmp_path / "none")}})
    for i in range(samples):
        scores = {f"metric-{k}": Score(metric=f"metric-{k}",
                                       values={f"a_rather_long_value_name_{k}": 1.0})
                  for k in range(metrics)}
        store.append(SampleRecord(sample_id=f"s{i}", status="ok", scores=scores,
                                  rounds=[RoundRecord(round=0, scores=scores)]))
    return run


def test_degenerate_distributions_are_one_line_each(tmp_path: Path) -> None:
    page = write_report(degenerate_run(tmp_path)).read_text()
    assert "<svg xmlns" not in page.split("id='gallery-section'")[0]
    assert "<b>metric-3.a_rather_long_value_name_3</b>: all 3 values are 1</li>" in page


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no system Chromium (scripts/setup.d/50-ray.sh installs Debian's chromium)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (scripts/setup.d)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.slow
def test_report_layout_in_chromium(run_dir: Path, tmp_path: Path, browser) -> None:
    """Opened sorted high to low by a score; every score row inside its card, even in a
    narrow window; a thumbnail enlarges on a click; a run of degenerate distributions
    shows its gallery on the first screen."""
    page = browser.new_page(viewport={"width": 560, "height": 900})
    try:
        page.goto(write_report(run_dir).as_uri())
        page.wait_for_load_state("load")
        key = page.eval_on_selector("#sort", "s => s.value")
        assert key != "id" and page.eval_on_selector("#order", "s => s.value") == "desc"
        values = [json.loads(x).get(key) for x in page.eval_on_selector_all(
            ".card:not([hidden])", "cs => cs.map(c => c.getAttribute('data-scores'))")]
        scored = [v for v in values if v is not None]
        assert scored == sorted(scored, reverse=True) and len(set(scored)) > 1
        overflow = page.eval_on_selector_all(".card", """cs => cs.filter(c => {
            const box = c.getBoundingClientRect();
            return c.scrollWidth > c.clientWidth + 1 || Array.from(
                c.querySelectorAll('.scores li')).some(li => {
                    const r = li.getBoundingClientRect();
                    return r.right > box.right + 0.5 || r.left < box.left - 0.5; });
            }).map(c => c.getAttribute('data-id'))""")
        assert overflow == []
        img = page.locator(".card figure img").first
        img.scroll_into_view_if_needed()
        small = img.bounding_box()
        img.click()
        big = img.bounding_box()
        assert small and big and small["width"] <= 160 and big["width"] >= 300
        img.click()
        again = img.bounding_box()
        assert again and again["width"] == small["width"]
    finally:
        page.close()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(write_report(degenerate_run(tmp_path)).as_uri())
        page.wait_for_load_state("load")
        top = page.eval_on_selector("#gallery-section", "e => e.getBoundingClientRect().top")
        assert top < 800  # above the fold (old: one 160 px histogram per value)
    finally:
        page.close()
