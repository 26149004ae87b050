"""The `set-of-marks` visual prompter: numbered boxes on the interactive elements of a
rendered page, and a legend a model can cite ("click [3]").

The elements come from the renderer, not from pixels: `chromium` puts them in
`Rendering.metadata["interactive"]` as `{tag, type, role, text, selector, box}` with
`box = [x, y, width, height]` in image pixels (see `renderers.py`). Any renderer that
fills that key works with this prompter.

With `grid` set, an anchor grid is drawn too (columns A, B, ... left to right, rows 1, 2,
... top to bottom) and each mark's legend line names the cell of its centre, so a critic
can say "move the button from B2 to D2" as with Manim scenes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from pydantic import Field

from visioncode import ComponentOptions, PromptedImage, Rendering, VisualPrompter

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#008080", "#9a6324",
           "#800000", "#000075", "#f032e6"]


class SetOfMarksOptions(ComponentOptions):
    """How marks and the optional grid are drawn."""

    max_marks: int = Field(60, ge=1, le=500, description="most elements marked (document "
                           "order); the legend says how many were left out")
    line_width: int = Field(2, ge=1, le=10, description="box outline width in pixels")
    font_size: int = Field(12, ge=6, le=64, description="label font size in pixels")
    grid: int | None = Field(None, ge=2, le=26, description="draw an anchor grid with this "
                             "many columns (rows follow the aspect ratio); None: no grid")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(FONT, size)
    except OSError:
        return ImageFont.load_default()


def grid_shape(width: int, height: int, columns: int) -> tuple[int, int]:
    """(columns, rows) of square-ish cells covering the image."""
    rows = max(1, round(columns * height / width))
    return columns, rows


def cell_of(x: float, y: float, width: int, height: int, columns: int, rows: int) -> str:
    col = min(columns - 1, max(0, int(x * columns / width)))
    row = min(rows - 1, max(0, int(y * rows / height)))
    return f"{chr(ord('A') + col)}{row + 1}"


class SetOfMarks(VisualPrompter):
    """Numbers every interactive element of a rendered page with a coloured box and
    lists number -> element (tag, text, selector, box), so a model can name the element
    an action targets instead of guessing coordinates."""

    Options = SetOfMarksOptions
    options: SetOfMarksOptions

    def prompt(self, rendering: Rendering, workdir: Path) -> PromptedImage:
        if rendering.image is None:
            raise ValueError("set-of-marks needs a rendered image")
        elements: list[dict[str, Any]] = list(rendering.metadata.get("interactive", []))
        with Image.open(rendering.image) as im:
            image = im.convert("RGB")
        width, height = image.size
        draw = ImageDraw.Draw(image)
        font = _font(self.options.font_size)
        lines: list[str] = []
        grid = None
        if self.options.grid:
            grid = grid_shape(width, height, self.options.grid)
            self._draw_grid(draw, width, height, *grid, font)
            lines.append(f"Anchor grid: columns A-{chr(ord('A') + grid[0] - 1)} left to right, "
                         f"rows 1-{grid[1]} top to bottom.")
        shown = [e for e in elements if e.get("box") and e["box"][2] > 0 and e["box"][3] > 0]
        marks = []
        for number, element in enumerate(shown[: self.options.max_marks], 1):
            x, y, w, h = (float(v) for v in element["box"])
            color = PALETTE[(number - 1) % len(PALETTE)]
            draw.rectangle([x, y, x + w - 1, y + h - 1], outline=color,
                           width=self.options.line_width)
            label = str(number)
            left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
            lw, lh = right - left + 4, bottom - top + 4
            lx = min(max(0.0, x), width - lw)
            ly = y - lh if y - lh >= 0 else y
            draw.rectangle([lx, ly, lx + lw, ly + lh], fill=color)
            draw.text((lx + 2 - left, ly + 2 - top), label, fill="white", font=font)
            mark = {"id": number, "tag": element.get("tag"), "text": element.get("text", ""),
                    "selector": element.get("selector"), "box": [round(v, 1) for v in (x, y, w, h)]}
            where = ""
            if grid:
                mark["cell"] = cell_of(x + w / 2, y + h / 2, width, height, *grid)
                where = f" in cell {mark['cell']}"
            marks.append(mark)
            kind = element.get("tag") or "element"
            if element.get("type"):
                kind += f"[type={element['type']}]"
            if element.get("role"):
                kind += f"[role={element['role']}]"
            lines.append(f"[{number}] {kind} {mark['text']!r} selector {mark['selector']} "
                         f"box ({x:.0f}, {y:.0f}, {w:.0f}, {h:.0f}){where}")
        if not shown:
            lines.append("No interactive elements on this screen.")
        elif len(shown) > len(marks):
            lines.append(f"({len(shown) - len(marks)} more interactive elements not marked)")
        out = Path(workdir) / "set-of-marks.png"
        image.save(out)
        return PromptedImage(image=out, legend="\n".join(lines), marks=marks)

    @staticmethod
    def _draw_grid(draw: ImageDraw.ImageDraw, width: int, height: int, columns: int,
                   rows: int, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> None:
        for c in range(1, columns):
            x = c * width / columns
            draw.line([x, 0, x, height], fill=(128, 128, 128), width=1)
        for r in range(1, rows + 1):
            y = r * height / rows
            if r < rows:
                draw.line([0, y, width, y], fill=(128, 128, 128), width=1)
        for c in range(columns):
            for r in range(rows):
                draw.text((c * width / columns + 2, r * height / rows + 1),
                          f"{chr(ord('A') + c)}{r + 1}", fill=(110, 110, 110), font=font)
