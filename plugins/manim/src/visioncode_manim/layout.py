"""The `layout` critic: layout faults found from the mobject boxes, with no model.

Reads the keyframes the `manim` renderer records (`metadata["keyframes"]`, each with the
boxes of its visible mobjects) and reports, in anchor-grid cells and tied to the program
line that created the mobject:

- **out of frame**: a visible mobject whose box reaches past the frame's edge;
- **overlapping text**: two visible text mobjects (neither inside the other) whose boxes
  overlap by more than `overlap_ratio` of the smaller one;
- **small text**: text whose line height at the output resolution is under
  `min_text_px` pixels;
- **empty frames**: an animation boundary with nothing visible (a section's last
  keyframe is exempt: fading everything out at the end is normal);
- **overfull frames**: the visible boxes cover more than `overfull_ratio` of the frame,
  or more than `max_texts` text mobjects are on screen.

The same fault seen on several keyframes is reported once, at its first keyframe. The
values are counts (lower is better); `details["feedback"]` is the report a critic or the
coder reads (empty when the layout is clean, which ends a `critic_mode = "feedback"`
loop), `details["faults"]` the same as data.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from visioncode import ComponentOptions, FailurePolicy, Metric, RoundRecord, Sample, Score

from .grid import AnchorGrid, SceneFrame

KINDS = ("out_of_frame", "text_overlap", "small_text", "empty_frame", "overfull_frame")


class LayoutOptions(ComponentOptions):
    columns: int = Field(8, ge=1, le=52, description="anchor-grid columns used to name "
                         "places (match the anchor-grid prompter's)")
    rows: int = Field(6, ge=1, le=99, description="anchor-grid rows used to name places")
    margin: float = Field(0.02, ge=0, le=1, description="how far (scene units) a box may "
                          "pass the frame edge before it counts as out of frame")
    overlap_ratio: float = Field(0.1, gt=0, le=1, description="text boxes overlapping by "
                                 "more than this share of the smaller box are a fault")
    min_text_px: float = Field(14.0, ge=0, description="smallest readable line height in "
                               "pixels at the output resolution")
    overfull_ratio: float = Field(0.85, gt=0, le=1, description="share of the frame the "
                                  "visible boxes may cover")
    max_texts: int = Field(14, ge=1, description="most text mobjects on screen at once")


class Fault(BaseModel):
    kind: str
    section: int | None = None
    scene: str | None = None
    time_s: float | None = None
    line: int | None = None
    lines: list[int] = Field(default_factory=list)
    cells: str = ""
    message: str


def _label(m: dict[str, Any]) -> str:
    text = m.get("text")
    name = str(m.get("type", "Mobject"))
    if isinstance(text, str) and text.strip():
        short = " ".join(text.split())
        return f'{name} "{short[:40]}{"..." if len(short) > 40 else ""}"'
    return name


def _at(m: dict[str, Any]) -> str:
    return f" (line {m['line']})" if m.get("line") else ""


def _ancestors(mobjects: list[dict[str, Any]], i: int) -> set[int]:
    seen: set[int] = set()
    parent = mobjects[i].get("parent")
    while isinstance(parent, int) and parent not in seen and 0 <= parent < len(mobjects):
        seen.add(parent)
        parent = mobjects[parent].get("parent")
    return seen


def analyse(keyframes: list[dict[str, Any]], scene_frame: SceneFrame,
            pixel_size: tuple[int, int], options: LayoutOptions) -> list[Fault]:
    """Every distinct layout fault in `keyframes` (see the module docstring)."""
    width, height = pixel_size
    grid = AnchorGrid(width, height, options.columns, options.rows, scene_frame)
    faults: list[Fault] = []
    seen: set[tuple[Any, ...]] = set()
    last_of_section: dict[Any, int] = {}
    for i, k in enumerate(keyframes):
        if k.get("mobjects") is not None:
            last_of_section[k.get("section")] = i

    def cells(box: list[float]) -> str:
        x0, y0, x1, y1 = box
        px0, py0 = grid.scene_to_pixel(x0, y1)
        px1, py1 = grid.scene_to_pixel(x1, y0)
        return grid.span(grid.cells_in_pixel_box(px0, py0, px1, py1))

    def add(key: tuple[Any, ...], k: dict[str, Any], fault: Fault) -> None:
        if key in seen:
            return
        seen.add(key)
        fault.section, fault.scene, fault.time_s = k.get("section"), k.get("scene"), \
            k.get("time_s")
        faults.append(fault)

    f = scene_frame
    for index, k in enumerate(keyframes):
        mobjects = k.get("mobjects")
        if mobjects is None:
            continue
        visible = [i for i, m in enumerate(mobjects) if m.get("visible", True)]
        # -- empty / overfull -----------------------------------------------------------
        if not visible:
            if last_of_section.get(k.get("section")) != index:
                add(("empty", k.get("section"), k.get("time_s")), k, Fault(
                    kind="empty_frame", message="the frame is empty at the end of this "
                    "animation: nothing is visible (add content or shorten the pause)"))
            continue
        top = [i for i in visible if mobjects[i].get("parent") is None]
        coverage = _coverage([mobjects[i]["box"] for i in top], f)
        texts = [i for i in visible if mobjects[i].get("is_text")]
        if coverage > options.overfull_ratio or len(texts) > options.max_texts:
            add(("overfull", k.get("section")), k, Fault(
                kind="overfull_frame", lines=sorted({mobjects[i]["line"] for i in top
                                                     if mobjects[i].get("line")}),
                message=f"the frame is overfull: visible elements cover "
                        f"{coverage:.0%} of it and {len(texts)} text elements are on "
                        "screen; split the content over more animations or scenes, or "
                        "remove what is no longer needed (FadeOut) before adding more"))
        # -- out of frame ----------------------------------------------------------------
        for i in visible:
            m = mobjects[i]
            if m.get("parent") is not None and not m.get("is_text"):
                continue
            x0, y0, x1, y1 = m["box"]
            sides = []
            if x0 < f.x_min - options.margin:
                sides.append(f"left by {f.x_min - x0:.2f}")
            if x1 > f.x_max + options.margin:
                sides.append(f"right by {x1 - f.x_max:.2f}")
            if y1 > f.y_max + options.margin:
                sides.append(f"top by {y1 - f.y_max:.2f}")
            if y0 < f.y_min - options.margin:
                sides.append(f"bottom by {f.y_min - y0:.2f}")
            if sides:
                add(("out", m.get("type"), m.get("line"), m.get("text"),
                     tuple(round(v, 1) for v in m["box"])), k, Fault(
                    kind="out_of_frame", line=m.get("line"), cells=cells(m["box"]),
                    message=f"{_label(m)}{_at(m)} is out of frame: it passes the "
                            f"{', '.join(sides)} scene units (box x {x0:.2f}..{x1:.2f}, "
                            f"y {y0:.2f}..{y1:.2f}; frame x {f.x_min:.2f}..{f.x_max:.2f}, "
                            f"y {f.y_min:.2f}..{f.y_max:.2f}); visible part in "
                            f"{cells(m['box'])}. Move or scale it into the frame."))
        # -- small text ------------------------------------------------------------------
        for i in texts:
            m = mobjects[i]
            px = m.get("pixels") or [0, 0, 0, 0]
            lines = (m.get("text") or "").count("\n") + 1
            line_px = abs(px[3] - px[1]) / max(lines, 1)
            if 0 < line_px < options.min_text_px:
                add(("small", m.get("line"), m.get("text")), k, Fault(
                    kind="small_text", line=m.get("line"), cells=cells(m["box"]),
                    message=f"{_label(m)}{_at(m)} in {cells(m['box'])} is too small to "
                            f"read: its lines are {line_px:.0f} px tall at "
                            f"{width}x{height} (at least {options.min_text_px:.0f} px); "
                            "use a larger font_size or scale it up"))
        # -- overlapping text --------------------------------------------------------------
        for a_pos, a in enumerate(texts):
            for b in texts[a_pos + 1:]:
                if a in _ancestors(mobjects, b) or b in _ancestors(mobjects, a):
                    continue
                ma, mb = mobjects[a], mobjects[b]
                inter = _intersection(ma["box"], mb["box"])
                if inter is None:
                    continue
                smaller = min(_area(ma["box"]), _area(mb["box"]))
                if smaller <= 0 or _area(inter) / smaller <= options.overlap_ratio:
                    continue
                key = ("overlap", *sorted([(ma.get("line") or 0, ma.get("text") or ""),
                                           (mb.get("line") or 0, mb.get("text") or "")]))
                add(key, k, Fault(
                    kind="text_overlap", line=ma.get("line") or mb.get("line"),
                    lines=sorted({x for x in (ma.get("line"), mb.get("line")) if x}),
                    cells=cells(inter),
                    message=f"{_label(ma)}{_at(ma)} overlaps {_label(mb)}{_at(mb)} in "
                            f"{cells(inter)} ({_area(inter) / smaller:.0%} of the smaller "
                            "one); move one of them (e.g. next_to(..., DOWN) or "
                            "arrange(DOWN, buff=0.4)) or remove the first before showing "
                            "the second"))
    return faults


def _area(box: list[float] | tuple[float, ...]) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _intersection(a: list[float], b: list[float]) -> list[float] | None:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    if x1 <= x0 or y1 <= y0:
        return None
    return [x0, y0, x1, y1]


def _coverage(boxes: list[list[float]], f: SceneFrame, cells: int = 96) -> float:
    """Share of the frame covered by the union of `boxes` (on a cells x cells raster)."""
    if not boxes:
        return 0.0
    import numpy as np

    raster = np.zeros((cells, cells), dtype=bool)
    w, h = f.x_max - f.x_min, f.y_max - f.y_min
    for x0, y0, x1, y1 in boxes:
        c0 = int(np.clip((x0 - f.x_min) / w * cells, 0, cells))
        c1 = int(np.clip(np.ceil((x1 - f.x_min) / w * cells), 0, cells))
        r0 = int(np.clip((f.y_max - y1) / h * cells, 0, cells))
        r1 = int(np.clip(np.ceil((f.y_max - y0) / h * cells), 0, cells))
        raster[r0:r1, c0:c1] = True
    return float(raster.mean())


def report(faults: list[Fault], columns: int, rows: int) -> str:
    """The faults as a critic or the coder reads them ("" when there are none)."""
    if not faults:
        return ""
    from .grid import column_label

    lines = [f"{len(faults)} layout fault(s). Places are anchor-grid cells: columns "
             f"A..{column_label(columns - 1)} left to right, rows 1..{rows} top to bottom."]
    for fault in faults:
        where = []
        if fault.scene is not None:
            where.append(f"scene {fault.scene}")
        if fault.time_s is not None:
            where.append(f"t={fault.time_s:.1f}s")
        lines.append(f"- [{fault.kind}{'; ' + ', '.join(where) if where else ''}] "
                     f"{fault.message}")
    return "\n".join(lines)


class LayoutMetric(Metric):
    """Counts layout faults (out of frame, overlapping text, unreadably small text,
    empty and overfull frames) from the mobject boxes of a Manim rendering, and writes
    them as feedback in anchor-grid cells with the program lines to change."""

    Options = LayoutOptions
    options: LayoutOptions

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        names = ["faults", *KINDS]
        lower = dict.fromkeys(names, False)
        rendering = result.rendering
        if rendering is None or not rendering.ok:
            return Score(metric=self.name, values=dict.fromkeys(names), rendered=False,
                         policy=FailurePolicy.exclude, higher_is_better=lower,
                         details={"feedback": ""})
        frame = SceneFrame.from_metadata(rendering.metadata)
        keyframes = rendering.metadata.get("keyframes")
        size = rendering.metadata.get("pixel_size") or [rendering.width, rendering.height]
        if frame is None or not isinstance(keyframes, list) or not all(size):
            return Score(metric=self.name, values=dict.fromkeys(names), rendered=True,
                         policy=FailurePolicy.exclude, higher_is_better=lower,
                         details={"feedback": "", "note": "the rendering has no mobject "
                                  "boxes (metadata keyframes/scene_frame); layout not checked"})
        faults = analyse(keyframes, frame, (int(size[0]), int(size[1])), self.options)
        counts = {kind: float(sum(f.kind == kind for f in faults)) for kind in KINDS}
        return Score(
            metric=self.name, values={"faults": float(len(faults)), **counts},
            policy=FailurePolicy.exclude, higher_is_better=lower,
            details={"feedback": report(faults, self.options.columns, self.options.rows),
                     "faults": [f.model_dump() for f in faults]})
