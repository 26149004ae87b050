"""The anchor grid's geometry: cell labels <-> pixel boxes <-> scene coordinates.

Pure arithmetic (no Pillow, no Manim), shared by the `anchor-grid` prompter that draws
the grid and the `layout` critic that names the cells a fault is in, so both speak the
same cells. Columns are letters from the left (`A`, `B`, ..., `Z`, `AA`, ...), rows are
numbers from the top (`1`, `2`, ...): `D2` is the fourth column, second row.

Scene coordinates follow the metadata convention of docs/manim.md: a rendering whose
`metadata["scene_frame"]` is `{"x_min", "x_max", "y_min", "y_max"}` maps its pixel
(0, 0) to the scene's (x_min, y_max) and its bottom-right pixel corner to (x_min, y_min)
... (x_max, y_min): scene y grows upwards, pixel y downwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_LABEL = re.compile(r"^([A-Z]+)([1-9][0-9]*)$")


def column_label(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (spreadsheet style)."""
    if index < 0:
        raise ValueError(f"column index must be >= 0, got {index}")
    label = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        label = chr(ord("A") + rem) + label
    return label


def column_index(label: str) -> int:
    """A -> 0, Z -> 25, AA -> 26."""
    index = 0
    for ch in label:
        index = index * 26 + (ord(ch) - ord("A") + 1)
    return index - 1


@dataclass(frozen=True)
class SceneFrame:
    """The scene-space rectangle a picture shows."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> SceneFrame | None:
        """The `scene_frame` entry of a rendering's metadata, if it has a valid one."""
        raw = metadata.get("scene_frame")
        if not isinstance(raw, dict):
            return None
        try:
            frame = cls(*(float(raw[k]) for k in ("x_min", "x_max", "y_min", "y_max")))
        except (KeyError, TypeError, ValueError):
            return None
        if frame.x_max <= frame.x_min or frame.y_max <= frame.y_min:
            return None
        return frame

    def as_dict(self) -> dict[str, float]:
        return {"x_min": self.x_min, "x_max": self.x_max,
                "y_min": self.y_min, "y_max": self.y_max}


