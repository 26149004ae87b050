"""The `anchor-grid` visual prompter: a labelled grid over a rendering, and a legend that
turns cell labels into pixel and scene coordinates.

A critic can then say "move the title from D2 to B2" and the coder can read B2's centre
off the legend. It works on any rendering (SVG, HTML, Blender, Manim): it needs Pillow
only, and never imports Manim. Scene coordinates come from the rendering's
`metadata["scene_frame"]` when present (see `grid.SceneFrame`); without it the legend is
in pixels.

A video's `PromptedImage` is one image, so for a rendering with keyframes the prompter
draws the grid on up to `max_frames` of them (first, last, and evenly spaced ones between)
and lays them out as a contact sheet, each panel captioned with its time and index. Where
the rendering says which keyframes end an animation (`metadata["keyframes"][i]["kind"]`
is `boundary`, `last` or `still`), only those are used: a video's first frame is
usually still blank.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from pydantic import Field

from visioncode import ComponentOptions, PromptedImage, Rendering, VisualPrompter

from .grid import AnchorGrid, SceneFrame


class AnchorGridOptions(ComponentOptions):
    columns: int = Field(8, ge=1, le=52, description="grid columns, labelled A, B, ... "
                         "from the left")
    rows: int = Field(6, ge=1, le=99, description="grid rows, labelled 1, 2, ... from the top")
    color: str = Field("#ff2060", description="colour of the grid lines and labels")
    line_width: int = Field(1, ge=1, le=8, description="grid line width in pixels")
    label_size: int = Field(0, ge=0, le=96, description="label font size in pixels; 0 "
                            "picks one from the cell size")
    max_frames: int = Field(6, ge=1, le=36, description="most keyframes of a video put on "
                            "the contact sheet (the first and last settled ones always "
                            "included)")
    sheet_columns: int = Field(3, ge=1, le=8, description="panels per row of the contact "
                               "sheet")


def pick_frames(count: int, most: int) -> list[int]:
    """Indexes of at most `most` of `count` frames: first, last, evenly spaced between."""
    if count <= most:
        return list(range(count))
    if most == 1:
        return [count - 1]
    return sorted({round(i * (count - 1) / (most - 1)) for i in range(most)})


def draw_grid(image: Image.Image, grid: AnchorGrid, color: str = "#ff2060",
              line_width: int = 1, label_size: int = 0) -> Image.Image:
    """A copy of `image` with the grid lines and a label in each cell's top-left corner."""
    out = image.convert("RGB")
    draw = ImageDraw.Draw(out)
    w, h = out.size
    cw, ch = w / grid.columns, h / grid.rows
    size = label_size or max(9, min(24, int(min(cw, ch) / 4)))
    font = ImageFont.load_default(size=size)
    for c in range(1, grid.columns):
        x = round(c * cw)
        draw.line([(x, 0), (x, h)], fill=color, width=line_width)
    for r in range(1, grid.rows):
        y = round(r * ch)
        draw.line([(0, y), (w, y)], fill=color, width=line_width)
    for r in range(grid.rows):
        for c in range(grid.columns):
            label = grid.label(c, r)
            x, y = round(c * cw) + 2, round(r * ch) + 1
            box = draw.textbbox((x, y), label, font=font)
            draw.rectangle(box, fill="#ffffff")
            draw.text((x, y), label, fill=color, font=font)
    return out


class AnchorGridPrompter(VisualPrompter):
    """Overlays a labelled grid (columns A.., rows 1..) on a rendering, or on a contact
    sheet of a video's keyframes, and returns a legend mapping every cell to pixel and,
    where the rendering says what scene it shows, scene coordinates."""

    Options = AnchorGridOptions
    options: AnchorGridOptions

    def grid_for(self, rendering: Rendering, width: int, height: int) -> AnchorGrid:
        return AnchorGrid(width, height, self.options.columns, self.options.rows,
                          SceneFrame.from_metadata(rendering.metadata))

    def prompt(self, rendering: Rendering, workdir: Path) -> PromptedImage:
        sources, captions = self._sources(rendering)
        if not sources:
            raise ValueError("the rendering has no image or keyframe to draw a grid on")
        workdir.mkdir(parents=True, exist_ok=True)
        o = self.options
        panels = []
        grid = None
        for path in sources:
            with Image.open(path) as im:
                grid = self.grid_for(rendering, *im.size)
                panels.append(draw_grid(im, grid, o.color, o.line_width, o.label_size))
        assert grid is not None
        out = workdir / "anchor-grid.png"
        if len(panels) == 1:
            panels[0].save(out)
            legend = grid.legend()
        else:
            self._sheet(panels, captions).save(out)
            legend = (f"Contact sheet of {len(panels)} keyframes ({', '.join(captions)}), "
                      "each with the same grid.\n" + grid.legend())
        marks: list[dict[str, Any]] = grid.marks()
        return PromptedImage(image=out, legend=legend, marks=marks)

    def _sources(self, rendering: Rendering) -> tuple[list[Path], list[str]]:
        frames = [Path(p) for p in rendering.frames]
        if not frames:
            return [Path(p) for p in rendering.images[:1]], ["image"]
        keyframes = rendering.metadata.get("keyframes")
        if not (isinstance(keyframes, list) and len(keyframes) == len(frames)):
            keyframes = [{} for _ in frames]
        times = [k.get("time_s") if isinstance(k, dict) else None for k in keyframes]
        # Settled states (the end of each animation) say most about the layout; a
        # video's very first frame is usually still blank (Write, Create at alpha 0).
        settled = [i for i, k in enumerate(keyframes) if isinstance(k, dict)
                   and k.get("kind") in ("boundary", "last", "still")]
        pool = settled or list(range(len(frames)))
        chosen = [pool[i] for i in pick_frames(len(pool), self.options.max_frames)]
        captions = [f"#{i + 1} t={times[i]:.1f}s" if isinstance(times[i], int | float)
                    else f"#{i + 1}" for i in chosen]
        return [frames[i] for i in chosen], captions

    def _sheet(self, panels: list[Image.Image], captions: list[str]) -> Image.Image:
        cols = min(self.options.sheet_columns, len(panels))
        rows = -(-len(panels) // cols)
        w = max(p.width for p in panels)
        h = max(p.height for p in panels)
        caption_h = 22
        gap = 6
        sheet = Image.new("RGB", (cols * (w + gap) + gap, rows * (h + caption_h + gap) + gap),
                          "#202020")
        draw = ImageDraw.Draw(sheet)
        font = ImageFont.load_default(size=16)
        for i, (panel, caption) in enumerate(zip(panels, captions, strict=True)):
            r, c = divmod(i, cols)
            x, y = gap + c * (w + gap), gap + r * (h + caption_h + gap)
            draw.text((x + 2, y + 2), caption, fill="#ffffff", font=font)
            sheet.paste(panel, (x, y + caption_h))
        return sheet
