"""The `matplotlib` executor: runs a model's chart program in the core sandbox.

The program is parsed on the host (a syntax error comes back with its line, no process
started), then run by a warm sandboxed worker in a fresh forked job process with the Agg
backend: `show()`, `pause()`, `input()` and backend switches never block, and the
program's own `savefig` calls are recorded but not obeyed. Every figure left open is saved
by the job at its own size and dpi, and matplotlib's drawing calls are traced for the
`chartmimic` and `plot2code` metrics.

What an execution carries:

- `artifacts`: `program` (the program as run), `figure` (the current figure's PNG at its
  own size) and `figure-N` for every figure kept;
- `metadata["figures"]`: per figure its number, pixel size, dpi, inches and axes count;
  `metadata["current_figure"]`; `metadata["trace"]`: the chart trace (types, colours,
  layout, texts; see `trace`); `metadata["savefig_calls"]`: where the program tried to
  save (targets and option names), none of which was written;
- `notes`: what was ignored (`show() ignored`, a GUI backend, `input()`);
- on failure, `status` (`syntax_error`, `error`, `no_figure`, `timeout`, `memory`,
  `crashed`) and `error` with the program's line and the traceback trimmed to its frames.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from pydantic import Field

from visioncode import (
    CodeExecutor,
    ComponentContext,
    ComponentOptions,
    Execution,
    Extraction,
    Limits,
    ProgramError,
)

from .runtime import ChartPool, JobAnswer, default_limits

_PYTHON_BLOCK = re.compile(r"```(?:python|py)\s*\n(.*?)```", re.DOTALL | re.IGNORECASE)
_ANY_BLOCK = re.compile(r"```[\w+-]*\s*\n(.*?)```", re.DOTALL)


class MatplotlibExecutorOptions(ComponentOptions):
    workers: int = Field(2, ge=1, le=64, description="warm sandboxed worker processes "
                         "(each imports matplotlib once and forks a job per program)")
    limits: Limits = Field(default_factory=default_limits, description="per program: wall "
                           "time, address space (MB), CPU seconds, file size, stdout/stderr "
                           "bytes kept; per worker: processes; the network is always off")
    trace: bool = Field(True, description="trace the drawing calls for the chartmimic and "
                        "plot2code metrics (metadata['trace'])")
    save_figures: bool = Field(True, description="save every figure as PNG at its own size "
                               "(artifacts figure, figure-N)")
    max_figures: int = Field(8, ge=1, le=64, description="most figures kept per program")
    max_pixels: int = Field(16_000_000, ge=10_000, description="largest figure saved, in "
                            "pixels (a larger one is saved at a lower dpi)")
    startup_timeout_s: float = Field(120.0, gt=0, description="allowance for a worker to "
                                     "import matplotlib and start")
    env: dict[str, str] = Field(default_factory=dict, description="extra environment "
                                "variables of the workers")


def pick_program(text: str) -> tuple[str | None, list[str]]:
    """The program in a model's answer: all ```python blocks joined (Plot2Code's
    `extract_code`), else the first fenced block, else the whole text."""
    blocks = [b.strip() for b in _PYTHON_BLOCK.findall(text)]
    if blocks:
        notes = ["took the python block"] if len(blocks) == 1 else \
            [f"joined {len(blocks)} python blocks"]
        return "\n".join(blocks), notes
    m = _ANY_BLOCK.search(text)
    program = (m.group(1) if m else text).strip()
    return (program or None), (["took fenced block"] if m else [])


def syntax_error(program: str) -> ProgramError | None:
    """The program's syntax error (with its line), without running anything."""
    try:
        program.encode("utf-8")
    except UnicodeEncodeError as exc:
        return ProgramError(kind="SyntaxError", message=f"the program is not valid text: "
                            f"{exc.reason} at character {exc.start}")
    try:
        compile(program, "program.py", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return ProgramError(kind="SyntaxError", message=str(exc.msg), line=exc.lineno)
    except (ValueError, RecursionError, MemoryError) as exc:
        return ProgramError(kind="SyntaxError", message=f"the program cannot be compiled: "
                            f"{type(exc).__name__}: {exc}"[:500])
    return None


def to_execution(program: str, answer: JobAnswer, started: float,
                 artifacts: dict[str, Path] | None = None) -> Execution:
    """An Execution from a job's answer (shared by the executor and the metric)."""
    error = None
    if answer.error is not None:
        error = ProgramError(kind=answer.error.kind, message=answer.error.message,
                             line=answer.error.line, traceback=answer.error.traceback)
    metadata: dict[str, Any] = {
        "figures": [f.model_dump() for f in answer.figures],
        "current_figure": answer.current_figure,
        "savefig_calls": answer.savefig_calls,
        "worker_s": round(answer.duration_s, 4),
        "output_truncated": answer.output_truncated,
    }
    if answer.trace is not None:
        metadata["trace"] = answer.trace.model_dump()
    return Execution(status=answer.status, program=program, artifacts=artifacts or {},
                     stdout=answer.stdout[-20_000:], stderr=answer.stderr[-20_000:],
                     error=error, notes=list(answer.notes),
                     duration_s=time.perf_counter() - started, metadata=metadata)


class MatplotlibExecutor(CodeExecutor):
    """Runs matplotlib chart programs in warm sandboxed workers (one forked job per
    program), saves every figure, and traces the drawing calls."""

    Options = MatplotlibExecutorOptions
    options: MatplotlibExecutorOptions

    def __init__(self, options: ComponentOptions | None = None,
                 context: ComponentContext | None = None) -> None:
        super().__init__(options, context)
        o = self.options
        self.pool = ChartPool(o.workers, o.limits, o.startup_timeout_s, o.env)

    def extract(self, text: str) -> Extraction:
        program, notes = pick_program(text)
        if program is None:
            return Extraction(status="no_program", program=None, notes=["empty output"])
        return Extraction(program=program, notes=notes)

    def execute(self, program: str, workdir: Path) -> Execution:
        started = time.perf_counter()
        problem = syntax_error(program)
        if problem is not None:
            return Execution(status="syntax_error", program=program, error=problem,
                             duration_s=time.perf_counter() - started)
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        source = workdir / "program.py"
        source.write_text(program, encoding="utf-8")
        o = self.options
        answer = self.pool.run({"program": program, "canvas": None, "trace": o.trace,
                                "save": o.save_figures, "max_figures": o.max_figures,
                                "max_pixels": o.max_pixels},
                               take_to=workdir if o.save_figures else None)
        artifacts: dict[str, Path] = {"program": source}
        if answer.ok:
            for i, fig in enumerate(answer.figures, 1):
                if fig.file:
                    artifacts[f"figure-{i}"] = Path(fig.file)
                    if fig.number == answer.current_figure or "figure" not in artifacts:
                        artifacts["figure"] = Path(fig.file)
        return to_execution(program, answer, started, artifacts)

    def close(self) -> None:
        self.pool.close()
