"""Blender scenes per minute: visioncode's persistent bpy workers versus one fresh bpy
process per scene, on the same scenes, in one run.

    .venv/bin/python benchmarks/blender_render.py            # 8 scenes
    .venv/bin/python benchmarks/blender_render.py --quick    # 3 scenes (a smoke run)

Both ways build the same small scenes (a ground, a few coloured primitives, a light and a
camera) and render them with Cycles on the CPU at 160x120, 8 samples:

- `fresh`: `.venv-blender/bin/python scene.py` per scene, where scene.py imports bpy,
  runs the program and renders: every scene pays the interpreter's start-up and bpy's
  import (the naive way);
- `persistent`: the `blender` executor and the `cycles` renderer (one warm zygote each,
  bubblewrap where available); per scene, the program runs in a fresh fork of the
  executor's zygote, walled by the kernel before it starts (own cgroup, Landlock, seccomp,
  no new processes), the .blend is saved and reopened by the renderer in a fork of its own,
  and the render's object boxes are computed, which the fresh process does not do. The
  workers' start-up is timed apart and reported both excluded and included.

The per-job cost of the walls is reported from the jobs themselves: each answer carries
the zygote's fork time and the child's time to put up its walls (`walls_ms_per_job`, the
mean of both over every execute and render job). The load is recorded before and after
(`_load.LoadRecord`); figures taken above the core count are marked not publishable.

Rates are scenes per minute of wall time; the ratio is persistent rate / fresh rate.
Results go to `benchmarks/results/blender_render.json`. Timings depend on the machine
(and whatever else runs on it): compare the ratio from one run, not numbers across
machines.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from visioncode import RenderSpec
from visioncode_blender.executor import BlenderExecutor
from visioncode_blender.renderers import CyclesOptions, CyclesRenderer
from visioncode_blender.runtime import find_python

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import LoadRecord  # benchmarks/ is this script's own folder

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "blender_render.json"
WIDTH, HEIGHT, SAMPLES = 160, 120, 8

PRIMITIVES = ["primitive_cube_add(size=1.2", "primitive_uv_sphere_add(radius=0.7",
              "primitive_cone_add(radius1=0.7, depth=1.5", "primitive_cylinder_add(radius=0.5"]


def program(i: int) -> str:
    """Scene i: a ground, three primitives with materials, a sun, a camera."""
    lines = ["import bpy", "bpy.ops.mesh.primitive_plane_add(size=10)"]
    for k in range(3):
        prim = PRIMITIVES[(i + k) % len(PRIMITIVES)]
        x = -2.0 + 2.0 * k
        lines += [f"bpy.ops.mesh.{prim}, location=({x}, {0.3 * i % 1.0:.2f}, 0.7))",
                  f"m = bpy.data.materials.new('M{k}')",
                  f"m.diffuse_color = ({0.2 + 0.3 * k}, {0.8 - 0.3 * k}, 0.3, 1)",
                  "bpy.context.object.data.materials.append(m)"]
    lines += ["bpy.ops.object.light_add(type='SUN', location=(0, 0, 6))",
              "bpy.ops.object.camera_add(location=(7, -7, 5), rotation=(1.1, 0, 0.785))",
              "bpy.context.scene.camera = bpy.context.object"]
    return "\n".join(lines) + "\n"


FRESH_RENDER = f"""
scene = bpy.context.scene
scene.render.engine = "CYCLES"
scene.cycles.device = "CPU"
scene.cycles.samples = {SAMPLES}
scene.render.resolution_x, scene.render.resolution_y = {WIDTH}, {HEIGHT}
scene.render.film_transparent = True
scene.render.filepath = OUT
bpy.ops.render.render(write_still=True)
"""


def fresh(n: int, work: Path) -> dict[str, Any]:
    python = find_python(None, [ROOT])
    start = time.perf_counter()
    for i in range(n):
        script = work / f"fresh-{i}.py"
        out = work / f"fresh-{i}.png"
        # the program runs in bpy's factory scene minus its default objects, as in a worker
        script.write_text("import bpy\nbpy.ops.wm.read_factory_settings(use_empty=True)\n"
                          f"OUT = {str(out)!r}\n" + program(i) + FRESH_RENDER)
        subprocess.run([str(python), str(script)], check=True, capture_output=True,
                       timeout=600)
        assert out.is_file(), out
    wall = time.perf_counter() - start
    return {"scenes": n, "wall_s": round(wall, 3), "per_minute": round(60 * n / wall, 2)}


def persistent(n: int, work: Path) -> dict[str, Any]:
    executor = BlenderExecutor()
    renderer = CyclesRenderer(CyclesOptions(samples=SAMPLES))
    spec = RenderSpec(width=WIDTH, height=HEIGHT, background=None)
    try:
        started = time.perf_counter()
        executor.bpy.call({"op": "info"}, timeout=60)
        renderer.bpy.call({"op": "info"}, timeout=60)
        startup = time.perf_counter() - started
        start = time.perf_counter()
        walls: list[float] = []
        for i in range(n):
            folder = work / f"persistent-{i}"
            execution = executor.execute(program(i), folder)
            assert execution.ok, execution.error
            rendering = renderer.render(execution, spec, folder)
            assert rendering.ok, rendering.error
            for meta in (execution.metadata, rendering.metadata):
                walls.append(float(meta.get("fork_s") or 0) + float(meta.get("walls_s") or 0))
        wall = time.perf_counter() - start
    finally:
        executor.close()
        renderer.close()
    return {"scenes": n, "wall_s": round(wall, 3), "startup_s": round(startup, 3),
            "per_minute": round(60 * n / wall, 2),
            "per_minute_with_startup": round(60 * n / (wall + startup), 2),
            "walls_ms_per_job": round(1000 * sum(walls) / max(len(walls), 1), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 scenes (a smoke run)")
    parser.add_argument("--scenes", type=int, default=None, help="scenes per way")
    parser.add_argument("--out", type=Path, default=None,
                        help="results JSON (default: benchmarks/results/blender_render.json, "
                        "or blender_render.quick.json with --quick)")
    args = parser.parse_args()
    n = args.scenes or (3 if args.quick else 8)
    out = args.out or (RESULTS.with_name("blender_render.quick.json") if args.quick
                       else RESULTS)
    load = LoadRecord.start()
    with tempfile.TemporaryDirectory(prefix="visioncode-blender-bench-") as tmp:
        work = Path(tmp)
        results = {"fresh": fresh(n, work), "persistent": persistent(n, work)}
    load.stop()
    ratio = results["persistent"]["per_minute"] / results["fresh"]["per_minute"]
    ratio_startup = (results["persistent"]["per_minute_with_startup"]
                     / results["fresh"]["per_minute"])
    report = {
        "benchmark": "blender_render", "engine": "cycles", "size": [WIDTH, HEIGHT],
        "samples": SAMPLES, "quick": args.quick, "machine": platform.platform(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **results,
        "ratio_persistent_vs_fresh": round(ratio, 2),
        "ratio_persistent_with_startup_vs_fresh": round(ratio_startup, 2),
        "load": load.as_dict(),
    }
    print(f"fresh process per scene : {results['fresh']['per_minute']:7.2f} scenes/min")
    print(f"persistent bpy workers  : {results['persistent']['per_minute']:7.2f} scenes/min "
          f"({results['persistent']['per_minute_with_startup']:.2f} with start-up)")
    print(f"ratio persistent/fresh  : {ratio:.2f}x ({ratio_startup:.2f}x with start-up)")
    print(f"walls per job (fork + walls): {results['persistent']['walls_ms_per_job']:.1f} ms")
    print(f"load: {load.describe()}" + ("" if load.publishable() else
                                        " (not publishable: do not quote in docs)"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
