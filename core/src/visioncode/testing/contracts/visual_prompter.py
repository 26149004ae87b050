"""What every VisualPrompter promises: an annotated image of the rendering's size, under
the workdir, with something drawn on it, the original left untouched, and a legend a
model can cite."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import ClassVar

from ...rendering import PromptedImage, Rendering
from ..datasets import rendering_of, shape_image
from .base import ComponentContract


class VisualPrompterContract(ComponentContract):
    """Subclass and set `component` (and `options`). Override `rendering` when the
    prompter needs more than a still image (e.g. DOM boxes in `metadata`)."""

    kind = "visual_prompter"
    #: Sizes the prompter is tried on (width, height).
    sizes: ClassVar[tuple[tuple[int, int], ...]] = ((96, 64), (50, 120))

    def rendering(self, tmp_path: Path, size: tuple[int, int], transparent: bool) -> Rendering:
        """A successful rendering of a shape at `size`."""
        image = shape_image(tmp_path / f"render-{size[0]}x{size[1]}-{transparent}.png",
                            "circle", "#1f77b4", size, None if transparent else "#ffffff")
        return rendering_of(image)

    def test_annotates_at_the_rendering_size(self, subject: object, tmp_path: Path) -> None:
        from PIL import Image, ImageChops

        for i, size in enumerate(self.sizes):
            for transparent in (False, True):
                work = tmp_path / f"w{i}{transparent:d}"
                work.mkdir()
                rendering = self.rendering(tmp_path, size, transparent)
                assert rendering.image is not None
                before = hashlib.sha256(rendering.image.read_bytes()).hexdigest()
                prompted = self.call(subject, "prompt", rendering=rendering,  # type: ignore[arg-type]
                                     workdir=work)
                assert isinstance(prompted, PromptedImage)
                assert prompted.image.is_file()
                assert prompted.image.resolve().is_relative_to(work.resolve())
                assert hashlib.sha256(rendering.image.read_bytes()).hexdigest() == before, (
                    "the prompter modified the rendering's own image")
                with Image.open(prompted.image) as out, Image.open(rendering.image) as src:
                    assert out.size == src.size, f"{out.size} != {src.size}"
                    diff = ImageChops.difference(out.convert("RGB"), src.convert("RGB"))
                    assert diff.getbbox() is not None, "nothing was drawn"

    def test_legend_and_marks(self, subject: object, tmp_path: Path) -> None:
        prompted = self.call(subject, "prompt",  # type: ignore[arg-type]
                             rendering=self.rendering(tmp_path, self.sizes[0], False),
                             workdir=tmp_path)
        assert prompted.legend.strip(), "the legend is what the critic cites: not empty"
        json.dumps(prompted.marks)  # marks are recorded: plain JSON
