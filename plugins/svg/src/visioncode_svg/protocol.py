"""The messages between the SVG renderers and their worker, typed both ways.

The request carries the document itself, not a path: a job's child reads nothing of the
host's file system, and writes its PNG into its own job folder, from which the host copies
it with `visioncode.take_file` (regular file, no links, size-capped). The answer is
parsed into `RenderAnswer` before anything of it is used, so a forged or garbled answer
fails that render only.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: The PNG's name inside the job folder.
OUTPUT_NAME = "render.png"


class RenderRequest(BaseModel):
    """One render: the fitted, sanitised SVG and the canvas."""

    model_config = ConfigDict(extra="forbid")
    engine: Literal["cairosvg", "resvg"]
    svg: str = Field(description="the SVG document, already fitted to the canvas")
    width: int = Field(ge=1, le=65536)
    height: int = Field(ge=1, le=65536)
    background: str | None = Field(None, description="CSS colour under the drawing; "
                                   "None for transparent")


class RenderAnswer(BaseModel):
    """A finished render: the PNG is `file` in the job's folder."""

    model_config = ConfigDict(extra="forbid")
    ok: Literal[True]
    width: int
    height: int
    version: str = Field(max_length=200)
    render_s: float = Field(ge=0, description="the library call alone")
    file: Literal["render.png"] = "render.png"


class RenderFailure(BaseModel):
    """The worker's own failure answer (`visioncode.serve` writes it for an exception)."""

    model_config = ConfigDict(extra="ignore")
    ok: Literal[False]
    kind: str = "error"
    error: str = ""
