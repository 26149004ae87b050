"""Every metric documented here has a page under docs/metrics/ that states its formula or
values, its source, its failure policy and its range, and the overview links resolve."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

PAGES = ROOT / "docs" / "metrics"
DOCUMENTED = ["render-success", "mse", "psnr", "ssim", "program-size", "siglip", "dinov2",
              "clip", "lpips", "teachquiz", "vlm-judge", "svg-code", "codevqa",
              "renderer-agreement"]


@pytest.mark.parametrize("name", DOCUMENTED)
def test_metric_page_states_formula_source_policy_and_range(name: str) -> None:
    text = (PAGES / f"{name}.md").read_text()
    assert text.startswith(f"# {name}\n")
    assert re.search(r"\*\*(Formula|Value|Values|What it measures)", text), name
    assert "**Source**" in text, name
    assert re.search(r"\*\*Failure policy\*\*", text), name
    assert re.search(r"\*\*Range\*\*|in \[", text), name


def test_overview_links_resolve() -> None:
    overview = (PAGES / "README.md").read_text()
    for target in re.findall(r"\]\(([\w./-]+\.md)(?:#[\w-]+)?\)", overview):
        assert (PAGES / target).resolve().is_file(), target
    for name in DOCUMENTED:
        assert f"({name}.md)" in overview
