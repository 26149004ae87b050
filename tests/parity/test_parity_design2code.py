"""Design2Code's protocol end to end against the original code on six page pairs
(identical, text changed, a block moved, colours changed, a block missing, a different
page): clean-up, 1280 x 720 full-page Chromium screenshots, inked-pixel blocks of
colour-coded text, merging and scoring. Rendering differs in the details (the browser
worker's page setup against Playwright's defaults), hence 0.01."""

from __future__ import annotations

import pytest
from parity_cases import CASES, run


@pytest.mark.slow
def test_design2code_protocol_matches_visual_eval_v3_multi() -> None:
    case = next(c for c in CASES if c.name == "design2code-pages")
    expected, actual, worst = run(case)
    assert worst <= case.tolerance, {k: (expected[k], actual[k]) for k in expected
                                     if abs(expected[k] - actual[k]) > 1e-9}


@pytest.mark.parametrize(("policy", "value"), [("worst", 0.0), ("exclude", None)])
def test_protocol_scores_a_round_that_did_not_render_by_the_policy(
        tmp_path, policy: str, value: float | None) -> None:
    from visioncode import ComponentContext, RoundRecord, Sample
    from visioncode_html.design2code import Design2Code

    reference = tmp_path / "reference.html"
    reference.write_text("<html><body><p>hello</p></body></html>")
    metric = Design2Code(Design2Code.Options(protocol="design2code", failure_policy=policy),
                         ComponentContext(name="design2code", cache_dir=tmp_path / "cache"))
    score = metric.score(Sample(id="s", reference_program=reference),
                         RoundRecord(round=0, status="render_error", reason="crashed"))
    assert not score.rendered
    assert score.values == dict.fromkeys(("block_match", "text", "position", "color",
                                          "overall"), value)
    assert score.details["reason"] == "not rendered"
    assert not (tmp_path / "cache").exists()  # nothing rendered, nothing cached


def test_no_text_on_either_page_scores_zero_as_the_original() -> None:
    from visioncode_html.design2code_protocol import score_blocks

    page = [{"text": "hello", "bbox": (0.1, 0.1, 0.2, 0.05), "color": (0, 0, 0)}]
    for prediction, reference in (([], page), (page, []), ([], [])):
        scores = score_blocks(prediction, reference)
        assert {k: scores[k] for k in ("block_match", "text", "position", "color")} == \
            dict.fromkeys(("block_match", "text", "position", "color"), 0.0)
        assert "no text block" in scores["reason"]
