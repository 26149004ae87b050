"""The `svg` executor: for SVG, "running" the program means parsing and sanitising it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from pydantic import Field

from visioncode import CodeExecutor, ComponentOptions, Execution, Extraction, ProgramError

from .extract import extract_svg
from .sanitize import SanitizeError, SanitizeLimits, sanitize

#: Removals listed one by one in notes and metadata; the rest are counted.
MAX_LISTED_REMOVALS = 100


class SvgExecutorOptions(ComponentOptions):
    """Limits for one SVG document (nested SVG images get the same limits each)."""

    max_bytes: int = Field(2_000_000, ge=1, description="largest document, in UTF-8 bytes, "
                           "also once its internal entities are expanded")
    max_elements: int = Field(50_000, ge=1, description="most elements in the document, and "
                              "most entity references expanded")
    max_use_expansion: int = Field(
        100_000, ge=1,
        description="most elements after expanding every <use> (and nested SVG image)",
    )
    max_nesting: int = Field(
        2, ge=0, description="how deep SVG images in data: URLs may nest (0 forbids them)"
    )
    on_unsafe: Literal["remove", "fail"] = Field(
        "remove",
        description="what to do with scripts, event handlers and external or local "
        "references: `remove` them (recorded in notes) and render the rest, or `fail` the "
        "program with status `unsafe` naming each one (a strict benchmark that counts "
        "hostile output as a failure)",
    )


class SvgExecutor(CodeExecutor):
    """Turns model-written SVG into a document that is safe to hand to a renderer.

    SVG is data, not code, so nothing is run: the document is parsed in-process with
    entity substitution, DTD loading and network access off (internal entities are
    expanded first, within the size limits), rejected when it is hostile in a way removal
    cannot fix (external entities, expansion bombs, size, `<use>` explosions), and
    otherwise stripped of scripts, event handlers, external references and CSS that loads
    anything (read with a CSS tokenizer); a `<use>` cycle is skipped. Every removal is
    listed in `Execution.notes`. Bad input never raises: it becomes a `parse_error`
    Execution whose `error` a model can act on."""

    Options = SvgExecutorOptions
    options: SvgExecutorOptions

    def extract(self, text: str) -> Extraction:
        return extract_svg(text)

    def execute(self, program: str, workdir: Path) -> Execution:
        start = time.perf_counter()
        limits = SanitizeLimits(
            max_bytes=self.options.max_bytes, max_elements=self.options.max_elements,
            max_use_expansion=self.options.max_use_expansion,
            max_nesting=self.options.max_nesting,
        )
        try:
            result = sanitize(program, limits)
        except SanitizeError as exc:
            return Execution(
                status="parse_error", program=program,
                error=ProgramError(kind=exc.kind, message=exc.message, line=exc.line),
                duration_s=time.perf_counter() - start,
            )
        except (RecursionError, MemoryError, ValueError) as exc:
            return Execution(
                status="parse_error", program=program,
                error=ProgramError(kind="unreadable", message=f"the SVG cannot be read: {exc}"),
                duration_s=time.perf_counter() - start,
            )
        except Exception as exc:  # a bug here must cost one sample, not the run
            return Execution(
                status="error", program=program,
                error=ProgramError(
                    kind="internal",
                    message=f"the SVG sanitiser failed: {type(exc).__name__}: {exc}",
                ),
                duration_s=time.perf_counter() - start,
            )
        if result.removed and self.options.on_unsafe == "fail":
            first = result.removed[0]
            listed = "; ".join(str(r) for r in result.removed[:10])
            more = len(result.removed) - 10
            return Execution(
                status="unsafe", program=program,
                error=ProgramError(
                    kind="unsafe",
                    message=f"the SVG has active or external content: {listed}"
                    + (f"; and {more} more" if more > 0 else ""),
                    line=first.line),
                metadata={"removed_count": len(result.removed)},
                duration_s=time.perf_counter() - start,
            )
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / "program.svg"
        path.write_text(result.svg, encoding="utf-8")
        removed = [str(r) for r in result.removed[:MAX_LISTED_REMOVALS]]
        if len(result.removed) > MAX_LISTED_REMOVALS:
            removed.append(f"... and {len(result.removed) - MAX_LISTED_REMOVALS} more")
        return Execution(
            status="ok", program=result.svg, artifacts={"svg": path},
            notes=[*result.notes, *(f"removed {r}" for r in removed)],
            metadata={"elements": result.elements, "use_expansion": result.use_expansion,
                      "removed": removed, "removed_count": len(result.removed)},
            duration_s=time.perf_counter() - start,
        )
