"""One scene, rendered inside the sandboxed child the render worker forks for it.

Runs the program file, renders the requested `Scene` class under a fresh `tempconfig`
(so no setting outlives the scene), and records what the critic and the metrics need:
the mp4, a keyframe PNG at every animation boundary (the end of each `play`/`wait`), the
first frame, optional frames at a fixed rate, and for each boundary keyframe the boxes of
the visible mobjects in scene and pixel coordinates, with their text and the program
line that created them. A failure is described by `describe_error`: the exception, the
program's line and the traceback trimmed to the program's frames.

Imported by the worker after Manim is loaded; runs only in the forked child.
"""

from __future__ import annotations

import shutil
import traceback
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

#: Classes whose text the layout critic reads (and whose parts it does not descend into).
TEXT_CLASSES = ("Text", "MarkupText", "Paragraph", "Tex", "MathTex", "SingleStringMathTex",
                "Title", "BulletedList", "Code", "DecimalNumber", "Integer", "Variable")
GROUP_CLASSES = ("VGroup", "Group", "VDict", "Mobject", "VMobject")


#: Where a scene was when it failed, for errors raised outside the program's own lines.
WHERE = {
    "setup": "(raised inside Manim before any line of the program ran)",
    "construct": "(raised inside Manim while construct() ran, in code the program called "
                 "indirectly)",
    "finished": "(raised inside Manim after the program's construct() had finished, "
                "while Manim rendered the scene's last frame or wrote its video)",
}