@dataclass(frozen=True)
class AnchorGrid:
    """A `columns` x `rows` grid over a `width` x `height` picture, optionally tied to
    the scene rectangle the picture shows."""

    width: int
    height: int
    columns: int = 8
    rows: int = 6
    scene: SceneFrame | None = None

    def __post_init__(self) -> None:
        if self.columns < 1 or self.rows < 1:
            raise ValueError("an anchor grid needs at least one column and one row")
        if self.width < 1 or self.height < 1:
            raise ValueError("an anchor grid needs a picture of at least 1x1 pixels")

    # -- cells ------------------------------------------------------------------------

    def labels(self) -> list[str]:
        """Every cell label, row by row from the top-left."""
        return [self.label(c, r) for r in range(self.rows) for c in range(self.columns)]

    def label(self, column: int, row: int) -> str:
        return f"{column_label(column)}{row + 1}"

    def parse(self, label: str) -> tuple[int, int]:
        """`D2` -> (column 3, row 1); ValueError for a label outside this grid."""
        m = _LABEL.match(label.strip().upper())
        if not m:
            raise ValueError(f"{label!r} is not a cell label such as 'B3'")
        column, row = column_index(m.group(1)), int(m.group(2)) - 1
        if not (0 <= column < self.columns and 0 <= row < self.rows):
            raise ValueError(f"cell {label!r} is outside the {self.columns}x{self.rows} grid "
                             f"(A1..{self.label(self.columns - 1, self.rows - 1)})")
        return column, row

    def cell_pixels(self, label: str) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of a cell in pixels (y downwards)."""
        column, row = self.parse(label)
        cw, ch = self.width / self.columns, self.height / self.rows
        return column * cw, row * ch, (column + 1) * cw, (row + 1) * ch

    def cell_center_pixels(self, label: str) -> tuple[float, float]:
        x0, y0, x1, y1 = self.cell_pixels(label)
        return (x0 + x1) / 2, (y0 + y1) / 2

    def cell_at_pixel(self, x: float, y: float) -> str | None:
        """The cell holding pixel (x, y), or None outside the picture."""
        if not (0 <= x <= self.width and 0 <= y <= self.height):
            return None
        column = min(int(x * self.columns / self.width), self.columns - 1)
        row = min(int(y * self.rows / self.height), self.rows - 1)
        return self.label(column, row)

    def cells_in_pixel_box(self, x0: float, y0: float, x1: float, y1: float) -> list[str]:
        """Labels of the cells a pixel box touches (clipped to the picture)."""
        x0, x1 = max(0.0, min(x0, x1)), min(float(self.width), max(x0, x1))
        y0, y1 = max(0.0, min(y0, y1)), min(float(self.height), max(y0, y1))
        if x0 > x1 or y0 > y1:
            return []
        eps = 1e-9
        c0 = min(int(x0 * self.columns / self.width), self.columns - 1)
        c1 = min(int(max(x1 - eps, x0) * self.columns / self.width), self.columns - 1)
        r0 = min(int(y0 * self.rows / self.height), self.rows - 1)
        r1 = min(int(max(y1 - eps, y0) * self.rows / self.height), self.rows - 1)
        return [self.label(c, r) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]

    def span(self, cells: list[str]) -> str:
        """A short name for a set of cells: `B2`, or the rectangle `B2-D3`."""
        if not cells:
            return "outside the frame"
        if len(cells) == 1:
            return cells[0]
        parsed = [self.parse(c) for c in cells]
        cols = [c for c, _ in parsed]
        rows = [r for _, r in parsed]
        return f"{self.label(min(cols), min(rows))}-{self.label(max(cols), max(rows))}"

    # -- scene coordinates -------------------------------------------------------------

    def _need_scene(self) -> SceneFrame:
        if self.scene is None:
            raise ValueError("this grid has no scene frame (metadata['scene_frame'])")
        return self.scene

    def pixel_to_scene(self, x: float, y: float) -> tuple[float, float]:
        s = self._need_scene()
        return (s.x_min + x / self.width * (s.x_max - s.x_min),
                s.y_max - y / self.height * (s.y_max - s.y_min))

    def scene_to_pixel(self, x: float, y: float) -> tuple[float, float]:
        s = self._need_scene()
        return ((x - s.x_min) / (s.x_max - s.x_min) * self.width,
                (s.y_max - y) / (s.y_max - s.y_min) * self.height)

    def cell_scene(self, label: str) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) of a cell in scene units."""
        x0, y0, x1, y1 = self.cell_pixels(label)
        sx0, sy1 = self.pixel_to_scene(x0, y0)
        sx1, sy0 = self.pixel_to_scene(x1, y1)
        return sx0, sy0, sx1, sy1

    def cell_center_scene(self, label: str) -> tuple[float, float]:
        return self.pixel_to_scene(*self.cell_center_pixels(label))

    def cell_at_scene(self, x: float, y: float) -> str | None:
        return self.cell_at_pixel(*self.scene_to_pixel(x, y))

    # -- legend -------------------------------------------------------------------------

    def legend(self) -> str:
        """What a model needs to cite cells and turn them into coordinates."""
        last = self.label(self.columns - 1, self.rows - 1)
        lines = [
            f"Anchor grid: {self.columns} columns A..{column_label(self.columns - 1)} "
            f"(left to right) x {self.rows} rows 1..{self.rows} (top to bottom), cells "
            f"A1..{last}, over a {self.width}x{self.height} pixel picture.",
        ]
        if self.scene is not None:
            s = self.scene
            lines.append(
                f"Scene coordinates: x {s.x_min:.2f}..{s.x_max:.2f} (left to right), "
                f"y {s.y_max:.2f}..{s.y_min:.2f} (top to bottom); a cell is "
                f"{(s.x_max - s.x_min) / self.columns:.2f} x "
                f"{(s.y_max - s.y_min) / self.rows:.2f} scene units. Cell centres:")
            for r in range(self.rows):
                row = []
                for c in range(self.columns):
                    label = self.label(c, r)
                    x, y = self.cell_center_scene(label)
                    row.append(f"{label}=({x:.2f}, {y:.2f})")
                lines.append("  " + " ".join(row))
        else:
            cw, ch = self.width / self.columns, self.height / self.rows
            lines.append(f"Each cell is {cw:.0f}x{ch:.0f} pixels; cell centres in pixels:")
            for r in range(self.rows):
                row = []
                for c in range(self.columns):
                    label = self.label(c, r)
                    x, y = self.cell_center_pixels(label)
                    row.append(f"{label}=({x:.0f}, {y:.0f})")
                lines.append("  " + " ".join(row))
        return "\n".join(lines)

    def marks(self) -> list[dict[str, Any]]:
        """One entry per cell: its label, pixel box and (when known) scene box."""
        out = []
        for label in self.labels():
            mark: dict[str, Any] = {"label": label,
                                    "pixels": [round(v, 2) for v in self.cell_pixels(label)]}
            if self.scene is not None:
                mark["scene"] = [round(v, 4) for v in self.cell_scene(label)]
            out.append(mark)
        return out
