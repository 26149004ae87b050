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

import shutil
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
)

from .runtime import BlenderNotFoundError, BpyOptions, BpyWorker, describe_failure


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
            try:
                job = self.bpy.job_dir()
                answer = self.bpy.call({"op": "execute", "job": str(job), "program": program,
                                        "simulate": self._simulate()})
            except BlenderNotFoundError as exc:
                return failed("error", "setup", str(exc))
            except SandboxError as exc:
                status, message = describe_failure(exc, self.options.limits.wall_time_s)
                return failed(status, status, message)
            leftovers = list(self.bpy.leftovers)
            files = {role: Path(path) for role, path in answer.get("files", {}).items()}
            artifacts = {}
            for role, path in files.items():
                if path.is_file():
                    artifacts[role] = workdir / path.name
                    shutil.copyfile(path, artifacts[role])
        output = {"stdout": answer.get("stdout", ""), "stderr": answer.get("stderr", "")}
        if not answer.get("ok"):
            return failed("error", answer.get("kind", "worker"),
                          f"the bpy worker failed: {answer.get('error', '')}", **output)
        if leftovers:
            return failed("sandbox_violation", "process", f"the program left {len(leftovers)} "
                          f"process(es) running (pids {leftovers}); they were killed", **output)
        metadata: dict[str, Any] = {"bpy": self.bpy.info.get("bpy"),
                                    "landlock": self.bpy.info.get("landlock"),
                                    "worker_s": answer.get("worker_s")}
        if "summary" in answer:
            metadata["scene"] = answer["summary"]
        if "simulation" in answer:
            metadata["simulation"] = answer["simulation"]
        if answer.get("status") != "ok":
            err = answer.get("error") or {}
            return Execution(
                status="error", program=program, artifacts=artifacts, metadata=metadata,
                error=ProgramError(kind=err.get("kind", "error"),
                                   message=err.get("message", ""), line=err.get("line"),
                                   traceback=err.get("traceback")),
                duration_s=time.perf_counter() - start, **output)
        return Execution(status="ok", program=program, artifacts=artifacts, metadata=metadata,
                         duration_s=time.perf_counter() - start, **output)

    def close(self) -> None:
        self.bpy.close()
