"""The `chromium` (HTML) and `chromium-svg` (SVG) renderers.

`chromium` renders the `html` artifact of an `html` execution at the RenderSpec's size
(viewport `width` x `height` CSS pixels, device scale factor `scale`), replaying the
execution's actions first, so the picture is the screen after the last action. Its
`Rendering.metadata` carries, besides the canvas:

- `interactive`: the interactive elements (links, buttons, inputs, ARIA widgets), each
  `{tag, type, role, text, selector, box}` with `box = [x, y, width, height]` in pixels of
  the rendered image (what `set-of-marks` draws);
- `text_blocks`: each element's own text, `{text, box, color, selector}` with `color`
  the computed RGB (what the `design2code` metric matches).

`chromium-svg` renders the `svg` artifact of an `svg` execution in the same browser,
fitted to the canvas by the SVG plugin's rules (`svg_canvas.py`) and shown through an
`<img>` (which runs no script and loads nothing), so a pipeline swaps cairosvg or resvg
for the browser's renderer by changing `renderer.use` only.
"""

from __future__ import annotations

import base64
import math
import shutil
import time
from pathlib import Path
from typing import Any, ClassVar, Literal

from PIL import ImageColor
from pydantic import Field

from visioncode import (
    ComponentContext,
    ComponentOptions,
    Execution,
    Renderer,
    Rendering,
    RenderSpec,
)

from .client import BrowserClient, BrowserLimits
from .svg_canvas import SvgCanvasError, fit_svg


class AnimationOptions(ComponentOptions):
    """How an animation is captured when the RenderSpec asks for frames (`fps`,
    `frames`): frame k shows the page at exactly k / fps seconds."""

    duration_s: float = Field(2.0, gt=0, le=600, description="seconds captured when the "
                              "RenderSpec gives `fps` but not `frames` (frames = "
                              "ceil(duration_s * fps))")
    default_fps: int = Field(30, ge=1, le=240, description="frames per second when the "
                             "RenderSpec gives `frames` but not `fps`")
    max_frames: int = Field(600, ge=1, le=3600, description="most frames one render may "
                            "capture; a RenderSpec asking for more is an error")
    video: bool = Field(True, description="also encode the frames as an H.264 MP4 "
                        "(`Rendering.video`)")


class ChromiumOptions(ComponentOptions):
    """Options of the HTML renderer."""

    full_page: bool = Field(False, description="screenshot the whole document (its height "
                            "decides the image's) instead of the viewport")
    replay_actions: bool = Field(True, description="replay the execution's actions before "
                                 "the screenshot (off: the page as loaded)")
    limits: BrowserLimits = Field(default_factory=BrowserLimits,
                                  description="time and memory of one render")
    animation: AnimationOptions = Field(default_factory=AnimationOptions,
                                        description="frame capture (RenderSpec fps/frames)")


class ChromiumSvgOptions(ComponentOptions):
    """Options of the SVG renderer."""

    limits: BrowserLimits = Field(default_factory=BrowserLimits,
                                  description="time and memory of one render")
    animation: AnimationOptions = Field(default_factory=AnimationOptions,
                                        description="frame capture (RenderSpec fps/frames)")


