"""The `manim` renderer: runs a program's Scene classes in a pool of warm sandboxed workers.

Each scene class of the program is a *section* (Code2Video's unit: one section, one
scene). Sections render in parallel, one per worker of the pool, and are joined into one
mp4 (`video.concatenate`). Every worker imports Manim once and forks a fresh child per
scene (`render_worker`), so a scene costs its render time, not Manim's import, and cannot
leak settings or state into the next one; a worker that dies or exceeds its limits is
replaced by `visioncode.Worker` on the next call.

Quality: `quality = "low" | "medium" | "high"` uses Manim's presets (854x480 at 15 fps,
1280x720 at 30, 1920x1080 at 60); left unset, the pipeline's `RenderSpec` decides
(`width`, `height`, `scale`, and `fps`, default 15).

What a rendering carries (see docs/manim.md for the full convention):

- `video`: the joined mp4; `images`: the last frame of each section; `frames`: every
  keyframe PNG (first frame, one per animation boundary, optional fixed-rate frames);
- `metadata["scene_frame"]`: the scene rectangle the pixels show (for the anchor grid);
- `metadata["keyframes"]`: per keyframe its section, time in the joined video, kind, and
  the boxes of the visible mobjects (scene and pixel coordinates, text, program line);
- `metadata["sections"]`: per section its scene, status, error, length and worker time;
- on failure, `error` holds the exception, the program line and the traceback trimmed to
  the program's frames, and `metadata["error"]` the same, structured.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from visioncode import (
    ComponentContext,
    ComponentOptions,
    Execution,
    Limits,
    Renderer,
    Rendering,
    RenderSpec,
    SandboxError,
    Worker,
    parse_answer,
    take_file,
)

from .program import parse_program
from .protocol import SceneError, SceneResult, WorkerAnswer
from .render_worker import SCRATCH_ENV
from .video import concatenate

WORKER_MODULE = "visioncode_manim.render_worker"
#: Largest keyframe PNG taken from a scene (a 4K RGB frame is about 25 MB uncompressed).
KEYFRAME_BYTES = 64 * 1024 * 1024
QUALITY = {"low": (854, 480, 15), "medium": (1280, 720, 30), "high": (1920, 1080, 60)}


class ManimRendererOptions(ComponentOptions):
    quality: Literal["low", "medium", "high"] | None = Field(
        None, description="Manim's quality preset (low 854x480@15, medium 1280x720@30, "
        "high 1920x1080@60); unset: the pipeline's render.width/height/scale/fps")
    scene: str = Field("all", min_length=1, description="which Scene classes to render: "
                       "`all` (every one, in order, as the sections of one video), `first`, "
                       "`last`, or a class name")
    workers: int = Field(2, ge=1, le=64, description="warm worker processes in the pool; "
                         "sections render in parallel on them")
    limits: Limits = Field(
        default_factory=lambda: Limits(wall_time_s=180, memory_mb=3072, cpu_time_s=600,
                                       output_bytes=65536, processes=256),
        description="per scene: wall time, address space (MB), CPU seconds, file size, "
        "open files, and the stdout/stderr bytes kept; per worker: processes (pids "
        "cgroup); the network is always off. The wall time bounds what one endless or "
        "oversized scene costs (its worker is held that long, and a run or a reward "
        "batch waits for it); 180 s lets every official Manim example finish at -ql on a "
        "busy 2-core machine (the slowest took 72 s). Raise it for long scenes: "
        "limits.wall_time_s (`--option limits.wall_time_s=600` with `visioncode render`)")
    keyframe_rate: float = Field(0.0, ge=0.0, le=30.0, description="extra keyframes per "
                                 "second of video (0: only first frame and animation "
                                 "boundaries)")
    env: dict[str, str] = Field(default_factory=dict, description="extra environment "
                                "variables of the workers (e.g. PATH, to choose the LaTeX "
                                "installation)")
    startup_timeout_s: float = Field(180.0, gt=0, description="allowance for a worker to "
                                     "import Manim and start")


class ManimRenderer(Renderer):
    """Renders Manim CE scenes in warm, sandboxed worker processes and returns the
    joined video, keyframes with mobject boxes, and errors a model can repair from."""

    default_executor = "manim"
    #: What `manim render` draws with no flags (Manim's config defaults): 1920x1080 at
    #: 60 fps, a 16:9 frame on black. `visioncode render --option quality=low` is -ql.
    render_defaults: ClassVar[dict[str, Any]] = {"width": 1920, "height": 1080, "fps": 60,
                                                 "background": "#000000"}
    Options = ManimRendererOptions
    options: ManimRendererOptions

    def __init__(
        self, options: ComponentOptions | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(options, context)
        self._pool: queue.Queue[Worker] | None = None
        self._workers: list[Worker] = []
        self._scratch: list[Path] = []
        self._lock = threading.Lock()
        self._release: weakref.finalize[Any, Any] | None = None
        #: Long-lived threads that start and call the workers: a worker is started with
        #: "die with parent", which the kernel ties to the starting *thread*, so workers
        #: must not be started from short-lived threads.
        self._threads: ThreadPoolExecutor | None = None

    @property
    def manim_version(self) -> str:
        try:
            return f"manim {metadata.version('manim')}"
        except metadata.PackageNotFoundError:
            return "manim (not installed)"

    # -- pool -----------------------------------------------------------------------------

    def pool(self) -> queue.Queue[Worker]:
        """The warm workers (created on first use; each starts on its first scene)."""
        with self._lock:
            if self._pool is None:
                o = self.options
                self._pool = queue.Queue()
                self._threads = ThreadPoolExecutor(o.workers,
                                                   thread_name_prefix="manim-render")
                worker_limits = Limits(
                    wall_time_s=o.limits.wall_time_s + 30, memory_mb=None, cpu_time_s=None,
                    file_size_mb=o.limits.file_size_mb, open_files=1024,
                    output_bytes=o.limits.output_bytes, network=False,
                    processes=o.limits.processes, writable=o.limits.writable)
                for _ in range(o.workers):
                    scratch = Path(tempfile.mkdtemp(prefix="visioncode-manim-"))
                    os.chmod(scratch, 0o755)
                    env = {**o.env, SCRATCH_ENV: str(scratch)}
                    worker = Worker(WORKER_MODULE, worker_limits, cwd=scratch, env=env,
                                    startup_timeout_s=o.startup_timeout_s)
                    self._workers.append(worker)
                    self._scratch.append(scratch)
                    self._pool.put(worker)
                self._release = weakref.finalize(self, _release, list(self._workers),
                                                 list(self._scratch), self._threads)
            return self._pool

    def warm_up(self) -> None:
        """Start every worker now (benchmarks; otherwise they start on first use)."""
        pool = self.pool()
        assert self._threads is not None
        workers = [pool.get() for _ in range(self.options.workers)]
        try:
            list(self._threads.map(lambda w: w.call({"ping": True}), workers))
        finally:
            for w in workers:
                pool.put(w)

    def close(self) -> None:
        with self._lock:
            if self._release is not None:
                self._release()
            self._pool, self._workers, self._scratch, self._release = None, [], [], None
            self._threads = None

    # -- rendering ------------------------------------------------------------------------

    def size(self, spec: RenderSpec) -> tuple[int, int, int]:
        if self.options.quality:
            return QUALITY[self.options.quality]
        width, height = spec.pixel_size
        return width - width % 2, height - height % 2, spec.fps or 15

    def select(self, scenes: list[str]) -> list[str]:
        choice = self.options.scene
        if choice == "all":
            return scenes
        if choice == "first":
            return scenes[:1]
        if choice == "last":
            return scenes[-1:]
        if choice not in scenes:
            raise LookupError(f"renderer.options.scene = {choice!r}, but the program's "
                              f"Scene classes are {', '.join(scenes) or 'none'}")
        return [choice]

    def render(self, execution: Execution, spec: RenderSpec, workdir: Path) -> Rendering:
        started = time.perf_counter()
        width, height, fps = self.size(spec)
        base_meta: dict[str, Any] = {"pixel_size": [width, height], "fps": fps,
                                     "quality": self.options.quality}

        def failed(status: Literal["error", "timeout"], message: str,
                   **meta: Any) -> Rendering:
            return Rendering(status=status, renderer=self.name,
                             renderer_version=self.manim_version, error=message,
                             duration_s=time.perf_counter() - started,
                             metadata={**base_meta, **meta})

        if not execution.ok:
            return failed("error", f"nothing to render: {execution.status}")
        source = execution.artifacts.get("scene")
        if source is None:
            return failed("error", "nothing to render: the execution has no 'scene' artifact")
        try:
            program = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return failed("error", f"cannot read the scene artifact {source}: {exc}")
        scenes, problem = parse_program(program)
        if problem is not None:
            return failed("error", problem.describe())
        try:
            chosen = self.select([s.name for s in scenes])
        except LookupError as exc:
            return failed("error", str(exc))
        workdir = Path(workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        request = {"program": program, "width": width, "height": height, "fps": fps,
                   "background": spec.background or "#000000",
                   "keyframe_rate": self.options.keyframe_rate,
                   "timeout_s": self.options.limits.wall_time_s,
                   "memory_mb": self.options.limits.memory_mb,
                   "cpu_s": self.options.limits.cpu_time_s,
                   "output_bytes": self.options.limits.output_bytes}
        pool = self.pool()
        assert self._threads is not None
        results = list(self._threads.map(
            lambda item: self._section(pool, {**request, "scene": item[1]}, item[0],
                                       workdir), enumerate(chosen)))
        return self._assemble(results, chosen, workdir, started, base_meta, failed)

    def _section(self, pool: queue.Queue[Worker], request: dict[str, Any], index: int,
                 workdir: Path) -> dict[str, Any]:
        """Render one scene on a free worker; copy its files into `workdir`."""
        worker = pool.get()
        try:  # the worker goes back to the pool only once its scene's folder is gone
            return self._run_section(worker, request, index, workdir)
        finally:
            pool.put(worker)

    def _run_section(self, worker: Worker, request: dict[str, Any], index: int,
                     workdir: Path) -> dict[str, Any]:
        """Run one scene on `worker` and take what it left into `workdir`.

        The answer is the program's to forge: it is validated into `WorkerAnswer`, and
        each file it names is a plain name the host takes from that scene's own folder
        with `take_file` (a link, a hard link, a device or an oversized file there fails
        the section with reason `unsafe_output`, and nothing is copied)."""
        starts = worker.started
        try:
            raw = worker.call(request)
        except SandboxError as exc:
            status = "timeout" if exc.reason == "timeout" else "error"
            return {"scene": request["scene"], "status": status, "error": {
                "kind": f"Worker{exc.reason.capitalize()}", "message": str(exc),
                "line": None, "traceback": None}}
        job_dir: Path | None = None
        try:
            answer = parse_answer(WorkerAnswer, _legacy(raw))
            base = worker.job_dir if getattr(worker, "per_job", False) else \
                self._scratch_of(worker)
            if base is None:
                raise SandboxError("bad_answer", "the worker named no job folder")
            job_dir = base / answer.job
            section = self._section_result(answer, worker.started != starts,
                                           request["scene"])
            section["walls"] = list(getattr(worker, "walls", []))
            if not answer.ok:
                return section
            result = parse_answer(SceneResult, answer.result)
            prefix = f"section-{index:02d}"
            video = None
            cap = (self.options.limits.file_size_mb or 256) * 1024 * 1024
            if result.video is not None:
                video = take_file(job_dir, f"out/{result.video}",
                                  workdir / f"{prefix}-{request['scene']}.mp4", max_bytes=cap)
            keyframes = []
            for k in result.keyframes:
                target = take_file(job_dir, f"out/{k.image}", workdir / f"{prefix}-{k.image}",
                                   max_bytes=KEYFRAME_BYTES)
                keyframes.append({**k.model_dump(), "image": str(target)})
            section.update({"video": str(video) if video else None,
                            "duration_s": result.duration_s,
                            "num_plays": result.num_plays, "keyframes": keyframes,
                            "scene_frame": result.scene_frame.model_dump()})
            return section
        except SandboxError as exc:
            return {"scene": request["scene"], "status": "error", "reason": exc.reason,
                    "error": {"kind": "UnsafeOutput" if exc.reason == "unsafe_output"
                              else "BadAnswer" if exc.reason == "bad_answer" else "Output",
                              "message": f"{exc.reason}: {exc}", "line": None,
                              "traceback": None}}
        finally:
            if job_dir is not None and not job_dir.is_symlink() and \
                    _inside(job_dir, [*self._scratch, *_roots(worker)]):
                shutil.rmtree(job_dir, ignore_errors=True)

    def _scratch_of(self, worker: Worker) -> Path | None:
        for w, folder in zip(self._workers, self._scratch, strict=False):
            if w is worker:
                return folder
        return None

    @staticmethod
    def _section_result(answer: WorkerAnswer, cold: bool, scene: str) -> dict[str, Any]:
        section: dict[str, Any] = {
            "scene": scene, "status": answer.status if not answer.ok else "ok",
            "worker_s": answer.duration_s, "worker_started": cold,
            "stdout": answer.stdout[-4000:], "stderr": answer.stderr[-4000:],
            "output_truncated": answer.output_truncated}
        if not answer.ok:
            section["error"] = (answer.error or SceneError(message="unknown")).model_dump()
        return section

    def _assemble(self, sections: list[dict[str, Any]], chosen: list[str], workdir: Path,
                  started: float, base_meta: dict[str, Any],
                  failed: Callable[..., Rendering]) -> Rendering:
        summary = [{k: v for k, v in s.items() if k != "keyframes"} for s in sections]
        bad = [(i, s) for i, s in enumerate(sections) if s["status"] != "ok"]
        meta = {**base_meta, "scenes": chosen, "sections": summary,
                "sections_total": len(sections), "sections_ok": len(sections) - len(bad)}
        if bad:
            lines = []
            for i, s in bad:
                err = s.get("error") or {}
                where = f" (line {err['line']})" if err.get("line") else ""
                lines.append(f"section {i + 1}/{len(sections)} `{s['scene']}` failed: "
                             f"{err.get('kind', 'Error')}{where}: {err.get('message', '')}")
                if err.get("traceback"):
                    lines.append(err["traceback"])
            status = "timeout" if all(s["status"] == "timeout" for _, s in bad) else "error"
            return failed(status, "\n".join(lines), error=bad[0][1].get("error"), **{
                k: v for k, v in meta.items() if k not in base_meta})
        keyframes: list[dict[str, Any]] = []
        offset = 0.0
        for i, s in enumerate(sections):
            for k in s["keyframes"]:
                keyframes.append({**k, "section": i, "scene": s["scene"],
                                  "section_time_s": k["time_s"],
                                  "time_s": round(offset + float(k["time_s"]), 4)})
            offset += float(s["duration_s"])
        joined = workdir / "video.mp4"
        video: Path | None = joined
        parts = [Path(s["video"]) for s in sections if s.get("video")]
        try:
            if not parts:  # only still scenes (no animation): images, no video
                video, length = None, 0.0
            elif len(parts) == 1:
                shutil.copyfile(parts[0], joined)
                length = float(next(s["duration_s"] for s in sections if s.get("video")))
            else:
                length = concatenate(parts, joined)
        except Exception as exc:  # a broken section file fails this render, not the run
            return failed("error", f"joining the sections failed: {exc}")
        images = [Path(s["keyframes"][-1]["image"]) for s in sections if s["keyframes"]]
        width, height = base_meta["pixel_size"]
        return Rendering(
            status="ok", renderer=self.name, renderer_version=self.manim_version,
            images=images, video=video, frames=[Path(k["image"]) for k in keyframes],
            width=width, height=height, duration_s=time.perf_counter() - started,
            metadata={**meta, "scene_frame": sections[0]["scene_frame"],
                      "video_duration_s": round(length, 4), "keyframes": keyframes},
        )


def _inside(path: Path, roots: list[Path]) -> bool:
    p = path.resolve()
    return any(p.is_relative_to(r.resolve()) and p != r.resolve() for r in roots)


def _roots(worker: Worker) -> list[Path]:
    """The folder the core sandbox made for the worker's last job, if any."""
    job = getattr(worker, "job_dir", None)
    return [job] if isinstance(job, Path) else []


def _legacy(raw: dict[str, Any]) -> dict[str, Any]:
    """`serve`'s own answer to a handler that raised (`{"ok": false, "kind", "error":
    str}`) in the shape of `WorkerAnswer`; every other answer is passed on untouched."""
    if isinstance(raw, dict) and raw.get("ok") is False and isinstance(raw.get("error"), str) \
            and "job" not in raw:
        return {"ok": False, "status": "error", "job": "none", "error": {
            "kind": str(raw.get("kind") or "Error")[:200], "message": raw["error"]}}
    return raw


def _release(workers: list[Worker], folders: list[Path],
             threads: ThreadPoolExecutor) -> None:
    for worker in workers:
        worker.close()
    threads.shutdown(wait=False)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
