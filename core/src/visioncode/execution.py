"""What an executor produces: the extracted program and the result of running it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: Statuses an Extraction or Execution may carry. Executors may add their own, but these
#: are the ones reports group by.
OK_STATUSES = frozenset({"ok", "repaired"})


class Extraction(BaseModel):
    """The program found in a model's raw output.

    `status` is `ok`, `repaired` (the program needed fixing, `notes` say how, and
    `original` keeps the text as found) or `no_program` (nothing usable; `program` is
    None). Executors may use their own vocabulary (the SVG executor says `no_svg`)."""

    model_config = ConfigDict(extra="forbid")
    status: str = "ok"
    program: str | None
    notes: list[str] = Field(default_factory=list)
    original: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES and self.program is not None


class ProgramError(BaseModel):
    """Why a program failed, in words a model can act on.

    `line` is the 1-based line of the *program* (not of the framework) where one is known."""

    model_config = ConfigDict(extra="forbid")
    kind: str
    message: str
    line: int | None = None
    traceback: str | None = None

    def describe(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.kind}{where}: {self.message}"


class Execution(BaseModel):
    """The result of running (or, for SVG, parsing and sanitising) one program.

    `artifacts` maps a role (`svg`, `scene`, `html`) to a produced file that the renderer
    reads. `notes` lists what the executor changed or removed (e.g. a stripped `<script>`)."""

    model_config = ConfigDict(extra="forbid")
    status: str
    program: str
    artifacts: dict[str, Path] = Field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    error: ProgramError | None = None
    notes: list[str] = Field(default_factory=list)
    duration_s: float = 0.0
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES
