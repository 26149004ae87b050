"""What a render worker may answer, as typed models the host validates before using it.

The scene runs in a child of the worker, and a hostile scene can patch anything in its
own interpreter, the code that writes its result included. So the host treats the answer
as data from the program: `visioncode.parse_answer` validates it into `WorkerAnswer`
(a malformed or forged answer fails its own section with reason `bad_answer`), and every
file the answer names is a *plain file name* (no folder, no `..`, no leading dot), which
the host takes from that scene's own folder with `visioncode.take_file` (no link followed,
no hard link, size-capped). Nothing in an answer can make the host open another path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: One file in the scene's output folder: a plain name, never a path.
FileName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
#: The scene's folder, relative to the job's folder (or to the worker's scratch folder
#: where the core sandbox runs every job in the worker's own process).
JobName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SceneError(_Model):
    """A scene's failure, as a model can act on it."""

    kind: str = Field("Error", max_length=200)
    message: str = Field("", max_length=20000)
    line: int | None = Field(None, ge=0)
    traceback: str | None = Field(None, max_length=20000)


class Keyframe(_Model):
    index: int | None = Field(None, ge=0)
    kind: Literal["first", "boundary", "last", "still", "rate"]
    time_s: float = Field(ge=0)
    animation: int | None = None
    image: FileName
    mobjects: list[dict[str, Any]] | None = None


class SceneFrame(_Model):
    x_min: float
    x_max: float
    y_min: float
    y_max: float


class SceneResult(_Model):
    """What `scene_job.render_scene` reports for a scene that rendered."""

    ok: Literal[True]
    video: FileName | None
    duration_s: float = Field(ge=0)
    num_plays: int = Field(ge=0)
    keyframes: list[Keyframe] = Field(max_length=100_000)
    scene_frame: SceneFrame
    background: str = Field(max_length=64)


class WorkerAnswer(_Model):
    """One scene's answer from `render_worker.handle`."""

    ok: bool
    status: Literal["ok", "error", "timeout", "memory", "crashed"]
    job: JobName
    stdout: str = ""
    stderr: str = ""
    duration_s: float = Field(0.0, ge=0)
    survivors: int = Field(0, ge=0)
    output_truncated: bool = False
    error: SceneError | None = None
    #: The scene's result: validated as `SceneResult` when `ok` (the host does that, so
    #: the error names the bad field); on a failure, what the scene recorded (unused).
    result: dict[str, Any] | None = None
