"""What the bpy worker may answer, as typed models the host validates before using it.

A bpy program runs in a child of the worker and can patch anything in its interpreter,
the function that writes its answer included. The host therefore treats every answer as
the program's data: `visioncode.parse_answer` validates it into one of these models (a
forged or malformed answer fails its own sample with reason `bad_answer`), files are
named relative to the job's folder (`JobFile`: no absolute path, no `..`, no hidden
name), and each is taken with `visioncode.take_file` from that job's folder only.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

_PART = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
#: A file in the job's folder: a plain name, or one folder and a name (`frames/f.png`).
JobFile = Annotated[str, StringConstraints(pattern=rf"^{_PART}(/{_PART})?$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Answer(_Model):
    ok: bool
    worker_s: float | None = None
    walls: list[str] = Field(default_factory=list, max_length=32)
    #: Seconds the zygote took to fork the job's child, and the child to put up its
    #: walls (what the per-job sandbox costs a job).
    fork_s: float | None = None
    walls_s: float | None = None


class Failure(_Answer):
    """A job that did not get to its own answer, or the worker's refusal of a request."""

    ok: Literal[False]
    kind: str = Field("Error", max_length=200)
    error: str = Field("", max_length=20000)
    traceback: str | None = Field(None, max_length=20000)
    timeout_s: float | None = None
    exit_code: int | None = None


class ProgramFailure(_Model):
    kind: str = Field("error", max_length=200)
    message: str = Field("", max_length=20000)
    line: int | None = Field(None, ge=0)
    traceback: str | None = Field(None, max_length=20000)


class ExecuteAnswer(_Answer):
    ok: Literal[True]
    status: Literal["ok", "error"]
    files: dict[Literal["scene", "simulation"], JobFile] = Field(default_factory=dict)
    summary: dict[str, Any] | None = None
    simulation: dict[str, Any] | None = None
    error: ProgramFailure | None = None
    stdout: str = Field("", max_length=200_000)
    stderr: str = Field("", max_length=200_000)


class ObjectBox(_Model):
    name: str = Field(max_length=256)
    type: str = Field(max_length=32)
    depth: float
    box: list[float] = Field(min_length=4, max_length=4)


class FramesAnswer(_Model):
    paths: list[JobFile] = Field(max_length=10_000)
    numbers: list[int] = Field(max_length=10_000)


class RenderAnswer(_Answer):
    ok: Literal[True]
    out: JobFile
    camera_source: Literal["spec", "program", "auto"]
    camera: str = Field(max_length=256)
    objects: list[ObjectBox] = Field(max_length=1000)
    version: str = Field(max_length=200)
    frames: FramesAnswer | None = None


class EncodeAnswer(_Answer):
    ok: Literal[True]
    video: JobFile
    frames: int = Field(ge=0)
