"""The anchor grid's geometry: labels, cell <-> pixel <-> scene round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from visioncode_manim.grid import AnchorGrid, SceneFrame, column_index, column_label

MANIM = SceneFrame(-7.111, 7.111, -4.0, 4.0)


def test_column_labels_are_spreadsheet_style() -> None:
    assert [column_label(i) for i in (0, 1, 25, 26, 27, 51, 52)] == \
        ["A", "B", "Z", "AA", "AB", "AZ", "BA"]
    assert all(column_index(column_label(i)) == i for i in range(200))


def test_every_cell_round_trips_through_pixels_and_scene() -> None:
    grid = AnchorGrid(854, 480, columns=8, rows=6, scene=MANIM)
    assert len(grid.labels()) == 48 and grid.labels()[0] == "A1" and grid.labels()[-1] == "H6"
    for label in grid.labels():
        assert grid.cell_at_pixel(*grid.cell_center_pixels(label)) == label
        assert grid.cell_at_scene(*grid.cell_center_scene(label)) == label
        x0, y0, x1, y1 = grid.cell_scene(label)
        assert x0 < x1 and y0 < y1


def test_corners_and_orientation() -> None:
    grid = AnchorGrid(800, 600, columns=4, rows=3, scene=SceneFrame(-4, 4, -3, 3))
    assert grid.cell_at_scene(-3.9, 2.9) == "A1"      # top-left of the scene
    assert grid.cell_at_scene(3.9, -2.9) == "D3"      # bottom-right
    assert grid.cell_center_scene("B2") == pytest.approx((-1.0, 0.0))
    assert grid.cell_pixels("B2") == (200, 200, 400, 400)
    assert grid.cell_at_pixel(-1, 10) is None
    assert grid.span(grid.cells_in_pixel_box(150, 50, 450, 250)) == "A1-C2"


def test_bad_labels_are_refused_with_the_grid_named() -> None:
    grid = AnchorGrid(100, 100, columns=3, rows=2)
    with pytest.raises(ValueError, match="outside the 3x2 grid"):
        grid.parse("D1")
    with pytest.raises(ValueError, match="not a cell label"):
        grid.parse("12")
    assert grid.parse(" b2 ") == (1, 1)


def test_scene_frame_from_metadata() -> None:
    assert SceneFrame.from_metadata({"scene_frame": MANIM.as_dict()}) == MANIM
    assert SceneFrame.from_metadata({}) is None
    assert SceneFrame.from_metadata({"scene_frame": {"x_min": 1, "x_max": 0,
                                                     "y_min": 0, "y_max": 1}}) is None


@given(st.floats(-7.1, 7.1), st.floats(-3.99, 3.99),
       st.integers(1, 30), st.integers(1, 20))
def test_any_scene_point_lies_in_the_cell_it_is_named_for(x: float, y: float,
                                                          cols: int, rows: int) -> None:
    grid = AnchorGrid(1280, 720, cols, rows, SceneFrame(-7.111, 7.111, -4.0, 4.0))
    label = grid.cell_at_scene(x, y)
    assert label is not None
    x0, y0, x1, y1 = grid.cell_scene(label)
    assert x0 - 1e-6 <= x <= x1 + 1e-6 and y0 - 1e-6 <= y <= y1 + 1e-6
    px, py = grid.scene_to_pixel(x, y)
    assert grid.pixel_to_scene(px, py) == pytest.approx((x, y))
