"""Every SVG status, each produced by a real case in one full pipeline run (replayed model
answers, the real executor, cairosvg in its sandboxed worker, real metrics), and every
failure policy applied to those real failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visioncode import SampleRecord
from visioncode.config import load_config
from visioncode.runner import Runner
from visioncode.store import RunStore
from visioncode_svg import STATUSES, original_program, svg_status

from ..conftest import EXAMPLE, write_dataset

NS = 'xmlns="http://www.w3.org/2000/svg"'
FLAG = (EXAMPLE / "dataset" / "svg" / "icon-flag.svg").read_text()
# A model that ran out of tokens in the middle of a tag: closed safely, then renders.
# (No xmlns and an event handler, so sanitising changes it too.)
TRUNCATED = ('<svg viewBox="0 0 256 256">\n<g fill="#e63946" onclick="alert(1)">\n'
             '<rect x="58" y="44" width="140" height="40"/>\n<rect x="58" y="84" wid')
# Well-formed for the extractor's purposes, but not XML: `<g>` closed by `</svg>` first.
MISMATCHED = f'<svg {NS} viewBox="0 0 10 10"><g><rect width="5" height="5"></svg></g>'
# cairosvg recurses until RecursionError on a pattern that fills itself (resvg draws it).
SELF_PATTERN = (f'<svg {NS} viewBox="0 0 10 10"><pattern id="p" width="5" height="5" '
                'patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="url(#p)"/>'
                '</pattern><rect width="10" height="10" fill="url(#p)"/></svg>')


def slow_path(segments: int = 60_000) -> str:
    """About 0.5 MB, two elements: passes the sanitiser, takes cairosvg seconds."""
    pts = " ".join(f"L{(i * 37) % 1000} {(i * 91) % 1000}" for i in range(segments))
    return (f'<svg {NS} viewBox="0 0 1000 1000"><path d="M0 0 {pts}" stroke="black" '
            'stroke-width="3" fill="none"/></svg>')


ANSWERS = {
    "icon-flag": f"Here is the flag:\n```svg\n{FLAG}```",          # ok
    "icon-heart": f"```svg\n{TRUNCATED}",                           # repaired
    "icon-house": "I am sorry, I cannot draw houses.",              # no_svg
    "icon-star": MISMATCHED,                                        # parse_error
    "icon-sun": SELF_PATTERN,                                       # render_error
    "icon-target": slow_path(),                                     # timeout
}
EXPECTED = {"icon-flag": "ok", "icon-heart": "repaired", "icon-house": "no_svg",
            "icon-star": "parse_error", "icon-sun": "render_error", "icon-target": "timeout"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("statuses")
    dataset = write_dataset(tmp / "data", ids=sorted(ANSWERS))
    replay = tmp / "answers.jsonl"
    replay.write_text("".join(json.dumps({"sample_id": k, "text": v}) + "\n"
                              for k, v in ANSWERS.items()))
    config = tmp / "pipeline.toml"
    config.write_text(f"""
