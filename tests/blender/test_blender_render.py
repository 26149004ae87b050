"""The renderers with real bpy: each engine renders the saved scene under the RenderSpec
(size, background or transparent film, camera), records projected object boxes, and a
simulation comes back as frames and an mp4; the object-ids prompter labels the boxes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from visioncode import Execution, Rendering, RenderSpec
from visioncode_blender.executor import BlenderExecutor, BlenderExecutorOptions, SimulateOptions
from visioncode_blender.object_ids import ObjectIds
from visioncode_blender.renderers import (
    CyclesRenderer,
    EeveeRenderer,
    WorkbenchRenderer,
    _BlenderRenderer,
)

from .conftest import STACK, THROW


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGBA")).astype(int)


def check_render(rendering: Rendering, size: tuple[int, int]) -> np.ndarray:
    assert rendering.ok, rendering.error
    assert rendering.image is not None
    px = pixels(rendering.image)
    assert px.shape[:2] == (size[1], size[0])
    names = {o["name"] for o in rendering.metadata["objects"]}
    assert {"Cube", "Sphere", "Ground"} <= names
    assert rendering.metadata["camera_source"] == "program"
    return px


def cube_box_is_red(px: np.ndarray, rendering: Rendering) -> None:
    """The pixels inside the projected box of the red cube are mostly red: the boxes and
    the image agree."""
    box = next(o["box"] for o in rendering.metadata["objects"] if o["name"] == "Cube")
    x0, y0, x1, y1 = (round(v) for v in box)
    inner = px[y0 + (y1 - y0) // 4: y1 - (y1 - y0) // 4, x0 + (x1 - x0) // 4: x1 - (x1 - x0) // 4]
    red = (inner[..., 0] > inner[..., 1] + 40) & (inner[..., 0] > inner[..., 2] + 40)
    assert red.mean() > 0.6, red.mean()


@pytest.mark.slow
def test_cycles_renders_the_scene_over_the_background(cycles: CyclesRenderer, scene: Execution,
                                                      tmp_path: Path) -> None:
    spec = RenderSpec(width=160, height=120, background="#00ff00")
    rendering = cycles.render(scene, spec, tmp_path)
    px = check_render(rendering, (160, 120))
    assert rendering.renderer_version.startswith("Blender 5.0.1 (CYCLES)")
    assert (px[..., 3] == 255).all()  # opaque: composited over the background
    # the ground plane does not reach the top corners: they show the background colour
    assert tuple(px[0, 0, :3]) == (0, 255, 0) and tuple(px[0, -1, :3]) == (0, 255, 0)
    cube_box_is_red(px, rendering)


def test_workbench_transparent_film_and_spec_camera(workbench: WorkbenchRenderer,
                                                    scene: Execution, tmp_path: Path) -> None:
    spec = RenderSpec(width=128, height=96, background=None)
    rendering = workbench.render(scene, spec, tmp_path / "a")
    px = check_render(rendering, (128, 96))
    assert px[0, 0, 3] == 0 and px[48, 64, 3] == 255  # transparent where nothing is
    cube_box_is_red(px, rendering)
    # a camera from the config replaces the program's: from straight above, the cube
    # (x=1) is right of the sphere (x=-1.5) and both are centred vertically
    top = spec.model_copy(update={"camera": {"location": [0, 0, 12], "look_at": [0, 0, 0]}})
    above = workbench.render(scene, top, tmp_path / "b")
    assert above.ok, above.error
    assert above.metadata["camera_source"] == "spec"
    boxes = {o["name"]: o["box"] for o in above.metadata["objects"]}
    cube_x = (boxes["Cube"][0] + boxes["Cube"][2]) / 2
    sphere_x = (boxes["Sphere"][0] + boxes["Sphere"][2]) / 2
    assert cube_x > 64 > sphere_x


@pytest.mark.slow
def test_eevee_renders_headless(eevee: EeveeRenderer, scene: Execution, tmp_path: Path) -> None:
    rendering = eevee.render(scene, RenderSpec(width=96, height=72), tmp_path)
    px = check_render(rendering, (96, 72))
    assert "EEVEE" in rendering.renderer_version
    cube_box_is_red(px, rendering)


@pytest.mark.slow
def test_simulation_comes_back_as_frames_and_mp4(workbench: WorkbenchRenderer,
                                                 tmp_path: Path) -> None:
    executor = BlenderExecutor(BlenderExecutorOptions(
        simulate=SimulateOptions(frames=24, program=THROW)))
    try:
        execution = executor.execute(STACK, tmp_path)
    finally:
        executor.close()
    assert execution.ok, execution.error
    spec = RenderSpec(width=96, height=72, frames=4, fps=8,
                      camera={"location": [0, -10, 2.5], "look_at": [-1, 0, 1.5]})
    rendering = workbench.render(execution, spec, tmp_path / "render")
    assert rendering.ok, rendering.error
    assert rendering.metadata["frame_numbers"] == [1, 9, 16, 24]
    assert [p.name for p in rendering.frames] == [f"frame-{n:04d}.png" for n in (1, 9, 16, 24)]
    first, last = pixels(rendering.frames[0]), pixels(rendering.frames[-1])
    assert np.abs(first - last).mean() > 1.0  # things moved between the first and last frame
    assert rendering.video is not None
    data = rendering.video.read_bytes()
    assert data[4:8] == b"ftyp" and len(data) > 1000  # an MP4 container


def test_object_ids_labels_every_object(workbench: WorkbenchRenderer, scene: Execution,
                                        tmp_path: Path) -> None:
    rendering = workbench.render(scene, RenderSpec(width=160, height=120), tmp_path)
    assert rendering.ok, rendering.error
    prompted = ObjectIds(ObjectIds.Options(skip=["Ground"])).prompt(rendering, tmp_path)
    assert [m["id"] for m in prompted.marks] and "Ground" not in prompted.legend
    assert {m["id"] for m in prompted.marks} == {"Cube", "Sphere"}
    assert "- Cube (mesh):" in prompted.legend and "- Sphere (mesh):" in prompted.legend
    assert rendering.image is not None
    before, after = pixels(rendering.image), pixels(prompted.image)
    cube = next(m for m in prompted.marks if m["id"] == "Cube")
    x0, y0 = (round(v) for v in cube["box"][:2])
    # the box outline is drawn in the cube's mark colour where the render had the scene
    assert np.abs(before - after).sum() > 0
    assert tuple(after[y0 + 2, x0 + 1, :3]) != tuple(before[y0 + 2, x0 + 1, :3]) or \
        tuple(after[y0 - 1, x0 + 2, :3]) != tuple(before[y0 - 1, x0 + 2, :3])


def test_failed_execution_and_bad_background_are_render_errors(
        workbench: WorkbenchRenderer, scene: Execution, tmp_path: Path) -> None:
    failed = Execution(status="error", program="x")
    assert workbench.render(failed, RenderSpec(), tmp_path).error == "nothing to render: error"
    bad = workbench.render(scene, RenderSpec(background="not-a-colour"), tmp_path)
    assert bad.status == "error" and "not a colour" in (bad.error or "")


def test_renderers_are_named_for_their_engine() -> None:
    assert {c.engine for c in (CyclesRenderer, WorkbenchRenderer, EeveeRenderer)} == \
        {"cycles", "workbench", "eevee"}
    assert issubclass(CyclesRenderer, _BlenderRenderer)
