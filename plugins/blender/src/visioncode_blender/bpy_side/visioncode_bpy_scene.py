"""The jobs of the bpy worker: run a scene program, render a saved scene.

Each runs in its own child forked from the worker's zygote, which holds a factory-clean,
empty Blender (`warm_up`) and never runs a program, so every job starts from that state
and nothing of one sample leaks into the next (renders then `open_mainfile` the saved
scene). Files are read and written only in the job folder the request names (the child's
working folder); answers name them relative to it.
"""

from __future__ import annotations

import io
import math
import os
import sys
import traceback
from typing import Any

import bpy
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Vector

#: Program output kept per stream; the rest is counted and dropped.
OUTPUT_CAP = 64 * 1024
#: Objects listed in a scene summary or in a render's boxes; the rest are counted.
MAX_OBJECTS = 200
#: Meshes with more vertices are boxed from their bounding box corners.
MAX_BOX_VERTICES = 20000
ENGINES = {"cycles": "CYCLES", "workbench": "BLENDER_WORKBENCH", "eevee": "BLENDER_EEVEE"}


class _CappedText(io.TextIOBase):
    """A text stream that keeps the first OUTPUT_CAP characters and counts the rest."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.kept = 0
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        room = OUTPUT_CAP - self.kept
        if room > 0:
            self.parts.append(s[:room])
            self.kept += min(len(s), room)
        self.dropped += max(len(s) - max(room, 0), 0)
        return len(s)

    def text(self) -> str:
        tail = f"\n[... {self.dropped} more characters dropped]" if self.dropped else ""
        return "".join(self.parts) + tail


def warm_up() -> None:
    """Load what the first job would otherwise pay for (operators, the factory scene)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _program_error(exc: BaseException, filename: str) -> dict[str, Any]:
    """Kind, message, and the line of the program (not of the worker) where it failed."""
    line = None
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        line = exc.lineno
    else:
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == filename:
                line = frame.lineno
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    # The worker's own frames are noise to a model: keep the program's.
    kept = [x for x in lines if "visioncode_bpy_" not in x]
    message = str(exc) or type(exc).__name__
    if isinstance(exc, SystemExit):
        message = f"the program called sys.exit({exc.code!r}); a scene program must not exit"
    return {"kind": type(exc).__name__, "message": message[:2000], "line": line,
            "traceback": "".join(kept)[-4000:]}