def describe_error(exc: BaseException, program_file: str,
                   phase: str = "setup") -> dict[str, Any]:
    """The exception as a model can act on it: kind, message, the program's line, and the
    traceback restricted to the program's own frames (Manim's internals are noise to the
    model). `phase` says how far the scene got (`setup`, `construct`, `finished`), so an
    error without a frame of the program says truthfully where it came from."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if f.filename == program_file]
    line = own[-1].lineno if own else None
    if isinstance(exc, SyntaxError) and exc.filename == program_file:
        line = exc.lineno
    kind = type(exc).__name__
    message = str(exc)
    if isinstance(exc, MemoryError):
        message = message or "the scene ran out of memory (over the renderer's memory_mb)"
    missing = getattr(exc, "filename", None)
    if isinstance(exc, FileNotFoundError) and isinstance(missing, str | bytes) and \
            Path(str(missing)).name in ("latex", "dvisvgm", "xelatex", "pdflatex", "lualatex"):
        kind = "LatexMissing"
        message = (f"MathTex/Tex need LaTeX, but the `{Path(str(missing)).name}` program is "
                   "not installed (Debian: apt-get install texlive-latex-base "
                   "texlive-latex-extra dvisvgm; scripts/setup.d/20-manim.sh installs "
                   "them). Use Text for plain text, which needs no LaTeX.")
    lines = ["Traceback (the program's frames only):"]
    for f in own:
        lines.append(f'  line {f.lineno}, in {f.name}')
        if f.line:
            lines.append(f"    {f.line.strip()}")
    if not own:
        lines.append("  " + WHERE.get(phase, WHERE["setup"]))
    lines.append(f"{kind}: {message}")
    return {"kind": kind, "message": message[:2000], "line": line,
            "traceback": "\n".join(lines)[-4000:]}


class Recorder:
    """Collects keyframes while the scene plays (installed by patching
    `CairoRenderer.play` and `Mobject.__init__` in the child only)."""

    def __init__(self, out: Path, program_file: str, pixel_size: tuple[int, int]) -> None:
        self.out, self.program_file = out, program_file
        self.pixel_width, self.pixel_height = pixel_size
        self.keyframes: list[dict[str, Any]] = []
        self.frame_box: dict[str, float] = {}

    # -- source lines ---------------------------------------------------------------------

    def install(self) -> None:
        from manim import Mobject
        from manim.renderer.cairo_renderer import CairoRenderer

        recorder = self
        program_file = self.program_file
        original_init = Mobject.__init__
        original_play = CairoRenderer.play

        def init(mob: Any, *args: Any, **kwargs: Any) -> None:
            if "_vc_line" not in mob.__dict__:
                import sys

                frame: Any = sys._getframe(1)
                depth = 0
                line = None
                while frame is not None and depth < 40:
                    if frame.f_code.co_filename == program_file:
                        line = frame.f_lineno
                        break
                    frame, depth = frame.f_back, depth + 1
                mob.__dict__["_vc_line"] = line
            original_init(mob, *args, **kwargs)

        def play(renderer: Any, scene: Any, *args: Any, **kwargs: Any) -> None:
            original_play(renderer, scene, *args, **kwargs)
            recorder.snapshot(renderer, scene)

        Mobject.__init__ = init  # type: ignore[method-assign,assignment]
        CairoRenderer.play = play  # type: ignore[method-assign,assignment]

    # -- snapshots --------------------------------------------------------------------------

    def scene_frame(self, renderer: Any) -> dict[str, float]:
        camera = renderer.camera
        cx, cy = (float(v) for v in np.asarray(camera.frame_center)[:2])
        w, h = float(camera.frame_width), float(camera.frame_height)
        return {"x_min": cx - w / 2, "x_max": cx + w / 2, "y_min": cy - h / 2,
                "y_max": cy + h / 2}

    def snapshot(self, renderer: Any, scene: Any, kind: str = "boundary") -> None:
        self.frame_box = self.scene_frame(renderer)
        index = len(self.keyframes)
        path = self.out / f"keyframe-{index:03d}.png"
        Image.fromarray(np.asarray(renderer.get_frame())).convert("RGB").save(
            path, compress_level=1)
        self.keyframes.append({
            "index": index, "kind": kind, "time_s": round(float(renderer.time), 4),
            "animation": int(renderer.num_plays) - 1, "image": path.name,
            "mobjects": self.boxes(scene.mobjects),
        })

    def to_pixels(self, x0: float, y0: float, x1: float, y1: float) -> list[float]:
        f = self.frame_box
        sx = self.pixel_width / (f["x_max"] - f["x_min"])
        sy = self.pixel_height / (f["y_max"] - f["y_min"])
        return [round((x0 - f["x_min"]) * sx, 2), round((f["y_max"] - y1) * sy, 2),
                round((x1 - f["x_min"]) * sx, 2), round((f["y_max"] - y0) * sy, 2)]

    def boxes(self, mobjects: list[Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for mob in mobjects:
            self._walk(mob, out, parent=None, depth=0)
        return out

    def _walk(self, mob: Any, out: list[dict[str, Any]], parent: int | None,
              depth: int) -> None:
        entry = self.entry(mob, parent)
        if entry is None:
            return
        out.append(entry)
        here = len(out) - 1
        if entry["is_text"] or depth >= 3:
            return
        for sub in getattr(mob, "submobjects", []):
            name = type(sub).__name__
            if name in TEXT_CLASSES or name in GROUP_CLASSES or getattr(sub, "submobjects", []):
                self._walk(sub, out, here, depth + 1)

    def entry(self, mob: Any, parent: int | None) -> dict[str, Any] | None:
        try:
            family = mob.get_family()
            if not any(len(m.points) for m in family if hasattr(m, "points")) and \
                    type(mob).__name__ != "ImageMobject":
                return None
            x0, y0 = (float(v) for v in mob.get_corner(np.array([-1.0, -1.0, 0.0]))[:2])
            x1, y1 = (float(v) for v in mob.get_corner(np.array([1.0, 1.0, 0.0]))[:2])
        except Exception:  # an odd mobject must not cost the keyframe
            return None
        name = type(mob).__name__
        text = None
        for attr in ("original_text", "tex_string", "text"):
            value = getattr(mob, attr, None)
            if isinstance(value, str):
                text = value
                break
        is_text = name in TEXT_CLASSES or any(c.__name__ in TEXT_CLASSES
                                              for c in type(mob).__mro__)
        return {
            "type": name, "parent": parent, "text": text if is_text else None,
            "is_text": is_text, "line": mob.__dict__.get("_vc_line"),
            "visible": _visible(family),
            "box": [round(x0, 4), round(y0, 4), round(x1, 4), round(y1, 4)],
            "pixels": self.to_pixels(x0, y0, x1, y1),
        }


def _visible(family: list[Any]) -> bool:
    for m in family:
        if not len(getattr(m, "points", [])) and type(m).__name__ != "ImageMobject":
            continue
        try:
            fill = float(np.max(m.get_fill_opacities())) if hasattr(m, "get_fill_opacities") \
                else 1.0
            stroke = float(np.max(m.get_stroke_opacities())) \
                if hasattr(m, "get_stroke_opacities") else 0.0
            width = float(getattr(m, "stroke_width", 0) or 0)
        except Exception:
            return True
        if fill > 0.01 or (stroke > 0.01 and width > 0):
            return True
    return False


def video_frames(video: Path, times: list[float], out: Path, prefix: str) -> list[Path]:
    """Decode the frames shown at `times` (seconds) into PNGs."""
    paths: list[Path] = []
    wanted = sorted(set(times))
    if not wanted:
        return paths
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        last = None
        i = 0
        for frame in container.decode(stream):
            t = float(frame.time or 0.0)
            while i < len(wanted) and t + 1e-6 >= wanted[i]:
                path = out / f"{prefix}-{len(paths):03d}.png"
                frame.to_image().save(path, compress_level=1)
                paths.append(path)
                i += 1
            last = frame
            if i >= len(wanted):
                break
        while i < len(wanted) and last is not None:  # times past the end: the last frame
            path = out / f"{prefix}-{len(paths):03d}.png"
            last.to_image().save(path, compress_level=1)
            paths.append(path)
            i += 1
    return paths


def video_duration(video: Path) -> float:
    with av.open(str(video)) as container:
        if container.duration:
            return container.duration / 1_000_000
        stream = container.streams.video[0]
        return float((stream.duration or 0) * (stream.time_base or 0))


def render_scene(request: dict[str, Any], job_dir: Path) -> dict[str, Any]:
    """Render one scene class of the program in `job_dir` (this process is the child)."""
    from manim import config, tempconfig

    program_file = str(job_dir / "scene.py")
    out = job_dir / "out"
    out.mkdir(exist_ok=True)
    width, height, fps = int(request["width"]), int(request["height"]), int(request["fps"])
    recorder = Recorder(out, program_file, (width, height))
    recorder.install()
    settings = {
        "media_dir": str(job_dir / "media"), "pixel_width": width, "pixel_height": height,
        "frame_rate": fps, "frame_height": 8.0, "frame_width": 8.0 * width / height,
        "disable_caching": True, "verbosity": "WARNING", "progress_bar": "none",
        "write_to_movie": True, "background_color": request.get(
            "background") or "#000000",
        "output_file": "section", "preview": False,
    }
    namespace: dict[str, Any] = {"__name__": "__visioncode_scene__", "__file__": program_file}
    scene_name = request["scene"]
    phase = {"now": "setup"}
    try:
        with tempconfig(settings):
            code = compile(Path(program_file).read_text(encoding="utf-8"), program_file, "exec")
            exec(code, namespace)
            cls = namespace.get(scene_name)
            if cls is None:
                raise NameError(f"the program defines no scene class {scene_name!r}")
            own_construct = cls.construct

            def construct(self: Any) -> None:
                phase["now"] = "construct"
                own_construct(self)
                phase["now"] = "finished"

            cls.construct = construct  # only in this scene's own child process
            scene = cls()
            scene.render()
            movie = Path(scene.renderer.file_writer.movie_file_path)
            num_plays = int(scene.renderer.num_plays)
            if num_plays == 0 or not recorder.keyframes:
                # a scene that only adds mobjects: its one frame is the whole video
                recorder.snapshot(scene.renderer, scene, kind="still")
            frame_box = recorder.scene_frame(scene.renderer)
            background = str(config.background_color)
    except BaseException as exc:
        return {"ok": False, "error": describe_error(exc, program_file, phase["now"]),
                "keyframes": recorder.keyframes}
    if num_plays == 0:
        # nothing animated: Manim writes no video, the one frame is the result
        return {"ok": True, "video": None, "duration_s": 0.0, "num_plays": 0,
                "keyframes": recorder.keyframes, "scene_frame": frame_box,
                "background": background}
    if not movie.is_file():
        return {"ok": False, "error": {
            "kind": "NoVideo", "message": "Manim wrote no video (does the scene call "
            "self.play or self.wait?)", "line": None, "traceback": None},
            "keyframes": recorder.keyframes}
    video = out / "section.mp4"
    shutil.move(str(movie), video)
    duration = video_duration(video)
    extra: list[dict[str, Any]] = []
    times = [0.0]
    rate = float(request.get("keyframe_rate") or 0)
    if rate > 0:
        step = 1.0 / rate
        times += [round(k * step, 4) for k in range(1, int(duration / step) + 1)]
    for t, path in zip(times, video_frames(video, times, out, "frame"), strict=False):
        extra.append({"kind": "first" if t == 0.0 else "rate", "time_s": t,
                      "image": path.name, "mobjects": None})
    if recorder.keyframes:
        recorder.keyframes[-1]["kind"] = "last" if recorder.keyframes[-1]["kind"] == \
            "boundary" else recorder.keyframes[-1]["kind"]
    keyframes = sorted(extra + recorder.keyframes,
                       key=lambda k: (k["time_s"], k["kind"] not in ("first",)))
    return {"ok": True, "video": video.name, "duration_s": duration,
            "num_plays": num_plays, "keyframes": keyframes, "scene_frame": frame_box,
            "background": background}