class _BrowserRenderer(Renderer):
    """The shared client and the answer -> Rendering conversion."""

    engine: ClassVar[str] = "chromium"

    def __init__(self, options: ComponentOptions | None = None,
                 context: ComponentContext | None = None) -> None:
        super().__init__(options, context)
        self._client: BrowserClient | None = None
        self._version = "Chromium"

    @property
    def client(self) -> BrowserClient:
        if self._client is None:
            limits: BrowserLimits = self.options.limits  # type: ignore[attr-defined]
            self._client = BrowserClient(limits)
        return self._client

    def _failed(self, status: Literal["error", "timeout"], error: str, start: float,
                **meta: Any) -> Rendering:
        return Rendering(status=status, renderer=self.name, renderer_version=self._version,
                         error=error, duration_s=time.perf_counter() - start,
                         metadata={"engine": self.engine, **meta})

    def _animation(self, spec: RenderSpec) -> tuple[int, int] | str | None:
        """(frames, fps) when the RenderSpec asks for frames, None for a still picture,
        or the error when it asks for too many."""
        if spec.fps is None and spec.frames is None:
            return None
        o: AnimationOptions = self.options.animation  # type: ignore[attr-defined]
        fps = spec.fps or o.default_fps
        frames = spec.frames or math.ceil(o.duration_s * fps - 1e-9)
        if frames > o.max_frames:
            return (f"RenderSpec asks for {frames} frames; this renderer captures at most "
                    f"{o.max_frames} (raise renderer.options.animation.max_frames or lower "
                    "render.frames / render.fps)")
        return frames, fps

    def _job(self, request: dict[str, Any], workdir: Path, start: float,
             meta: dict[str, Any], spec: RenderSpec) -> Rendering:
        out_dir = workdir / "render-steps"
        shutil.rmtree(out_dir, ignore_errors=True)
        animation = self._animation(spec)
        if isinstance(animation, str):
            return self._failed("error", animation, start, **meta)
        if animation is not None:
            request = {**request, "frames": animation[0], "fps": animation[1]}
        answer = self.client.run({**request, "out_dir": str(out_dir), "shots": "last"})
        self._version = answer.get("version") or self._version
        status = answer.get("status")
        if status != "ok":
            reason = answer.get("reason") or str(status)
            return self._failed("timeout" if status == "timeout" else "error",
                                f"{status}: {reason}", start, **meta)
        if animation is not None:
            return self._frames(answer, workdir, out_dir, start, meta, spec)
        last = answer["steps"][-1]
        png = workdir / "render.png"
        shutil.move(last["screenshot"], png)
        shutil.rmtree(out_dir, ignore_errors=True)
        from PIL import Image

        with Image.open(png) as im:
            width, height = im.size
        return Rendering(
            status="ok", renderer=self.name, renderer_version=self._version, images=[png],
            width=width, height=height, duration_s=time.perf_counter() - start,
            metadata={"engine": self.engine, **meta,
                      "interactive": last.get("interactive", []),
                      "text_blocks": last.get("text_blocks", []),
                      "url": last.get("url"), "scroll": last.get("scroll"),
                      "blocked_count": answer.get("blocked_count", 0),
                      "browser_restarted": bool(answer.get("restarted"))},
        )

    def _frames(self, answer: dict[str, Any], workdir: Path, out_dir: Path, start: float,
                meta: dict[str, Any], spec: RenderSpec) -> Rendering:
        """The frames as files, the last one as the primary image, and the video."""
        from PIL import Image

        frames_dir = workdir / "frames"
        shutil.rmtree(frames_dir, ignore_errors=True)
        frames_dir.mkdir(parents=True)
        frames = []
        for path in answer.get("frames") or []:
            dest = frames_dir / Path(path).name
            shutil.move(path, dest)
            frames.append(dest)
        if not frames:
            return self._failed("error", "the browser captured no frame", start, **meta)
        png = workdir / "render.png"
        shutil.copyfile(frames[-1], png)
        shutil.rmtree(out_dir, ignore_errors=True)
        fps = int(answer["fps"])
        video = None
        if self.options.animation.video:  # type: ignore[attr-defined]
            from .video import encode_h264

            video = encode_h264(frames, workdir / "render.mp4", fps, spec.background)
        with Image.open(png) as im:
            width, height = im.size
        times = [round(k / fps, 6) for k in range(len(frames))]
        final = answer.get("final") or {}
        return Rendering(
            status="ok", renderer=self.name, renderer_version=self._version, images=[png],
            frames=frames, video=video, width=width, height=height,
            duration_s=time.perf_counter() - start,
            metadata={"engine": self.engine, **meta, "fps": fps, "frames": len(frames),
                      "frame_times_s": times,
                      "keyframes": [{"time_s": t, "index": k} for k, t in enumerate(times)],
                      "clock": answer.get("clock", {}),
                      "interactive": final.get("interactive", []),
                      "text_blocks": final.get("text_blocks", []),
                      "blocked_count": answer.get("blocked_count", 0),
                      "browser_restarted": bool(answer.get("restarted"))},
        )

    @staticmethod
    def _background_error(spec: RenderSpec) -> str | None:
        if spec.background is None:
            return None
        try:
            ImageColor.getrgb(spec.background)
        except ValueError:
            return (f"RenderSpec.background {spec.background!r} is not a colour (use e.g. "
                    "'#ffffff', 'white', 'rgb(0,0,0)' or null)")
        return None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class ChromiumRenderer(_BrowserRenderer):
    """Screenshots an HTML page in the sandboxed system Chromium at the RenderSpec's
    canvas, after replaying the execution's GUI actions; records the interactive
    elements and text blocks with their boxes for visual prompts and Design2Code scores."""

    default_executor = "html"
    Options = ChromiumOptions
    options: ChromiumOptions

    def render(self, execution: Execution, spec: RenderSpec, workdir: Path) -> Rendering:
        start = time.perf_counter()
        canvas = {"width": spec.width, "height": spec.height, "scale": spec.scale,
                  "background": spec.background, "full_page": self.options.full_page}
        if not execution.ok:
            return self._failed("error", f"nothing to render: {execution.status}", start,
                                canvas=canvas)
        page = execution.artifacts.get("html")
        if page is None:
            return self._failed("error", "nothing to render: the execution has no 'html' "
                                "artifact (use the html executor)", start, canvas=canvas)
        if (problem := self._background_error(spec)) is not None:
            return self._failed("error", problem, start, canvas=canvas)
        actions = execution.metadata.get("actions", []) if self.options.replay_actions else []
        workdir = Path(workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        return self._job({"html": str(page), "width": spec.width, "height": spec.height,
                          "scale": spec.scale, "background": spec.background,
                          "full_page": self.options.full_page, "actions": actions,
                          "dom": False, "collect": True,
                          "timeout_s": self.options.limits.timeout_s},
                         workdir, start, {"canvas": canvas, "actions": len(actions)}, spec)


class ChromiumSvgRenderer(_BrowserRenderer):
    """Renders an SVG program with Chromium's SVG engine, on the same canvas and with the
    same fit and background rules as `cairosvg` and `resvg`, so the browser's rendering
    can stand in for (or be compared with) theirs."""

    default_executor = "svg"
    engine = "chromium-svg"
    Options = ChromiumSvgOptions
    options: ChromiumSvgOptions

    def render(self, execution: Execution, spec: RenderSpec, workdir: Path) -> Rendering:
        start = time.perf_counter()
        width, height = spec.pixel_size
        canvas = {"width": width, "height": height, "fit": spec.fit,
                  "background": spec.background}
        if not execution.ok:
            return self._failed("error", f"nothing to render: {execution.status}", start,
                                canvas=canvas)
        source = execution.artifacts.get("svg")
        if source is None:
            return self._failed("error", "nothing to render: the execution has no 'svg' "
                                "artifact", start, canvas=canvas)
        if (problem := self._background_error(spec)) is not None:
            return self._failed("error", problem, start, canvas=canvas)
        try:
            fitted, view_box, vb_source = fit_svg(
                Path(source).read_text(encoding="utf-8"), spec.width, spec.height, spec.fit)
        except (OSError, UnicodeDecodeError) as exc:
            return self._failed("error", f"cannot read the SVG artifact {source}: {exc}",
                                start, canvas=canvas)
        except SvgCanvasError as exc:
            return self._failed("error", f"the SVG artifact cannot be read: {exc}", start,
                                canvas=canvas)
        workdir = Path(workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        svg_path = workdir / "render.svg"
        svg_path.write_text(fitted, encoding="utf-8")
        meta = {"canvas": canvas, "fit": spec.fit, "svg": str(svg_path),
                "view_box": list(view_box), "view_box_source": vb_source}
        request: dict[str, Any] = {
            "width": spec.width, "height": spec.height, "scale": spec.scale,
            "background": spec.background, "full_page": False, "actions": [], "dom": False,
            "collect": False, "timeout_s": self.options.limits.timeout_s}
        if self._animation(spec) is not None:
            # Frames: the SVG is the document itself, so its SMIL clock and CSS animations
            # can be paused and seeked (an <img> shows them but cannot be told the time).
            return self._job({**request, "html": str(svg_path),
                              "content_type": "image/svg+xml"}, workdir, start, meta, spec)
        data = base64.b64encode(fitted.encode("utf-8")).decode("ascii")
        background = spec.background or "transparent"
        page = workdir / "render-svg.html"
        page.write_text(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>"
            f"html,body{{margin:0;padding:0;overflow:hidden;background:{background}}}"
            f"img{{display:block;width:{spec.width}px;height:{spec.height}px}}</style></head>"
            f"<body><img alt=\"\" src=\"data:image/svg+xml;base64,{data}\"></body></html>",
            encoding="utf-8")
        return self._job({**request, "html": str(page)}, workdir, start, meta, spec)