def _run(program: str, filename: str, out: _CappedText, err: _CappedText) -> dict[str, Any] | None:
    """Execute one program with its prints captured; its error, or None."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = compile(program, filename, "exec")
        exec(code, {"__name__": "__main__", "__file__": filename, "bpy": bpy})
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        return _program_error(exc, filename)
    finally:
        sys.stdout, sys.stderr = saved
    return None


def execute(request: dict[str, Any]) -> dict[str, Any]:
    """Run `program` in a clean scene, save `<job>/scene.blend`, summarise it; with
    `simulate`, run the follow-up program, bake the rigid bodies and save
    `<job>/simulation.blend` too."""
    job = request["job"]
    os.chdir(job)
    out, err = _CappedText(), _CappedText()
    answer: dict[str, Any] = {"ok": True, "status": "ok", "files": {}}
    error = _run(request["program"], "<program>", out, err)
    if error is None:
        blend = os.path.join(job, "scene.blend")
        bpy.ops.wm.save_as_mainfile(filepath=blend, copy=True, compress=False)
        answer["files"]["scene"] = "scene.blend"
        answer["summary"] = summarize(bpy.context.scene)
        simulate = request.get("simulate")
        if simulate:
            error = _simulate(simulate, job, answer, out, err)
    if error is not None:
        answer["status"] = "error"
        answer["error"] = error
    answer["stdout"], answer["stderr"] = out.text(), err.text()
    return answer


def _simulate(simulate: dict[str, Any], job: str, answer: dict[str, Any],
              out: _CappedText, err: _CappedText) -> dict[str, Any] | None:
    follow_up = simulate.get("program")
    if follow_up:
        error = _run(follow_up, "<simulate>", out, err)
        if error is not None:
            error["message"] = f"in the simulate program: {error['message']}"
            return error
    scene = bpy.context.scene
    frames = int(simulate["frames"])
    bodies = [o for o in scene.objects if o.rigid_body is not None]
    if scene.rigidbody_world is None or not bodies:
        return {"kind": "NoRigidBodies", "line": None, "traceback": None,
                "message": "simulate asks for a physics bake but the scene has no rigid "
                           "bodies (use bpy.ops.rigidbody.object_add() on the objects)"}
    scene.frame_start, scene.frame_end = 1, frames
    cache = scene.rigidbody_world.point_cache
    cache.frame_start, cache.frame_end = 1, frames
    scene.frame_set(1)
    before = {o.name: list(o.matrix_world.translation) for o in bodies}
    with bpy.context.temp_override(scene=scene, point_cache=cache):
        bpy.ops.ptcache.bake(bake=True)
    scene.frame_set(frames)
    after = {o.name: list(o.matrix_world.translation) for o in bodies}
    blend = os.path.join(job, "simulation.blend")
    bpy.ops.wm.save_as_mainfile(filepath=blend, copy=True, compress=False)
    answer["files"]["simulation"] = "simulation.blend"
    moved = {n: math.dist(before[n], after[n]) for n in before}
    answer["simulation"] = {
        "frames": frames, "fps": scene.render.fps, "bodies": sorted(before),
        "positions_first": _rounded(before), "positions_last": _rounded(after),
        "displacement": {n: round(d, 5) for n, d in sorted(moved.items())},
        "summary": summarize(scene),
    }
    return None


def _rounded(positions: dict[str, list[float]]) -> dict[str, list[float]]:
    return {n: [round(v, 5) for v in p] for n, p in sorted(positions.items())}


def _vec(v: Any) -> list[float]:
    return [round(float(x), 5) for x in v]


def _material(mat: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"name": mat.name, "base_color": _vec(mat.diffuse_color)}
    if mat.use_nodes and mat.node_tree:
        for node in mat.node_tree.nodes:
            if node.type == "BSDF_PRINCIPLED":
                inputs = node.inputs
                info["base_color"] = _vec(inputs["Base Color"].default_value)
                info["metallic"] = round(float(inputs["Metallic"].default_value), 4)
                info["roughness"] = round(float(inputs["Roughness"].default_value), 4)
                break
    return info


def summarize(scene: Any) -> dict[str, Any]:
    """Objects (type, transform, materials), lights, camera, world: what a model needs to
    reason about the scene it wrote, without opening the .blend."""
    objects, lights = [], []
    for obj in list(scene.objects)[:MAX_OBJECTS]:
        entry: dict[str, Any] = {
            "name": obj.name, "type": obj.type, "location": _vec(obj.location),
            "rotation_euler": _vec(obj.rotation_euler), "scale": _vec(obj.scale),
            "dimensions": _vec(obj.dimensions),
            "materials": [s.material.name for s in obj.material_slots if s.material],
        }
        if obj.parent is not None:
            entry["parent"] = obj.parent.name
        if obj.rigid_body is not None:
            entry["rigid_body"] = {"type": obj.rigid_body.type,
                                   "mass": round(obj.rigid_body.mass, 4)}
        objects.append(entry)
        if obj.type == "LIGHT":
            lights.append({"name": obj.name, "type": obj.data.type,
                           "energy": round(float(obj.data.energy), 4),
                           "color": _vec(obj.data.color), "location": _vec(obj.location)})
    cam = scene.camera
    camera = None
    if cam is not None:
        camera = {"name": cam.name, "location": _vec(cam.location),
                  "rotation_euler": _vec(cam.rotation_euler)}
        if cam.type == "CAMERA":
            camera.update(lens=round(cam.data.lens, 4), type=cam.data.type)
    world = None
    if scene.world is not None:
        world = {"name": scene.world.name, "color": _vec(scene.world.color)}
    used = {s.material.name for o in scene.objects for s in o.material_slots if s.material}
    return {
        "objects": objects, "object_count": len(scene.objects),
        "types": sorted({o.type for o in scene.objects}),
        "materials": [_material(m) for m in bpy.data.materials if m.name in used],
        "lights": lights, "camera": camera, "world": world,
        "frame_range": [scene.frame_start, scene.frame_end],
    }


# -- rendering ----------------------------------------------------------------------------


def _look_at(obj: Any, target: Vector) -> None:
    direction = target - obj.location
    obj.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()


def _auto_camera(scene: Any) -> Any:
    """A camera that frames every visible object from the front-right, above."""
    points = [obj.matrix_world @ Vector(c) for obj in scene.objects
              if obj.type in {"MESH", "CURVE", "SURFACE", "META", "FONT"} and not obj.hide_render
              for c in obj.bound_box]
    if not points:
        points = [Vector((0, 0, 0))]
    lo = Vector([min(p[i] for p in points) for i in range(3)])
    hi = Vector([max(p[i] for p in points) for i in range(3)])
    center, radius = (lo + hi) / 2, max((hi - lo).length / 2, 0.5)
    data = bpy.data.cameras.new("visioncode-auto-camera")
    cam = bpy.data.objects.new("visioncode-auto-camera", data)
    scene.collection.objects.link(cam)
    fov = 2 * math.atan(data.sensor_width / (2 * data.lens))
    distance = radius / math.sin(fov / 2) * 1.15
    cam.location = center + Vector((1.0, -1.3, 0.9)).normalized() * distance
    _look_at(cam, center)
    data.clip_end = max(100.0, distance * 4)
    return cam


def _spec_camera(scene: Any, spec: dict[str, Any]) -> Any:
    """The camera RenderSpec.camera describes: location, and look_at or rotation_euler
    (radians), optional lens (mm)."""
    data = bpy.data.cameras.new("visioncode-spec-camera")
    cam = bpy.data.objects.new("visioncode-spec-camera", data)
    scene.collection.objects.link(cam)
    cam.location = Vector(spec.get("location", (7.0, -7.0, 5.0)))
    if "rotation_euler" in spec:
        cam.rotation_euler = spec["rotation_euler"]
    else:
        _look_at(cam, Vector(spec.get("look_at", (0.0, 0.0, 0.0))))
    if "lens" in spec:
        data.lens = float(spec["lens"])
    return cam


def _prepare(request: dict[str, Any]) -> tuple[Any, str]:
    scene = bpy.context.scene
    engine = ENGINES[request["engine"]]
    scene.render.engine = engine
    scene.render.resolution_x, scene.render.resolution_y = request["width"], request["height"]
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = True  # the background colour is composited outside
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGBA"
    scene.render.use_compositing = False
    scene.render.use_sequencer = False
    scene.view_settings.view_transform = request.get("view_transform", "Standard")
    if engine == "CYCLES":
        scene.cycles.device = "CPU"
        scene.cycles.samples = int(request.get("samples", 16))
        scene.cycles.use_denoising = bool(request.get("denoise", False))
        scene.cycles.use_adaptive_sampling = True
    elif engine == "BLENDER_WORKBENCH":
        # Workbench shows a material's viewport colour: take it from the node base colour
        # so the preview has the colours the program gave.
        scene.display.shading.color_type = "MATERIAL"
        for mat in bpy.data.materials:
            if mat.use_nodes and mat.node_tree:
                for node in mat.node_tree.nodes:
                    if node.type == "BSDF_PRINCIPLED":
                        mat.diffuse_color = node.inputs["Base Color"].default_value
                        break
    elif engine == "BLENDER_EEVEE":
        scene.eevee.taa_render_samples = int(request.get("samples", 4))
    if scene.world is None:  # a dim neutral world, so unlit corners are not pitch black
        scene.world = bpy.data.worlds.new("visioncode-world")
        scene.world.color = (0.05, 0.05, 0.05)
    if request.get("camera"):
        scene.camera, source = _spec_camera(scene, request["camera"]), "spec"
    elif scene.camera is not None:
        source = "program"
    else:
        scene.camera, source = _auto_camera(scene), "auto"
    return scene, source


def object_boxes(scene: Any, width: int, height: int) -> list[dict[str, Any]]:
    """Each renderable object's projected 2D box in pixels: [x0, y0, x1, y1], origin at
    the top-left corner, x to the right, y down, clipped to the image; objects wholly
    behind the camera or outside the frame are left out."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    boxes = []
    for obj in scene.objects:
        if obj.hide_render or obj.type not in {"MESH", "CURVE", "SURFACE", "META", "FONT"}:
            continue
        evaluated = obj.evaluated_get(depsgraph)
        world = evaluated.matrix_world
        points = [world @ Vector(c) for c in evaluated.bound_box]
        if obj.type == "MESH" and len(evaluated.data.vertices) <= MAX_BOX_VERTICES:
            points = [world @ v.co for v in evaluated.data.vertices] or points
        projected = [world_to_camera_view(scene, scene.camera, p) for p in points]
        projected = [p for p in projected if p.z > 0]
        if not projected:
            continue
        xs = [p.x * width for p in projected]
        ys = [(1 - p.y) * height for p in projected]
        x0, x1 = max(min(xs), 0.0), min(max(xs), float(width))
        y0, y1 = max(min(ys), 0.0), min(max(ys), float(height))
        if x1 <= x0 or y1 <= y0:
            continue
        depth = min(p.z for p in projected)
        boxes.append({"name": obj.name, "type": obj.type, "depth": round(depth, 4),
                      "box": [round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1)]})
        if len(boxes) >= MAX_OBJECTS:
            break
    return boxes


