"""Rendering a benchmark's SVG to its input image through visioncode's own components
(the `svg` executor's sanitiser and the `cairosvg` renderer, found through the registry:
core imports no plugin), so an imported image is what a pipeline would render."""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import TracebackType

from .. import registry
from ..components import CodeExecutor, ComponentContext, Renderer
from ..errors import DatasetError
from ..rendering import RenderSpec


class SvgRasteriser:
    """One executor and renderer for all rows of an import (their workers stay warm)."""

    def __init__(self, size: int, renderer: str = "cairosvg") -> None:
        rcls = registry.load("renderer", renderer)
        ecls = registry.load("executor", "svg")
        assert issubclass(rcls, Renderer) and issubclass(ecls, CodeExecutor)
        self.spec = RenderSpec(width=size, height=size, fit="contain", background="#ffffff")
        self.executor = ecls(context=ComponentContext(name="svg"))
        self.renderer = rcls(context=ComponentContext(name=renderer))
        self._tmp = tempfile.TemporaryDirectory(prefix="visioncode-import-")

    def __enter__(self) -> SvgRasteriser:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.executor.close()
        self.renderer.close()
        self._tmp.cleanup()

    def render(self, svg: str, where: str) -> bytes:
        work = Path(tempfile.mkdtemp(dir=self._tmp.name))
        extraction = self.executor.extract(svg)
        if not extraction.ok or extraction.program is None:
            raise DatasetError(f"{where}: the SVG cannot be read: {extraction.status}: "
                               f"{'; '.join(extraction.notes)}")
        execution = self.executor.execute(extraction.program, work)
        if not execution.ok:
            why = execution.error.describe() if execution.error else execution.status
            raise DatasetError(f"{where}: the SVG does not run: {why}")
        rendering = self.renderer.render(execution, self.spec, work)
        if not rendering.ok or rendering.image is None:
            raise DatasetError(f"{where}: the SVG does not render: {rendering.error}")
        return rendering.image.read_bytes()
