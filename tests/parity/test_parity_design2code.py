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