[task]
name = "img2svg"
[dataset]
path = "{dataset}"
[model]
use = "replay"
options = {{ path = "{replay}" }}
[executor]
use = "svg"
[renderer]
use = "cairosvg"
[renderer.options.limits]
wall_time_s = 1.5
memory_mb = 1024
[render]
width = 128
height = 128
[[metrics]]
use = "render-success"
[[metrics]]
use = "mse"
options = {{ failure_policy = "worst" }}
[[metrics]]
use = "psnr"
options = {{ failure_policy = "blank" }}
[[metrics]]
use = "ssim"
options = {{ failure_policy = "exclude" }}
""")
    out = tmp / "run"
    Runner(load_config(config), out, workers=2).run(console="quiet")
    return out


@pytest.fixture(scope="module")
def records(run_dir: Path) -> dict[str, SampleRecord]:
    return {r.sample_id: r for r in RunStore(run_dir).load()}


def test_every_status_comes_from_a_real_case(records: dict[str, SampleRecord]) -> None:
    got = {sid: svg_status(r.rounds[0]) for sid, r in records.items()}
    assert got == EXPECTED
    # `unsafe` needs the strict executor (on_unsafe = "fail"): tests/security/test_svg_strict.py
    assert set(got.values()) == set(STATUSES) - {"unsafe"}


def test_core_statuses_and_reasons(records: dict[str, SampleRecord]) -> None:
    rounds = {sid: r.rounds[0] for sid, r in records.items()}
    assert rounds["icon-flag"].status == "ok"
    assert rounds["icon-heart"].status == "repaired"  # rendered after a repair
    assert "closed" in (rounds["icon-heart"].reason or "")
    assert rounds["icon-house"].status == "no_svg"
    assert rounds["icon-star"].status == "parse_error"
    assert "line 1" in (rounds["icon-star"].reason or "")
    assert rounds["icon-sun"].status == "render_error"
    assert "RecursionError" in (rounds["icon-sun"].reason or "")
    assert rounds["icon-target"].status == "timeout"
    assert "within 1.5s" in (rounds["icon-target"].reason or "")
    for sid, r in records.items():
        assert r.status == ("ok" if EXPECTED[sid] in ("ok", "repaired") else "failed"), sid
        assert r.error is None  # a failed program is a result, not a framework error


def test_raw_extracted_repaired_and_sanitised_programs_are_kept_apart(
    records: dict[str, SampleRecord],
) -> None:
    heart = records["icon-heart"].rounds[0]
    assert heart.completion is not None and heart.completion.text == ANSWERS["icon-heart"]
    assert heart.extraction is not None and heart.extraction.status == "repaired"
    extracted = original_program(heart.extraction)
    assert extracted == TRUNCATED  # as found in the output, before the repair
    repaired = heart.extraction.program
    assert repaired is not None and repaired != extracted
    assert repaired.endswith("</g></svg>") and 'wid</g>' not in repaired
    assert any("closed 2 unclosed" in n for n in heart.extraction.notes)
    sanitised = heart.execution.program if heart.execution else ""
    assert 'xmlns="http://www.w3.org/2000/svg"' in sanitised and "onclick" not in sanitised
    assert "onclick" in repaired
    flag = records["icon-flag"].rounds[0]
    assert flag.extraction is not None and original_program(flag.extraction) == FLAG.strip()


def test_renderer_name_and_version_in_every_rendering(
    records: dict[str, SampleRecord],
) -> None:
    for sid in ("icon-flag", "icon-heart", "icon-sun", "icon-target"):
        rendering = records[sid].rounds[0].rendering
        assert rendering is not None and rendering.renderer == "cairosvg", sid
        assert rendering.renderer_version.startswith("cairosvg"), (sid, rendering)


def test_every_failure_policy_on_real_failures(records: dict[str, SampleRecord]) -> None:
    failed = [sid for sid, status in EXPECTED.items() if status not in ("ok", "repaired")]
    for sid in failed:
        scores = records[sid].scores
        assert scores["render-success"].values["render_success"] == 0.0
        assert scores["mse"].values["mse"] == 1.0 and scores["mse"].policy == "worst"
        # blank: the reference against a white canvas, a real (finite) comparison
        psnr = scores["psnr"]
        assert psnr.policy == "blank" and not psnr.rendered
        assert 0 < (psnr.values["psnr"] or 0) < 40
        assert scores["ssim"].values["ssim"] is None and scores["ssim"].policy == "exclude"
    assert records["icon-flag"].scores["mse"].values["mse"] == pytest.approx(0, abs=1e-3)


def test_summary_reports_success_rate_and_exclusions(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["success_rate"] == pytest.approx(2 / 6)
    assert summary["statuses"] == {"no_svg": 1, "ok": 1, "parse_error": 1, "render_error": 1,
                                   "repaired": 1, "timeout": 1}
    ssim = next(m for m in summary["metrics"] if m["metric"] == "ssim")
    assert ssim["n"] == 2 and ssim["excluded"] == 4 and ssim["policy"] == "exclude"
    mse = next(m for m in summary["metrics"] if m["metric"] == "mse")
    assert mse["n"] == 6 and mse["excluded"] == 0
