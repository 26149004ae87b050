"""Design2Code's scores: the formulas on hand-made blocks, and the metric on real renders
against a reference page rendered (once, cached) through the browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from visioncode import ComponentContext, Execution, RoundRecord, Sample
from visioncode_html.blocks import (
    Block,
    color_similarity,
    match_blocks,
    normalised,
    position_similarity,
)
from visioncode_html.design2code import Design2Code
from visioncode_html.renderers import ChromiumRenderer


def block(text: str, x: float = 0.1, y: float = 0.1, w: float = 0.2, h: float = 0.1,
          color: tuple[float, float, float] = (0, 0, 0)) -> Block:
    return Block(text, x, y, w, h, color)


def test_identical_blocks_score_one() -> None:
    blocks = [block("Title", 0.1, 0.1), block("Body text", 0.1, 0.5, color=(200, 0, 0))]
    m = match_blocks(blocks, list(blocks))
    assert (m.block_match, m.text, m.position, m.color) == (1.0, 1.0, 1.0, 1.0)


def test_position_is_one_minus_chebyshev_distance_of_centres() -> None:
    a, b = block("x", 0.1, 0.1), block("x", 0.4, 0.2)  # centres 0.3 apart in x, 0.1 in y
    assert position_similarity(a, b) == pytest.approx(0.7)
    assert match_blocks([a], [b]).position == pytest.approx(0.7)


def test_color_is_ciede2000_similarity() -> None:
    assert color_similarity((10, 20, 30), (10, 20, 30)) == 1.0
    # black vs white: CIEDE2000 is 100, so the similarity is 0
    assert color_similarity((0, 0, 0), (255, 255, 255)) == pytest.approx(0.0, abs=1e-6)
    near = color_similarity((255, 0, 0), (200, 0, 0))  # red, darker red
    far = color_similarity((255, 0, 0), (0, 0, 255))  # red, blue
    assert 0 < far < near < 1


def test_missing_and_extra_blocks_lower_block_match() -> None:
    ref = [block("Welcome", w=0.2, h=0.1), block("Sign in", w=0.2, h=0.1)]
    pred = [block("Welcome!", w=0.2, h=0.1), block("Something else entirely", w=0.2, h=0.1)]
    m = match_blocks(pred, ref)
    # one match: its two blocks' areas over all four blocks' areas
    assert m.block_match == pytest.approx(0.5)
    assert m.text == pytest.approx(2 * 7 / 15)  # SequenceMatcher ratio of the match
    assert m.unmatched_reference == ["Sign in"]
    assert m.unmatched_prediction == ["Something else entirely"]


def test_hungarian_assignment_beats_greedy() -> None:
    """Greedy would pair 'abcd' with 'abce' (0.75) first and leave 'abce' with 'xbcx';
    the assignment maximises the total instead."""
    pred = [block("abcd"), block("abce")]
    ref = [block("abce"), block("abcf")]
    m = match_blocks(pred, ref)
    assert sorted((p["prediction"], p["reference"]) for p in m.pairs) == [
        ("abcd", "abcf"), ("abce", "abce")]


def test_no_blocks() -> None:
    assert match_blocks([], []).block_match == 1.0
    m = match_blocks([], [block("a")])
    assert (m.block_match, m.text) == (0.0, 0.0)


def test_normalised_boxes() -> None:
    [b] = normalised([{"text": "t", "box": [10, 20, 50, 40], "color": [1, 2, 3]}], 100, 200)
    assert (b.x, b.y, b.w, b.h, b.color) == (0.1, 0.1, 0.5, 0.2, (1.0, 2.0, 3.0))


REFERENCE = """<body style="margin:0;font-family:sans-serif">
<h1 style="color:#1565c0">Quarterly report</h1><p>Revenue grew by twelve percent.</p>
<p style="color:#2e7d32">All targets met.</p></body>"""


@pytest.mark.parametrize("prediction,expect", [
    (REFERENCE, {"block_match": 1.0, "text": 1.0, "position": 1.0, "color": 1.0}),
    ("""<body style="margin:0;font-family:sans-serif">
     <h1 style="color:#c62828">Quarterly report</h1>
     <p style="margin-top:120px">Revenue grew by 12 percent.</p></body>""", None),
])
def test_metric_on_renders(executor, chromium: ChromiumRenderer, tmp_path: Path,
                           prediction: str, expect: dict | None) -> None:
    reference = tmp_path / "reference.html"
    reference.write_text(REFERENCE)
    sample = Sample(id="s", reference_program=reference)
    ex = executor.execute(prediction, tmp_path / "exec")
    from visioncode import RenderSpec

    rendering = chromium.render(ex, RenderSpec(width=480, height=360), tmp_path / "render")
    result = RoundRecord(round=0, execution=ex, rendering=rendering)
    metric = Design2Code(context=ComponentContext(name="design2code", cache_dir=tmp_path / "c"))
    try:
        score = metric.score(sample, result)
        again = metric.score(sample, result)  # the reference's blocks come from the cache
    finally:
        metric.close()
    assert score.values == again.values
    assert len(list((tmp_path / "c" / "design2code").glob("*.json"))) == 1
    if expect is not None:
        assert {k: score.values[k] for k in expect} == pytest.approx(expect)
        return
    v = score.values
    assert v["block_match"] is not None and 0.5 < v["block_match"] < 1.0  # a block missing
    title = next(m for m in score.details["matches"] if m["reference"] == "Quarterly report")
    assert title["text"] == 1.0 and title["color"] < 0.7  # the title is red, not blue
    assert v["color"] is not None and v["color"] < 1.0
    assert v["position"] is not None and v["position"] < 1.0  # the paragraph moved down
    assert score.details["missing"] == ["All targets met."]


def test_metric_failure_policies(tmp_path: Path) -> None:
    reference = tmp_path / "r.html"
    reference.write_text("<p>x</p>")
    sample = Sample(id="s", reference_program=reference)
    failed = RoundRecord(round=0, status="timeout",
                         execution=Execution(status="timeout", program="x"))
    worst = Design2Code().score(sample, failed)
    assert worst.values["overall"] == 0.0 and worst.rendered is False
    excluded = Design2Code(Design2Code.Options(failure_policy="exclude")).score(sample, failed)
    assert excluded.values["overall"] is None
    no_ref = Design2Code().score(Sample(id="s"), failed)
    assert "no reference_program" in no_ref.details["error"]