def render(request: dict[str, Any]) -> dict[str, Any]:
    """Open `blend`, render one still to `out` with `engine`; with `frames`, open the
    simulation and render its frames and an mp4 too."""
    os.chdir(os.path.dirname(request["out"]))
    bpy.ops.wm.open_mainfile(filepath=request["blend"], load_ui=False, use_scripts=False)
    scene, source = _prepare(request)
    scene.render.filepath = request["out"]
    bpy.ops.render.render(write_still=True)
    answer: dict[str, Any] = {
        "ok": True, "out": _relative(request["out"]), "camera_source": source,
        "camera": scene.camera.name,
        "objects": object_boxes(scene, request["width"], request["height"]),
        "version": f"Blender {bpy.app.version_string} ({scene.render.engine})",
    }
    frames = request.get("frames")
    if frames:
        answer["frames"] = _render_frames(request, frames)
    return answer


def _render_frames(request: dict[str, Any], frames: dict[str, Any]) -> dict[str, Any]:
    """Step the simulation frame by frame (so it advances even where the cache was not
    saved) and render `count` of its frames, evenly spaced, into `dir`."""
    bpy.ops.wm.open_mainfile(filepath=frames["blend"], load_ui=False, use_scripts=False)
    scene, _ = _prepare(request)
    first, last = scene.frame_start, scene.frame_end
    count = max(1, min(int(frames.get("count") or (last - first + 1)), last - first + 1))
    step = (last - first) / max(count - 1, 1)
    wanted = sorted({round(first + i * step) for i in range(count)})
    paths = []
    for f in range(first, last + 1):
        scene.frame_set(f)
        if f in wanted:
            path = os.path.join(frames["dir"], f"frame-{f:04d}.png")
            scene.render.filepath = path
            bpy.ops.render.render(write_still=True)
            paths.append(_relative(path))
    return {"paths": paths, "numbers": wanted}


