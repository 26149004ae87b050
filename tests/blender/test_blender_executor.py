"""The blender executor with real bpy: scene summary, .blend artifact, reset between
samples, program errors with their line, physics bake, crash recovery, a user's Blender."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from visioncode import Execution, Limits
from visioncode_blender.executor import (
    BlenderExecutor,
    BlenderExecutorOptions,
    SimulateOptions,
)
from visioncode_blender.runtime import BlenderNotFoundError, find_python

from .conftest import STACK, THROW


def test_scene_is_saved_and_summarised(scene: Execution) -> None:
    blend = scene.artifacts["scene"]
    assert blend.name == "scene.blend" and blend.read_bytes()[:7] == b"BLENDER"
    summary = scene.metadata["scene"]
    objects = {o["name"]: o for o in summary["objects"]}
    assert set(objects) == {"Ground", "Cube", "Sphere", "Sun", "Camera"}
    assert objects["Cube"]["type"] == "MESH"
    assert objects["Cube"]["location"] == pytest.approx([1.0, 0.5, 0.5])
    assert objects["Cube"]["materials"] == ["Red"]
    assert summary["materials"][0]["base_color"] == pytest.approx([0.9, 0.1, 0.1, 1.0])
    (sun,) = summary["lights"]
    assert (sun["name"], sun["type"], sun["energy"]) == ("Sun", "SUN", 4.0)
    assert sun["location"] == pytest.approx([0.0, 0.0, 6.0])
    assert summary["camera"]["name"] == "Camera"
    assert summary["camera"]["rotation_euler"] == pytest.approx([1.1, 0.0, 0.785])
    assert summary["types"] == ["CAMERA", "LIGHT", "MESH"]
    assert scene.stdout == "built 5 objects\n"
    assert scene.metadata["bpy"] == "5.0.1"


def test_samples_start_from_a_clean_scene(executor: BlenderExecutor, scene: Execution,
                                          tmp_path: Path) -> None:
    # `scene` ran a program with five objects in this worker; the next one sees none.
    probe = ("import bpy\nprint(sorted(o.name for o in bpy.data.objects), "
             "len(bpy.data.materials), len(bpy.data.meshes))\n")
    execution = executor.execute(probe, tmp_path)
    assert execution.ok, execution.error
    assert execution.stdout == "[] 0 0\n"
    assert execution.metadata["scene"]["objects"] == []


def test_program_error_names_the_program_line(executor: BlenderExecutor,
                                              tmp_path: Path) -> None:
    program = ("import bpy\n\nbpy.ops.mesh.primitive_cube_add()\n"
               "bpy.data.objects['Nope'].location.x = 1\n")
    execution = executor.execute(program, tmp_path / "a")
    assert execution.status == "error"
    assert execution.error is not None
    assert execution.error.kind == "KeyError" and execution.error.line == 4
    assert "Nope" in execution.error.message
    assert "visioncode_bpy" not in (execution.error.traceback or "")
    syntax = executor.execute("import bpy\nx = (\n", tmp_path / "b")
    assert syntax.error is not None and syntax.error.kind == "SyntaxError"
    assert syntax.error.line == 2
    exits = executor.execute("import sys\nsys.exit(3)\n", tmp_path / "c")
    assert exits.error is not None and "sys.exit(3)" in exits.error.message
    assert executor.execute("import bpy\n", tmp_path / "d").ok  # the worker is still fine


@pytest.mark.slow
def test_physics_bake_moves_the_boxes(tmp_path: Path) -> None:
    executor = BlenderExecutor(BlenderExecutorOptions(
        simulate=SimulateOptions(frames=40, program=THROW)))
    try:
        execution = executor.execute(STACK, tmp_path)
    finally:
        executor.close()
    assert execution.ok, execution.error
    sim = execution.metadata["simulation"]
    assert sim["frames"] == 40
    assert set(sim["bodies"]) == {"Ground", "Box.0", "Box.1", "Box.2", "Ball"}
    first, last = sim["positions_first"], sim["positions_last"]
    # the stack stood still at frame 1, the ball started on the left
    assert first["Box.0"] == pytest.approx([0, 0, 0.5], abs=1e-3)
    assert first["Ball"] == pytest.approx([-5, 0, 1.0], abs=1e-3)
    assert last["Ball"][0] > first["Ball"][0] + 1.0  # thrown to the right
    moved = [b for b in ("Box.0", "Box.1", "Box.2") if sim["displacement"][b] > 0.2]
    assert moved, sim["displacement"]  # the ball knocked the stack
    assert last["Ground"] == first["Ground"]  # passive
    assert execution.artifacts["simulation"].read_bytes()[:7] == b"BLENDER"
    # the summary of the reconstruction is the scene before the throw
    assert "Ball" not in {o["name"] for o in execution.metadata["scene"]["objects"]}


def test_simulation_without_bodies_is_a_clear_error(tmp_path: Path) -> None:
    executor = BlenderExecutor(BlenderExecutorOptions(simulate=SimulateOptions(frames=5)))
    try:
        execution = executor.execute("import bpy\nbpy.ops.mesh.primitive_cube_add()\n",
                                     tmp_path)
    finally:
        executor.close()
    assert execution.status == "error" and execution.error is not None
    assert execution.error.kind == "NoRigidBodies"
    assert "rigidbody.object_add" in execution.error.message


@pytest.mark.slow
def test_a_crash_costs_its_job_and_a_dead_worker_is_replaced(tmp_path: Path) -> None:
    executor = BlenderExecutor(BlenderExecutorOptions(limits=Limits(wall_time_s=60,
                                                                    memory_mb=8192)))
    try:
        assert executor.execute("import bpy\n", tmp_path / "0").ok
        first_pid = executor.bpy.pid
        crashed = executor.execute("import os\nos.abort()\n", tmp_path / "1")
        assert crashed.status == "crashed"
        assert crashed.error is not None and "died" in crashed.error.message
        assert "SIGABRT" in crashed.error.message
        after = executor.execute("import bpy\nbpy.ops.mesh.primitive_cube_add()\n",
                                 tmp_path / "2")
        assert after.ok, after.error
        # the job died in its own fork: the warm zygote goes on, the next job is clean
        assert executor.bpy.pid == first_pid
        assert [o["name"] for o in after.metadata["scene"]["objects"]] == ["Cube"]
        executor.bpy.crash()  # the worker itself dies: the next sample starts a new one
        again = executor.execute("import bpy\nbpy.ops.mesh.primitive_cone_add()\n",
                                 tmp_path / "3")
        assert again.ok, again.error
        assert executor.bpy.pid not in (None, first_pid)
        assert [o["name"] for o in again.metadata["scene"]["objects"]] == ["Cone"]
    finally:
        executor.close()


def test_a_users_blender_binary_speaks_the_same_protocol(tmp_path: Path,
                                                         bpy_python: Path) -> None:
    # Stands in for `blender`: checks it is called the way Blender is, prints a banner
    # on stdout as Blender does, then runs the worker script with the bpy interpreter.
    fake = tmp_path / "blender"
    log = tmp_path / "argv.txt"
    fake.write_text(f"""#!/bin/sh
