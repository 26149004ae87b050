"""The `text` executor: the model's text is the program, and nothing runs.

For tasks whose "program" is read, not run: a transcription of a code image (OCR), an
answer about code, or source to be drawn by the `code-image` renderer. The text is the
first fenced block of the answer, or the whole answer with `fenced = false` or when it
has no fence. It is written as the `source` artifact; `language`, when set, goes to
`metadata["language"]`, which the `code-image` renderer uses to pick a lexer.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from pydantic import Field

from visioncode import CodeExecutor, ComponentOptions, Execution, Extraction, ProgramError

_FENCE = re.compile(r"```([\w+#.-]*)[ \t]*\n(.*?)```", re.DOTALL)


class TextExecutorOptions(ComponentOptions):
    fenced: bool = Field(True, description="take the first fenced block when the answer "
                         "has one (else the whole answer)")
    strip: bool = Field(True, description="strip leading and trailing blank space")
    language: str | None = Field(None, description="the text's language (a Pygments "
                                 "alias), recorded for the code-image renderer")
    max_chars: int = Field(1_000_000, ge=1, description="longest text kept; longer is "
                           "`too_long`")


class TextExecutor(CodeExecutor):
    """Takes the answer's text as the program; runs nothing."""

    Options = TextExecutorOptions
    options: TextExecutorOptions

    def extract(self, text: str) -> Extraction:
        m = _FENCE.search(text) if self.options.fenced else None
        body = m.group(2) if m else text
        program = body.strip() if self.options.strip else body
        if not program.strip():
            return Extraction(status="no_program", program=None, notes=["empty output"])
        notes = [f"took fenced block ({m.group(1) or 'no language'})"] if m else []
        return Extraction(program=program, notes=notes)

    def execute(self, program: str, workdir: Path) -> Execution:
        started = time.perf_counter()
        if len(program) > self.options.max_chars:
            return Execution(status="too_long", program=program[: self.options.max_chars],
                             error=ProgramError(kind="TooLong", message=(
                                 f"the text is {len(program)} characters, over max_chars = "
                                 f"{self.options.max_chars}")),
                             duration_s=time.perf_counter() - started)
        try:
            program.encode("utf-8")
        except UnicodeEncodeError as exc:
            return Execution(status="bad_text", program=program.encode(
                "utf-8", "replace").decode("utf-8"), error=ProgramError(
                kind="UnicodeError", message=f"not valid text: {exc.reason} at character "
                f"{exc.start}"), duration_s=time.perf_counter() - started)
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / "source.txt"
        path.write_text(program, encoding="utf-8")
        metadata: dict[str, object] = {"chars": len(program),
                                       "lines": program.count("\n") + 1}
        if self.options.language:
            metadata["language"] = self.options.language
        return Execution(status="ok", program=program, artifacts={"source": path},
                         duration_s=time.perf_counter() - started, metadata=metadata)
