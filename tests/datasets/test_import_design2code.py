"""`design2code`: a folder of N.html + N.png pairs and rick.jpg, as SALT-NLP publish
the test set; every pair becomes a screenshot2html sample, and the imported folder runs
with the screenshot2html example pipeline (Chromium renders the replayed pages)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.datasets.importing import card, do_import, replay_file, run_example
from tests.datasets.media import BLUE, RED, png
from visioncode.errors import DatasetError

PAGE = ("<!DOCTYPE html><html><body style='margin:0;background:{c}'>"
        "<h1>Page {n}</h1><img src='rick.jpg' width='20'></body></html>")


def published_testset(root: Path, n: int = 2) -> Path:
    """The layout of testset_final/ (github.com/NoviScl/Design2Code README)."""
    root.mkdir(parents=True)
    for k, colour in zip(range(1, n + 1), ["#e61414", "#1e28dc", "#20c020"], strict=False):
        (root / f"{k}.html").write_text(PAGE.format(c=colour, n=k))
        png(root / f"{k}.png", RED if k == 1 else BLUE, size=(64, 48))
    png(root / "rick.jpg", RED)  # the placeholder every page points at (a JPEG there)
    return root


def test_pairs_become_screenshot2html_samples(tmp_path: Path) -> None:
    src = published_testset(tmp_path / "testset_final", n=3)
    (src / "10.html").write_text(PAGE.format(c="#fff", n=10))
    png(src / "10.png", BLUE)
    samples = do_import("design2code", src, tmp_path / "d2c")
    assert [s.id for s in samples] == ["1", "2", "3", "10"]  # numeric order
    first = samples[0]
    assert first.image is not None and first.image.read_bytes() == (src / "1.png").read_bytes()
    assert first.reference_program is not None
    assert first.reference_program.read_text() == (src / "1.html").read_text()
    assert (first.reference_program.parent / "rick.jpg").is_file()  # beside the pages
    info = card(tmp_path / "d2c")
    assert info["format"] == "design2code" and info["samples"] == 4
    assert "ODC-By" in info["licence"] and "si2024design2code" in info["citation"]


def test_a_page_without_its_screenshot_fails_naming_it(tmp_path: Path) -> None:
    src = published_testset(tmp_path / "testset_final")
    (src / "3.html").write_text(PAGE.format(c="#fff", n=3))
    with pytest.raises(DatasetError, match=r"3.html \(pair 3\): no screenshot 3.png"):
        do_import("design2code", src, tmp_path / "d2c")
    assert not (tmp_path / "d2c").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".d2c")]  # no leftovers


def test_a_broken_screenshot_fails_with_its_pair(tmp_path: Path) -> None:
    src = published_testset(tmp_path / "testset_final")
    (src / "2.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(DatasetError, match=r"2.html \(pair 2\): image: .*not a readable image"):
        do_import("design2code", src, tmp_path / "d2c")
    assert not (tmp_path / "d2c").exists()


@pytest.mark.slow
def test_the_import_runs_with_the_screenshot2html_example(tmp_path: Path) -> None:
    src = published_testset(tmp_path / "testset_final")
    out = tmp_path / "d2c"
    samples = do_import("design2code", src, out)
    # The model answers each page as it is (without the placeholder, which the sandboxed
    # browser may not load anyway).
    answers = {s.id: "```html\n" + (src / f"{s.id}.html").read_text().replace(
        "<img src='rick.jpg' width='20'>", "") + "\n```" for s in samples}
    replay = replay_file(tmp_path / "replay.jsonl", answers)
    records = run_example("examples/screenshot2html/pipeline.toml", out, tmp_path / "run",
                          **{"model.options.path": str(replay)})
    assert sorted(r.sample_id for r in records) == ["1", "2"]
    for record in records:
        assert record.status == "ok", record.reason
        assert "design2code" in record.scores and "ssim" in record.scores
