"""The scores as ChartMimic and Plot2Code define them, on hand-worked cases."""

from __future__ import annotations

import itertools
import random

import pytest

from visioncode_plot import scores
from visioncode_plot.colours import similarity
from visioncode_plot.trace import filter_colours


def test_text_is_a_multiset_match_over_both_sides() -> None:
    # 3 golden strings, 4 generated: "b" matched once, "a" once -> P 2/4, R 2/3
    s = scores.text_score(["a", "b", "b", "z"], ["a", "b", "c"])
    assert (s.precision, s.recall) == (0.5, pytest.approx(2 / 3))
    assert s.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert scores.text_score([], ["a"]).f1 == 0.0
    assert scores.text_score(["a"], []).f1 == 0.0


def test_layout_matches_each_axes_grid_cell() -> None:
    cell = {"nrows": 2, "ncols": 2, "row_start": 0, "row_end": 0, "col_start": 0,
            "col_end": 0}
    grid = [{**cell, "row_start": r, "row_end": r, "col_start": c, "col_end": c}
            for r in (0, 1) for c in (0, 1)]
    assert scores.layout_score(grid, grid).f1 == 1.0
    three = scores.layout_score(grid[:3], grid)  # a panel missing: P 1, R 3/4
    assert (three.precision, three.recall) == (1.0, 0.75)
    one_by_one = [{**cell, "nrows": 1, "ncols": 1}]
    assert scores.layout_score(one_by_one, grid).f1 == 0.0


def test_chart_type_counts_calls_with_min_per_function() -> None:
    s = scores.type_score({"Axes.bar": 3, "Axes.plot": 1}, {"Axes.bar": 2, "Axes.pie": 2})
    assert (s.precision, s.recall) == (0.5, 0.5)
    assert scores.type_score({}, {"Axes.bar": 1}).f1 == 0.0
    assert scores.type_score({"Axes.bar": 1}, {}).f1 == 0.0


def test_colour_similarity_is_one_minus_ciede2000_over_100() -> None:
    assert similarity("#FF0000", "#FF0000") == 1.0
    assert similarity("#000000", "#FFFFFF") == pytest.approx(0.0, abs=1e-6)  # dE2000 = 100
    near = similarity("#1F77B4", "#1F78B4")
    assert 0.99 < near < 1.0
    assert similarity("viridis", "viridis") == 1.0
    assert similarity("viridis", "magma") == 0.0
    assert similarity("viridis", "#440154") == 0.0


def test_colour_score_groups_by_function_and_pairs_one_to_one() -> None:
    golden = ["Axes.bar--#FF0000", "Axes.bar--#0000FF", "Axes.plot-line--#00FF00"]
    assert scores.colour_score(golden, golden).f1 == pytest.approx(1.0)
    # the same colours drawn by another function do not count
    moved = ["Axes.scatter--#FF0000", "Axes.bar--#0000FF", "Axes.plot-line--#00FF00"]
    s = scores.colour_score(moved, golden)
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(2 / 3)
    assert scores.colour_score([], golden).f1 == 0.0


def test_best_assignment_equals_chartmimics_search_over_permutations() -> None:
    """ChartMimic tries every permutation of the longer list; the Hungarian algorithm
    must find the same maximum."""
    rng = random.Random(7)
    for _ in range(20):
        a = [f"#{rng.randrange(1 << 24):06X}" for _ in range(rng.randint(1, 4))]
        b = [f"#{rng.randrange(1 << 24):06X}" for _ in range(rng.randint(1, 5))]
        shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
        brute = max(sum(similarity(x, y) for x, y in zip(shorter, perm, strict=True))
                    for perm in itertools.permutations(longer, len(shorter)))
        assert scores.best_assignment(a, b) == pytest.approx(brute)


def test_more_than_ten_colours_are_thinned_by_similarity() -> None:
    entries = [f"Axes.bar--#FF00{i:02X}" for i in range(12)] + ["Axes.bar--#00FF00"]
    kept = filter_colours(sorted(entries))
    assert "Axes.bar--#00FF00" in kept and len(kept) == 2  # near-identical reds collapse


def test_plot2code_text_match() -> None:
    golden = [("title", 0.5, 1.0), ("x", 0.5, 0.0), ("y", 0.0, 0.5)]
    assert scores.plot2code_text_match(golden, list(golden), [6, 4], [6, 4]) == 1.0
    # one text wrong, one extra: matched 2, unmatched 1 + 2 -> 2 / 5
    generated = [("title", 0.5, 1.0), ("x", 0.5, 0.0), ("why", 0.0, 0.5), ("extra", 1, 1)]
    assert scores.plot2code_text_match(golden, generated, [6, 4], [6, 4]) == 2 / 5
    # same text far away (position similarity below 0.8) does not match
    far = [("title", 500.0, 1.0)]
    assert scores.plot2code_text_match([("title", 0.5, 1.0)], far, None, None) == 0.0
    assert scores.plot2code_text_match([], [], None, None) == 1.0
