"""The `cycles`, `workbench` and `eevee` renderers: one saved scene, three engines.

Each reopens the executor's `scene.blend` in its own persistent bpy worker and renders it
under the RenderSpec: width x height (times `scale`), a film that is always transparent,
with `background` composited afterwards with Pillow (None keeps the alpha), so every
engine gives the same canvas. The camera is `RenderSpec.camera` when set (`location`,
`look_at` or `rotation_euler`, `lens`), else the program's own, else one placed
automatically to frame every object. When the execution carries a simulation, its frames
(`RenderSpec.frames` of them, evenly spaced; all by default) and an mp4 at `RenderSpec.fps`
come back too.

`Rendering.metadata["objects"]` lists each visible object's projected 2D box,
`{"name", "type", "depth", "box": [x0, y0, x1, y1]}` in pixels of the primary image,
origin top-left, y down, clipped to the image (the `object-ids` prompter draws them).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any, ClassVar, Literal

from PIL import Image, ImageColor
from pydantic import Field

from visioncode import (
    ComponentContext,
    ComponentOptions,
    Execution,
    Renderer,
    Rendering,
    RenderSpec,
    SandboxError,
    take_file,
)

from .protocol import EncodeAnswer, Failure, FramesAnswer, RenderAnswer
from .runtime import (
    BlenderNotFoundError,
    BpyOptions,
    BpyWorker,
    describe_failure,
    describe_job_failure,
)


class BlenderRendererOptions(BpyOptions):
    view_transform: Literal["Standard", "AgX", "Filmic", "Khronos PBR Neutral", "Raw"] = Field(
        "Standard", description="colour view transform; Standard maps material colours "
        "most directly to sRGB pixels, which pixel metrics against a reference want")
    video: bool = Field(True, description="render a simulation's frames and an mp4 when "
                        "the execution has one")


class CyclesOptions(BlenderRendererOptions):
    samples: int = Field(16, ge=1, le=4096, description="path-tracing samples per pixel")
    denoise: bool = Field(False, description="run the OpenImageDenoise denoiser")


class EeveeOptions(BlenderRendererOptions):
    samples: int = Field(4, ge=1, le=1024, description="anti-aliasing samples; EEVEE on "
                         "Mesa llvmpipe (no GPU) is slow, keep this low")


class _BlenderRenderer(Renderer):
    engine: ClassVar[str]
    default_executor = "blender"
    Options: ClassVar[type[ComponentOptions]] = BlenderRendererOptions
    options: BlenderRendererOptions

    def __init__(
        self, options: ComponentOptions | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(options, context)
        base = [self.context.base_dir, Path.cwd(), Path(__file__).parent]
        self.bpy = BpyWorker(self.options, base, f"blender-{self.engine}",
                             self.context.cache_dir)

    def engine_options(self) -> dict[str, Any]:
        return {}

    def render(self, execution: Execution, spec: RenderSpec, workdir: Path) -> Rendering:
        start = time.perf_counter()
        width, height = spec.pixel_size

        def failed(status: Literal["error", "timeout"], error: str) -> Rendering:
            return Rendering(status=status, renderer=self.name, error=error,
                             duration_s=time.perf_counter() - start,
                             metadata={"engine": self.engine})

        if not execution.ok:
            return failed("error", f"nothing to render: {execution.status}")
        scene = execution.artifacts.get("scene")
        if scene is None or not Path(scene).is_file():
            return failed("error", "nothing to render: the execution has no 'scene' artifact")
        if spec.background is not None:
            try:
                ImageColor.getrgb(spec.background)
            except ValueError:
                return failed("error", f"RenderSpec.background {spec.background!r} is not a "
                              "colour (use e.g. '#ffffff' or null for transparent)")
        workdir = Path(workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        simulation = execution.artifacts.get("simulation") if self.options.video else None
        wall = self.options.limits.wall_time_s
        with self.bpy.lock:
            jobs: list[Path] = []
            try:
                job = self.bpy.job_dir()
                jobs.append(job)
                shutil.copyfile(scene, job / "scene.blend")
                request: dict[str, Any] = {
                    "op": "render", "engine": self.engine, "blend": str(job / "scene.blend"),
                    "out": str(job / "render.png"), "width": width, "height": height,
                    "camera": spec.camera, "view_transform": self.options.view_transform,
                    **self.engine_options(),
                }
                if simulation is not None and Path(simulation).is_file():
                    shutil.copyfile(simulation, job / "simulation.blend")
                    (job / "frames").mkdir()
                    request["frames"] = {"blend": str(job / "simulation.blend"),
                                         "dir": str(job / "frames"), "count": spec.frames}
                answer = self.bpy.job(request, RenderAnswer, job)
                if isinstance(answer, Failure):
                    status, message = describe_job_failure(answer, wall)
                    if status == "error":
                        message = (f"{self.engine} failed ({answer.kind}): {answer.error}")
                    return failed("timeout" if status == "timeout" else "error", message)
                image = workdir / "render.png"
                _composite(self._take(job, answer.out, workdir / ".render-raw.png"), image,
                           spec.background)
                frames: list[Path] = []
                video = None
                if answer.frames is not None:
                    frames, video = self._frames(answer.frames, job, workdir, spec, jobs)
            except BlenderNotFoundError as exc:
                return failed("error", str(exc))
            except SandboxError as exc:
                status, message = describe_failure(exc, wall)
                return failed("timeout" if status == "timeout" else "error", message)
            finally:
                for used in jobs:
                    self.bpy.drop_job(used)
        metadata: dict[str, Any] = {"engine": self.engine,
                                    "camera_source": answer.camera_source,
                    "camera": answer.camera,
                    "objects": [o.model_dump() for o in answer.objects],
                    "background": spec.background, "worker_s": answer.worker_s,
                    "walls": answer.walls, "fork_s": answer.fork_s,
                    "walls_s": answer.walls_s,
                    "box_convention": "pixels of images[0]: [x0, y0, x1, y1], origin "
                                      "top-left, y down"}
        if answer.frames is not None:
            metadata["frame_numbers"] = answer.frames.numbers
        return Rendering(status="ok", renderer=self.name, renderer_version=answer.version,
                         images=[image], frames=frames, video=video, width=width,
                         height=height, duration_s=time.perf_counter() - start,
                         metadata=metadata)

    def _take(self, job: Path, name: str, dest: Path) -> Path:
        """A file the job left, copied out of its folder (see `visioncode.take_file`)."""
        cap = (self.options.limits.file_size_mb or 512) * 1024 * 1024
        return take_file(job, name, dest, max_bytes=cap)

    def _frames(self, answer: FramesAnswer, job: Path, workdir: Path,
                spec: RenderSpec, jobs: list[Path]) -> tuple[list[Path], Path | None]:
        """Composite each frame over the background into `workdir/frames`, then have the
        worker encode them (its Blender has FFmpeg) into `workdir/simulation.mp4`, in a
        job folder of its own that the host fills."""
        out_dir = workdir / "frames"
        out_dir.mkdir(exist_ok=True)
        frames = []
        raw = workdir / ".frame-raw.png"
        for name in answer.paths:
            frames.append(out_dir / Path(name).name)
            _composite(self._take(job, name, raw), frames[-1], spec.background)
        raw.unlink(missing_ok=True)
        if not frames:
            return frames, None
        encode = self.bpy.job_dir()
        jobs.append(encode)
        for frame in frames:
            shutil.copyfile(frame, encode / frame.name)
        width, height = spec.pixel_size
        encoded = self.bpy.job({"op": "encode", "paths": [str(encode / p.name) for p in frames],
                                "out": str(encode / "simulation.mp4"), "fps": spec.fps or 24,
                                "width": width, "height": height}, EncodeAnswer, encode)
        if isinstance(encoded, Failure):
            return frames, None
        return frames, self._take(encode, encoded.video, workdir / "simulation.mp4")

    def close(self) -> None:
        self.bpy.close()


def _composite(source: Path, target: Path, background: str | None) -> None:
    """Copy a transparent-film render, over `background` when one is given (`source`
    is the host's own copy of the job's file)."""
    with Image.open(source) as im:
        image = im.convert("RGBA")
    source.unlink(missing_ok=True)
    if background is not None:
        color = ImageColor.getcolor(background, "RGBA")
        assert isinstance(color, tuple)
        image = Image.alpha_composite(Image.new("RGBA", image.size, color), image)
        if color[3] == 255:
            image = image.convert("RGB")
    image.save(target, format="PNG", compress_level=1)


class CyclesRenderer(_BlenderRenderer):
    """Blender's path tracer on the CPU: the physically based reference render."""

    engine = "cycles"
    Options = CyclesOptions
    options: CyclesOptions

    def engine_options(self) -> dict[str, Any]:
        return {"samples": self.options.samples, "denoise": self.options.denoise}


class WorkbenchRenderer(_BlenderRenderer):
    """Blender's viewport shading as a render: a fast preview of layout and colour."""

    engine = "workbench"


class EeveeRenderer(_BlenderRenderer):
    """Blender's rasteriser (runs headless on Mesa llvmpipe; slow without a GPU)."""

    engine = "eevee"
    Options = EeveeOptions
    options: EeveeOptions

    def engine_options(self) -> dict[str, Any]:
        return {"samples": self.options.samples}
