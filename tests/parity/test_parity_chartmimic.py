"""visioncode's `chartmimic` against ChartMimic's own evaluators (tests/parity/data/
chartmimic.json, written by run_originals.py) on program pairs of examples/chart2code:
identical, recoloured (bars, lines, pie), a missing panel and changed text."""

from __future__ import annotations

import pytest

pytest.importorskip("visioncode_plot")

from parity_cases import CASES, run


def test_chartmimic_matches_chartmimics_evaluators() -> None:
    [case] = [c for c in CASES if c.name == "chartmimic"]
    expected, actual, worst = run(case)
    assert worst <= case.tolerance, {k: (expected[k], actual[k]) for k in expected
                                     if abs(expected[k] - actual[k]) > case.tolerance}
    # The fixtures exercise each score: the recoloured pairs lose only colour, the missing
    # panel loses layout, the changed text loses text.
    assert expected["recoloured-bar/color/f1"] < 0.7 and expected["recoloured-bar/text/f1"] == 1
    assert expected["missing-panel/layout/f1"] < 1 and expected["changed-text/text/f1"] < 1