def _relative(path: str) -> str:
    """A file of the job, named relative to the job's folder (the working folder)."""
    return os.path.relpath(os.path.realpath(path), os.path.realpath(os.getcwd()))


def encode(request: dict[str, Any]) -> dict[str, Any]:
    """Blender's sequencer and FFmpeg: the PNG frames `paths` as an H.264 mp4 at `out`
    (alpha is dropped: composite a background first)."""
    paths, out = request["paths"], request["out"]
    os.chdir(request["job"])
    if not bpy.app.build_options.codec_ffmpeg:
        raise RuntimeError("this Blender was built without FFmpeg; no video can be written")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.sequence_editor_create()
    editor = scene.sequence_editor
    strips = editor.strips if hasattr(editor, "strips") else editor.sequences
    strip = strips.new_image("frames", paths[0], channel=1, frame_start=1)
    for p in paths[1:]:
        strip.elements.append(os.path.basename(p))
    scene.frame_start, scene.frame_end = 1, len(paths)
    scene.render.fps = int(request.get("fps") or 24)
    scene.render.resolution_x, scene.render.resolution_y = request["width"], request["height"]
    scene.render.resolution_percentage = 100
    settings = scene.render.image_settings
    if hasattr(settings, "media_type"):  # Blender 5: video output is its own media type
        settings.media_type = "VIDEO"
    settings.file_format = "FFMPEG"
    scene.render.ffmpeg.format = "MPEG4"
    scene.render.ffmpeg.codec = "H264"
    scene.render.ffmpeg.constant_rate_factor = "HIGH"
    scene.render.use_sequencer = True
    scene.render.filepath = out
    bpy.ops.render.render(animation=True)
    if not os.path.exists(out):
        raise RuntimeError(f"Blender wrote no video at {out}")
    return {"ok": True, "video": _relative(out), "frames": len(paths)}
