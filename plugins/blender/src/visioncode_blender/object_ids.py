"""The `object-ids` visual prompter: each object's name on the render, at its box.

Reads the projected boxes the Blender renderers record in `Rendering.metadata["objects"]`
(see `renderers`), draws each box and a name tag, and writes a legend a critic can cite
("move Cube.002 left"). Pillow only; nothing is re-rendered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from pydantic import Field

from visioncode import ComponentOptions, PromptedImage, Rendering, VisualPrompter

#: Distinct, readable tag colours (cycled).
PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
           "#9a6324", "#800000", "#469990", "#000075", "#808000")


class ObjectIdsOptions(ComponentOptions):
    boxes: bool = Field(True, description="draw each object's box as well as its name")
    max_objects: int = Field(40, ge=1, description="most objects labelled (nearest first)")
    font_size: int = Field(0, ge=0, description="label size in pixels; 0 picks one from "
                           "the image height")
    skip: list[str] = Field(default_factory=list, description="object names not to label "
                            "(e.g. a ground plane that covers the whole frame)")


class ObjectIds(VisualPrompter):
    """Labels every object of a Blender render with its name, from the projected 2D boxes
    the renderer recorded, plus a legend with each box in pixels."""

    Options = ObjectIdsOptions
    options: ObjectIdsOptions

    def prompt(self, rendering: Rendering, workdir: Path) -> PromptedImage:
        if rendering.image is None:
            raise ValueError("object-ids: the rendering has no image to label")
        objects = rendering.metadata.get("objects")
        if objects is None:
            raise ValueError("object-ids: the rendering has no 'objects' boxes in its "
                             "metadata; use a Blender renderer (cycles, workbench, eevee)")
        chosen = [o for o in objects if o["name"] not in self.options.skip]
        chosen = sorted(chosen, key=lambda o: o.get("depth", 0))[: self.options.max_objects]
        with Image.open(rendering.image) as im:
            image = im.convert("RGBA")
        size = self.options.font_size or max(10, image.height // 28)
        font = ImageFont.load_default(size=size)
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        marks: list[dict[str, Any]] = []
        lines = ["Objects in the render (box in pixels: x0,y0 to x1,y1; origin top-left):"]
        for i, obj in enumerate(chosen):
            color = PALETTE[i % len(PALETTE)]
            x0, y0, x1, y1 = obj["box"]
            if self.options.boxes:
                draw.rectangle((x0, y0, x1, y1), outline=color, width=max(1, size // 8))
            label = obj["name"]
            left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
            tw, th = right - left + 6, bottom - top + 4
            # the tag sits at the box's top-left corner, kept inside the image
            tx = min(max(x0, 0), max(image.width - tw, 0))
            ty = min(max(y0 - th, 0), max(image.height - th, 0))
            draw.rectangle((tx, ty, tx + tw, ty + th), fill=color)
            draw.text((tx + 3 - left, ty + 2 - top), label, fill="white", font=font)
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            marks.append({"id": obj["name"], "type": obj.get("type"), "box": [x0, y0, x1, y1],
                          "center": [round(cx, 1), round(cy, 1)], "color": color})
            lines.append(f"- {obj['name']} ({obj.get('type', 'object').lower()}): "
                         f"{x0:.0f},{y0:.0f} to {x1:.0f},{y1:.0f}; centre {cx:.0f},{cy:.0f}")
        if not chosen:
            lines.append("- (no object is visible)")
        out = Path(workdir) / "object-ids.png"
        Image.alpha_composite(image, overlay).convert("RGB").save(out)
        return PromptedImage(image=out, legend="\n".join(lines), marks=marks)
