"""What every Renderer promises: the RenderSpec's size and background are honoured, bad
input is a failed Rendering (never an exception), and the render says which engine and
version made it."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from ...execution import Execution
from ...rendering import Rendering, RenderSpec
from ..datasets import pixel_colours
from .base import ComponentContract

#: Largest per-channel difference still counted as "the same colour" (antialiasing and
#: colour management may move a channel by a step or two).
TOLERANCE = 3


class RendererContract(ComponentContract):
    """Subclass and set `component`; implement `execution` (a program that draws) and
    `empty_execution` (one that draws nothing). The executions are what this renderer's
    executor would produce, e.g. `{"svg": path}` artifacts for an SVG renderer."""

    kind = "renderer"
    #: Artifact roles this renderer reads; the default `broken_execution` fills each
    #: with bytes no engine can parse.
    artifact_roles: ClassVar[tuple[str, ...]] = ()
    #: False for an engine that cannot render a transparent background (say why in
    #: `no_transparency_reason`).
    supports_transparency: ClassVar[bool] = True
    no_transparency_reason: ClassVar[str] = ""

    def execution(self, workdir: Path) -> Execution:
        """A successful execution of a program that draws something."""
        pytest.fail(f"{type(self).__name__} must define execution(workdir)")

    def empty_execution(self, workdir: Path) -> Execution:
        """A successful execution of a program that draws nothing (the background shows)."""
        pytest.fail(f"{type(self).__name__} must define empty_execution(workdir)")

    def broken_execution(self, workdir: Path) -> Execution:
        """An execution whose artifacts the engine cannot read."""
        artifacts = {}
        for role in self.artifact_roles or ("scene",):
            path = workdir / f"broken-{role}.bin"
            path.write_bytes(b"\x00\xff<<not a scene>>\x89" * 64)
            artifacts[role] = path
        return Execution(status="ok", program="<<not a program>>", artifacts=artifacts)

    def render(self, renderer: object, execution: Execution, spec: RenderSpec,
               workdir: Path) -> Rendering:
        result = self.call(renderer, "render", execution=execution, spec=spec,  # type: ignore[arg-type]
                           workdir=workdir)
        assert isinstance(result, Rendering), f"render returned {type(result).__name__}"
        return result

    def _ok(self, rendering: Rendering) -> Path:
        assert rendering.ok, f"render failed: {rendering.status}: {rendering.error}"
        assert rendering.image is not None and rendering.image.is_file()
        return rendering.image

    def test_honours_render_spec_size(self, subject: object, tmp_path: Path) -> None:
        from PIL import Image

        for i, spec in enumerate([RenderSpec(width=64, height=48),
                                  RenderSpec(width=40, height=90, fit="stretch"),
                                  RenderSpec(width=30, height=20, scale=2.0)]):
            work = tmp_path / f"r{i}"
            work.mkdir()
            image = self._ok(self.render(subject, self.execution(work), spec, work))
            with Image.open(image) as img:
                assert img.size == spec.pixel_size, (
                    f"{spec.width}x{spec.height} scale {spec.scale}: got {img.size}")

    def test_honours_background_colour(self, subject: object, tmp_path: Path) -> None:
        spec = RenderSpec(width=48, height=32, background="#00ff00")
        image = self._ok(self.render(subject, self.empty_execution(tmp_path), spec, tmp_path))
        for colour in pixel_colours(image, [(0, 0), (47, 0), (0, 31), (47, 31), (24, 16)]):
            assert all(abs(a - b) <= TOLERANCE for a, b in zip(colour, (0, 255, 0, 255),
                                                                strict=True)), colour

    def test_honours_transparent_background(self, subject: object, tmp_path: Path) -> None:
        if not self.supports_transparency:
            assert self.no_transparency_reason, "say why in no_transparency_reason"
            pytest.skip(self.no_transparency_reason)
        spec = RenderSpec(width=32, height=32, background=None)
        image = self._ok(self.render(subject, self.empty_execution(tmp_path), spec, tmp_path))
        for colour in pixel_colours(image, [(0, 0), (31, 31), (16, 16)]):
            assert colour[3] == 0, f"expected a transparent pixel, got {colour}"

    def test_draws_the_program(self, subject: object, tmp_path: Path) -> None:
        from PIL import Image

        spec = RenderSpec(width=32, height=32, background="#00ff00")
        drawn = self._ok(self.render(subject, self.execution(tmp_path), spec, tmp_path))
        with Image.open(drawn) as img:
            colours = img.convert("RGB").getcolors(32 * 32) or []
        assert len(colours) > 1, "the program's drawing does not show: one flat colour"

    def test_bad_input_is_a_failed_rendering(self, subject: object, tmp_path: Path) -> None:
        rendering = self.render(subject, self.broken_execution(tmp_path), RenderSpec(
            width=32, height=32), tmp_path)
        assert rendering.status in {"error", "timeout"} and not rendering.ok
        assert rendering.error, "a failed rendering must say why in `error`"

    def test_missing_artifacts_are_a_failed_rendering(self, subject: object,
                                                      tmp_path: Path) -> None:
        execution = Execution(status="ok", program="", artifacts={})
        rendering = self.render(subject, execution, RenderSpec(width=32, height=32), tmp_path)
        assert rendering.status in {"error", "timeout"} and rendering.error

    def test_reports_name_and_version(self, subject: object, tmp_path: Path) -> None:
        rendering = self.render(subject, self.execution(tmp_path), RenderSpec(
            width=16, height=16), tmp_path)
        assert rendering.renderer == subject.name  # type: ignore[attr-defined]
        assert isinstance(rendering.renderer_version, str) and rendering.renderer_version

    def test_writes_only_under_workdir(self, subject: object, tmp_path: Path) -> None:
        work = tmp_path / "work"
        work.mkdir()
        rendering = self.render(subject, self.execution(work), RenderSpec(width=16, height=16),
                                work)
        for path in [*rendering.images, *rendering.frames,
                     *([rendering.video] if rendering.video else [])]:
            assert path.resolve().is_relative_to(work.resolve()), path

