"""Options of the Blender executor, renderers and object-ids prompter, checked by their
effect on real renders from real bpy workers (`.venv-blender`) at 64 x 48 pixels.

A worker starts in seconds, so the options that shape a render share a renderer where
they can, and the start-up options are checked with a start-up no worker can make in the
time given (which fails fast) beside one that succeeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from visioncode import Execution, Limits, Rendering, RenderSpec
from visioncode_blender.executor import BlenderExecutor, BlenderExecutorOptions
from visioncode_blender.object_ids import ObjectIds
from visioncode_blender.renderers import (
    CyclesOptions,
    CyclesRenderer,
    EeveeOptions,
    EeveeRenderer,
    WorkbenchRenderer,
)

from .conftest import SHADERS

SPEC = RenderSpec(width=64, height=48, background="#000000")
#: A start-up allowance no bpy worker can meet (importing bpy takes seconds).
TOO_SHORT = 0.05


def rgb(rendering: Rendering) -> np.ndarray:
    assert rendering.ok, rendering.error
    assert rendering.image is not None
    with Image.open(rendering.image) as im:
        return np.asarray(im.convert("RGB")).astype(float)


def roughness(px: np.ndarray) -> float:
    """Mean absolute difference of neighbouring pixels: what path-tracing noise raises."""
    return float(np.abs(np.diff(px, axis=1)).mean() + np.abs(np.diff(px, axis=0)).mean())


def fake_blender(folder: Path, bpy_python: Path) -> Path:
    """An executable that takes Blender's command line (`-b --factory-startup
    --python-exit-code 1 --python SCRIPT`) and runs SCRIPT in bpy's interpreter, the way
    a Blender binary runs a script in its bundled Python; it records its arguments."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "argv.txt"
    script = folder / "blender"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{log}" 2>/dev/null || true\n'
        'while [ $# -gt 0 ]; do\n'
        '  if [ "$1" = "--python" ]; then shift; SCRIPT="$1"; fi\n'
        '  shift\n'
        'done\n'
        f'exec "{bpy_python}" "$SCRIPT"\n', encoding="utf-8")
    script.chmod(0o755)
    return script


def test_executor_startup_timeout_s(bpy_python: Path, tmp_path: Path) -> None:
    program = "import bpy\nbpy.ops.mesh.primitive_cube_add()\n"
    short = BlenderExecutor(BlenderExecutorOptions(startup_timeout_s=TOO_SHORT))
    try:
        failed = short.execute(program, tmp_path / "short")
    finally:
        short.close()
    assert not failed.ok and failed.status == "timeout", failed
    assert failed.error is not None and "did not start" in failed.error.message
    ok = BlenderExecutor(BlenderExecutorOptions(startup_timeout_s=120))
    try:
        done = ok.execute(program, tmp_path / "ok")
    finally:
        ok.close()
    assert done.ok, done.error


def render_with(renderer: CyclesRenderer | WorkbenchRenderer | EeveeRenderer,
                scene: Execution, workdir: Path) -> Rendering:
    try:
        return renderer.render(scene, SPEC, workdir)
    finally:
        renderer.close()


def startup_and_binary_checks(cls: type, scene: Execution, bpy_python: Path, tmp_path: Path,
                              through_binary: bool = False, **options: object) -> None:
    """`startup_timeout_s`, `blender_binary` and `python` of one renderer class; with
    `through_binary`, also a render through a Blender-style executable."""
    short = render_with(cls(cls.Options(startup_timeout_s=TOO_SHORT, **options)), scene,
                        tmp_path / "short")
    assert short.status == "timeout" and "did not start" in (short.error or ""), short
    missing = render_with(cls(cls.Options(python=tmp_path / "no-python", **options)), scene,
                          tmp_path / "missing-python")
    assert missing.status == "error" and "python option" in (missing.error or "")
    # blender_binary overrides python: a missing binary fails even with a good python
    no_binary = render_with(cls(cls.Options(python=bpy_python,
                                            blender_binary=tmp_path / "no-blender",
                                            **options)), scene, tmp_path / "no-binary")
    assert no_binary.status == "error" and "blender_binary" in (no_binary.error or "")
    if not through_binary:
        return
    binary = fake_blender(tmp_path / "bin", bpy_python)
    through = render_with(cls(cls.Options(blender_binary=binary, startup_timeout_s=120,
                                          **options)), scene, tmp_path / "binary")
    assert through.ok, through.error
    argv = (tmp_path / "bin" / "argv.txt").read_text().split("\n")
    assert argv[:2] == ["-b", "--factory-startup"] and "--python" in argv


@pytest.mark.slow
def test_cycles_options(scene: Execution, bpy_python: Path, tmp_path: Path) -> None:
    def cycles(**options: object) -> np.ndarray:
        r = CyclesRenderer(CyclesOptions(python=bpy_python, samples=2, **options))
        return rgb(render_with(r, scene, tmp_path / str(len(list(tmp_path.iterdir())))))

    plain, agx, denoised = cycles(), cycles(view_transform="AgX"), cycles(denoise=True)
    assert np.abs(plain - agx).mean() > 5.0  # AgX maps the same scene to other colours
    # the denoiser smooths 2-sample path-tracing noise; colours stay about the same
    assert roughness(denoised) < 0.85 * roughness(plain)
    assert np.abs(plain - denoised).mean() < 10.0
    startup_and_binary_checks(CyclesRenderer, scene, bpy_python, tmp_path, samples=1)


@pytest.mark.slow
def test_workbench_options(scene: Execution, bpy_python: Path, tmp_path: Path) -> None:
    def workbench(**options: object) -> np.ndarray:
        r = WorkbenchRenderer(WorkbenchRenderer.Options(shader_cache=SHADERS, **options))
        return rgb(render_with(r, scene, tmp_path / str(len(list(tmp_path.iterdir())))))

    standard, filmic = workbench(), workbench(view_transform="Filmic")
    assert np.abs(standard - filmic).mean() > 1.0
    startup_and_binary_checks(WorkbenchRenderer, scene, bpy_python, tmp_path,
                              through_binary=True, shader_cache=SHADERS)


@pytest.mark.slow
def test_eevee_options(scene: Execution, bpy_python: Path, tmp_path: Path) -> None:
    def eevee(**options: object) -> np.ndarray:
        r = EeveeRenderer(EeveeOptions(samples=1, shader_cache=SHADERS,
                                       limits=Limits(wall_time_s=900, memory_mb=8192),
                                       **options))
        return rgb(render_with(r, scene, tmp_path / str(len(list(tmp_path.iterdir())))))

    standard, agx = eevee(python=bpy_python), eevee(view_transform="AgX")
    assert np.abs(standard - agx).mean() > 5.0
    startup_and_binary_checks(EeveeRenderer, scene, bpy_python, tmp_path, samples=1,
                              shader_cache=SHADERS,
                              limits=Limits(wall_time_s=900, memory_mb=8192))


def boxed_rendering(tmp_path: Path) -> Rendering:
    """A grey image and four object boxes in the renderers' metadata format."""
    image = tmp_path / "render.png"
    Image.new("RGB", (160, 120), (128, 128, 128)).save(image)
    objects = [{"name": name, "type": "MESH", "depth": depth, "box": box}
               for name, depth, box in [("Far", 9.0, [10, 60, 40, 100]),
                                        ("Near", 1.0, [100, 40, 150, 110]),
                                        ("Middle", 4.0, [50, 50, 90, 90]),
                                        ("Farthest", 12.0, [5, 20, 30, 40])]]
    return Rendering(status="ok", renderer="workbench", images=[image], width=160,
                     height=120, metadata={"objects": objects})


def test_object_ids_max_objects_keeps_the_nearest(tmp_path: Path) -> None:
    rendering = boxed_rendering(tmp_path)
    two = ObjectIds(ObjectIds.Options(max_objects=2)).prompt(rendering, tmp_path)
    assert [m["id"] for m in two.marks] == ["Near", "Middle"]
    assert "- Near (mesh)" in two.legend and "Far" not in two.legend
    every = ObjectIds(ObjectIds.Options()).prompt(rendering, tmp_path)
    assert [m["id"] for m in every.marks] == ["Near", "Middle", "Far", "Farthest"]


def test_object_ids_font_size_sets_the_tag_size(tmp_path: Path) -> None:
    rendering = boxed_rendering(tmp_path)
    tag = np.array([0xE6, 0x19, 0x4B])  # the first mark's colour, the nearest object's

    def tag_rows(font_size: int) -> int:
        out = tmp_path / str(font_size)
        out.mkdir()
        prompted = ObjectIds(ObjectIds.Options(max_objects=1, boxes=False,
                                               font_size=font_size)).prompt(rendering, out)
        with Image.open(prompted.image) as im:
            px = np.asarray(im.convert("RGB")).astype(int)
        rows = np.nonzero((np.abs(px - tag).sum(axis=-1) == 0).any(axis=1))[0]
        return int(rows.max() - rows.min() + 1)

    small, large = tag_rows(8), tag_rows(24)
    assert large >= small + 8  # the tag is the cap height of the text plus a margin
    assert tag_rows(0) == tag_rows(10)  # 0 picks max(10, height // 28) = 10 for 120 px
