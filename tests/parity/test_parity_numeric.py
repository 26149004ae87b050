"""visioncode's metrics against the values their papers' code computed on the same inputs
(tests/parity/data, written by run_originals.py with the repository and commit named)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from parity_cases import CASES, Case, run


#: chartmimic needs no torch: test_parity_chartmimic.py runs it.
@pytest.mark.parametrize("case", [c for c in CASES if not c.slow and c.name != "chartmimic"],
                         ids=lambda c: c.name)
def test_metric_matches_the_original_code(case: Case) -> None:
    if case.name == "svg-code-tokens":
        from visioncode_metrics.tokenizers import TokenizerError, load_encoding

        try:
            load_encoding("cl100k_base", None)
        except TokenizerError as exc:
            pytest.skip(f"cl100k_base not installed (scripts/setup fetches it): {exc}")
    expected, actual, worst = run(case)
    assert worst <= case.tolerance, {k: (expected[k], actual[k]) for k in expected}
