"""The `blender` executor: runs a model-written bpy program in the persistent bpy worker.

Each program starts from a factory-clean, empty scene. The executor saves the result as
`scene.blend` (artifact `scene`) and returns a summary of it in `Execution.metadata`
(`scene`: objects with type, transform, materials; lights; camera; world). With
`simulate`, a follow-up program ("throw a ball at the stack") runs on the saved scene,
the rigid bodies are baked over `frames` frames, and `simulation.blend` (artifact
`simulation`) plus each body's position at the first and last frame
(`metadata.simulation`) come back too; the renderers then render its frames and an mp4.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from visioncode import (
    CodeExecutor,
    ComponentContext,
    ComponentOptions,
    Execution,
    ProgramError,
    SandboxError,
    take_file,
)

from .protocol import ExecuteAnswer, Failure, ProgramFailure
from .runtime import (
    BlenderNotFoundError,
    BpyOptions,
    BpyWorker,
    describe_failure,
    describe_job_failure,
)


class SimulateOptions(BaseModel):
    """A physics rollout after the scene is built."""

    model_config = ConfigDict(extra="forbid")
    frames: int = Field(48, ge=2, le=2000, description="frames to bake (from frame 1)")
    program: str | None = Field(
        None, description="a follow-up bpy program run on the built scene before the bake "
        "(e.g. add a ball with a rigid body and an initial velocity); None bakes the scene "
        "as it is")
    program_file: Path | None = Field(
        None, description="read the follow-up program from this file instead (relative to "
        "the pipeline file)")


class BlenderExecutorOptions(BpyOptions):
    simulate: SimulateOptions | None = Field(
        None, description="bake a rigid-body simulation after the program (None: no physics)")


class BlenderExecutor(CodeExecutor):
    """Runs bpy programs in a persistent, sandboxed bpy worker (its own interpreter
    environment or a user's Blender) and saves the scene they build.

    A failing program fails its own sample with the program's line; a program that hangs,
    crashes the worker or exhausts its memory costs one sample: the worker is replaced."""

    Options = BlenderExecutorOptions
    options: BlenderExecutorOptions

    def __init__(
        self, options: ComponentOptions | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(options, context)
        base = [self.context.base_dir, Path.cwd(), Path(__file__).parent]
        self.bpy = BpyWorker(self.options, base, "blender-executor",
                             self.context.cache_dir)

    def _simulate(self) -> dict[str, Any] | None:
        sim = self.options.simulate
        if sim is None:
            return None
        program = sim.program
        if sim.program_file is not None:
            program = self.context.resolve_path(sim.program_file).read_text(encoding="utf-8")
        return {"frames": sim.frames, "program": program}

    def execute(self, program: str, workdir: Path) -> Execution:
        start = time.perf_counter()
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "program.py").write_text(program, encoding="utf-8")

        def failed(status: str, kind: str, message: str, **extra: Any) -> Execution:
            return Execution(status=status, program=program,
                             error=ProgramError(kind=kind, message=message,
                                                line=extra.pop("line", None),
                                                traceback=extra.pop("traceback", None)),
                             duration_s=time.perf_counter() - start, **extra)

        with self.bpy.lock:
            job: Path | None = None
            try:
                job = self.bpy.job_dir()
                answer = self.bpy.job({"op": "execute", "program": program,
                                       "simulate": self._simulate()}, ExecuteAnswer, job)
                if isinstance(answer, Failure):
                    status, message = describe_job_failure(answer,
                                                           self.options.limits.wall_time_s)
                    if status == "error":
                        return failed("error", answer.kind, message,
                                      traceback=answer.traceback)
                    return failed(status, status, message)
                artifacts = {}
                for role, name in answer.files.items():
                    artifacts[role] = take_file(job, name, workdir / Path(name).name,
                                                max_bytes=self._blend_cap())
            except BlenderNotFoundError as exc:
                return failed("error", "setup", str(exc))
            except SandboxError as exc:
                status, message = describe_failure(exc, self.options.limits.wall_time_s)
                return failed(status, exc.reason if status == "sandbox_violation" else
                              status, message)
            finally:
                if job is not None:
                    self.bpy.drop_job(job)
            leftovers = list(self.bpy.leftovers)
        output = {"stdout": answer.stdout, "stderr": answer.stderr}
        if leftovers:
            return failed("sandbox_violation", "process", f"the program left {len(leftovers)} "
                          f"process(es) running (pids {leftovers}); they were killed", **output)
        metadata: dict[str, Any] = {"bpy": self.bpy.info.get("bpy"),
                                    "landlock": self.bpy.info.get("landlock"),
                                    "walls": answer.walls, "worker_s": answer.worker_s,
                                    "fork_s": answer.fork_s, "walls_s": answer.walls_s}
        if answer.summary is not None:
            metadata["scene"] = answer.summary
        if answer.simulation is not None:
            metadata["simulation"] = answer.simulation
        if answer.status != "ok":
            err = answer.error or ProgramFailure()
            return Execution(
                status="error", program=program, artifacts=artifacts, metadata=metadata,
                error=ProgramError(kind=err.kind, message=err.message, line=err.line,
                                   traceback=err.traceback),
                duration_s=time.perf_counter() - start, **output)
        return Execution(status="ok", program=program, artifacts=artifacts, metadata=metadata,
                         duration_s=time.perf_counter() - start, **output)

    def _blend_cap(self) -> int:
        """Largest .blend taken from a job: the worker's own file-size limit."""
        return (self.options.limits.file_size_mb or 512) * 1024 * 1024

    def close(self) -> None:
        self.bpy.close()
