"""Fixtures of the Blender tests: one executor and one renderer per engine for the whole
module (a bpy worker starts in a few seconds; samples share it, as in a run), real bpy
in `.venv-blender` (made by scripts/setup.d/40-blender.sh)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from visioncode import Execution, Limits
from visioncode_blender.executor import BlenderExecutor, BlenderExecutorOptions
from visioncode_blender.renderers import (
    CyclesOptions,
    CyclesRenderer,
    EeveeOptions,
    EeveeRenderer,
    WorkbenchRenderer,
)
from visioncode_blender.runtime import find_python

ROOT = Path(__file__).resolve().parents[2]
#: The compiled-shader cache scripts/setup.d/40-blender.sh warms (EEVEE's first render
#: compiles for minutes on llvmpipe without it).
SHADERS = ROOT / ".venv-blender" / "shader-cache"

#: A small scene with every kind of thing the summary reports.
SCENE = '''import bpy
bpy.ops.mesh.primitive_plane_add(size=8)
bpy.context.object.name = "Ground"
bpy.ops.mesh.primitive_cube_add(size=1, location=(1.0, 0.5, 0.5))
cube = bpy.context.object
mat = bpy.data.materials.new("Red")
mat.use_nodes = True
mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (0.9, 0.1, 0.1, 1)
cube.data.materials.append(mat)
bpy.ops.mesh.primitive_uv_sphere_add(radius=0.5, location=(-1.5, 0.0, 0.5))
bpy.ops.object.light_add(type="SUN", location=(0, 0, 6))
bpy.context.object.data.energy = 4.0
bpy.ops.object.camera_add(location=(6, -6, 4.5))
bpy.context.object.rotation_euler = (1.1, 0.0, 0.785)
bpy.context.scene.camera = bpy.context.object
print("built", len(bpy.data.objects), "objects")
'''

#: Three boxes stacked on a passive ground, for the physics tests.
STACK = '''import bpy
bpy.ops.mesh.primitive_plane_add(size=20)
bpy.context.object.name = "Ground"
bpy.ops.rigidbody.object_add(type="PASSIVE")
for i in range(3):
    bpy.ops.mesh.primitive_cube_add(size=1, location=(0, 0, 0.5 + i * 1.0))
    bpy.context.object.name = f"Box.{i}"
    bpy.ops.rigidbody.object_add(type="ACTIVE")
bpy.ops.object.light_add(type="SUN", location=(0, 0, 6))
'''

#: "What happens next": a heavy ball thrown at the stack (kinematic for two frames, then
#: released with the velocity it had).
THROW = '''import bpy
bpy.ops.mesh.primitive_uv_sphere_add(radius=0.5, location=(-5, 0, 1.0))
ball = bpy.context.object
ball.name = "Ball"
bpy.ops.rigidbody.object_add(type="ACTIVE")
ball.rigid_body.mass = 10.0
ball.rigid_body.kinematic = True
ball.keyframe_insert("location", frame=1)
ball.location.x = -4.0
ball.keyframe_insert("location", frame=3)
ball.rigid_body.keyframe_insert("kinematic", frame=3)
ball.rigid_body.kinematic = False
ball.rigid_body.keyframe_insert("kinematic", frame=4)
'''


@pytest.fixture(scope="session")
def bpy_python() -> Path:
    """The bpy interpreter; a missing one is an error naming the setup step."""
    return find_python(None, [ROOT])


def close_all(*components: object) -> None:
    for c in components:
        c.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def executor(bpy_python: Path) -> Iterator[BlenderExecutor]:
    ex = BlenderExecutor(BlenderExecutorOptions(limits=Limits(wall_time_s=120,
                                                              memory_mb=8192)))
    yield ex
    ex.close()


@pytest.fixture(scope="module")
def scene(executor: BlenderExecutor, tmp_path_factory: pytest.TempPathFactory) -> Execution:
    execution = executor.execute(SCENE, tmp_path_factory.mktemp("scene"))
    assert execution.ok, execution.error
    return execution


@pytest.fixture(scope="module")
def cycles(bpy_python: Path) -> Iterator[CyclesRenderer]:
    r = CyclesRenderer(CyclesOptions(samples=8))
    yield r
    r.close()


@pytest.fixture(scope="module")
def workbench(bpy_python: Path) -> Iterator[WorkbenchRenderer]:
    r = WorkbenchRenderer(WorkbenchRenderer.Options(shader_cache=SHADERS))
    yield r
    r.close()


@pytest.fixture(scope="module")
def eevee(bpy_python: Path) -> Iterator[EeveeRenderer]:
    r = EeveeRenderer(EeveeOptions(samples=1, shader_cache=SHADERS,
                                   limits=Limits(wall_time_s=900, memory_mb=8192)))
    yield r
    r.close()
