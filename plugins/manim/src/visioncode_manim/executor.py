"""The `manim` executor: the static half of running a Manim program.

The work is split between executor and renderer because the hooks give only the
renderer the `RenderSpec` (quality, fps, size): a scene's frames depend on it, so the
program is run where the spec is known. The executor does what needs no spec and no
process: it finds the program in the model's answer, parses it (a syntax error comes back
with its line), finds the `Scene` classes, and writes `scene.py` into the round's folder.
The renderer (`visioncode_manim.renderer`) then runs the program in a sandboxed warm
worker; runtime errors come back from there with the exception, the program line and the
traceback trimmed to the program's frames.
"""

from __future__ import annotations

import time
from pathlib import Path

from visioncode import CodeExecutor, ComponentOptions, Execution, Extraction

from .program import parse_program, pick_block


class ManimExecutorOptions(ComponentOptions):
    """No options: parsing and scene discovery have nothing to tune."""


class ManimExecutor(CodeExecutor):
    """Parses a Manim CE program, lists its Scene classes in order (`metadata["scenes"]`)
    and writes it as the `scene` artifact the `manim` renderer runs. Nothing is executed
    here: running model-written code happens only in the renderer's sandboxed workers."""

    Options = ManimExecutorOptions

    def extract(self, text: str) -> Extraction:
        program, notes = pick_block(text)
        if program is None:
            return Extraction(status="no_program", program=None, notes=["empty output"])
        return Extraction(program=program, notes=notes)

    def execute(self, program: str, workdir: Path) -> Execution:
        started = time.perf_counter()
        scenes, error = parse_program(program)
        if error is not None:
            status = "syntax_error" if error.kind == "SyntaxError" else "no_scene"
            return Execution(status=status, program=program, error=error,
                             duration_s=time.perf_counter() - started)
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / "scene.py"
        path.write_text(program, encoding="utf-8")
        return Execution(
            status="ok", program=program, artifacts={"scene": path},
            notes=[f"scenes: {', '.join(s.name for s in scenes)}"],
            duration_s=time.perf_counter() - started,
            metadata={"scenes": [{"name": s.name, "line": s.line} for s in scenes]},
        )