echo "$@" > {log}
[ "$1" = "-b" ] && [ "$2" = "--factory-startup" ] || exit 64
echo "Blender 5.0.1 (hash 0000 built 2025-01-01)"
shift 4
[ "$1" = "--python" ] || exit 65
exec {bpy_python} "$2"
""")
    fake.chmod(0o755)
    executor = BlenderExecutor(BlenderExecutorOptions(blender_binary=fake))
    try:
        execution = executor.execute("import bpy\nbpy.ops.mesh.primitive_cone_add()\n",
                                     tmp_path / "run")
    finally:
        executor.close()
    assert execution.ok, execution.error
    assert [o["name"] for o in execution.metadata["scene"]["objects"]] == ["Cone"]
    argv = log.read_text().split()
    assert argv[:4] == ["-b", "--factory-startup", "--python-exit-code", "1"]
    assert argv[4] == "--python" and argv[5].endswith("visioncode_bpy_worker.py")


def test_missing_interpreter_names_the_setup_step(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VISIONCODE_BLENDER_PYTHON", raising=False)
    with pytest.raises(BlenderNotFoundError, match=r"scripts/setup\.d/40-blender\.sh"):
        find_python(None, [tmp_path])
    monkeypatch.setenv("VISIONCODE_BLENDER_PYTHON", str(tmp_path / "nope"))
    with pytest.raises(BlenderNotFoundError, match="VISIONCODE_BLENDER_PYTHON"):
        find_python(None, [tmp_path])
    executor = BlenderExecutor(BlenderExecutorOptions(python=tmp_path / "none"))
    execution = executor.execute("import bpy\n", tmp_path / "w")
    executor.close()
    assert execution.status == "error" and execution.error is not None
    assert execution.error.kind == "setup" and "40-blender.sh" in execution.error.message
    assert os.environ.get("VISIONCODE_BLENDER_PYTHON") == str(tmp_path / "nope")
