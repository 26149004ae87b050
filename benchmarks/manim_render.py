"""Manim scenes per minute: visioncode's warm worker pool versus one `manim` command per
scene, on the same scenes, in one run.

    .venv/bin/python benchmarks/manim_render.py            # 12 scenes, 2 at a time
    .venv/bin/python benchmarks/manim_render.py --quick    # 4 scenes (a smoke run)

Both ways render the same small educational scenes (text, shapes, a plot; 1-2 s of video
each) at Manim's low quality (854x480, 15 fps), with the same concurrency (`--workers`):

- `cli`: `manim render -ql --disable_caching <file> <Scene>` per scene, `--workers`
  processes at a time: every scene pays Python's start-up and Manim's import;
- `pool`: the `manim` renderer (`--workers` warm workers), one `render()` call per scene,
  each forking a sandboxed child from a worker that imported Manim once; it also extracts
  keyframes and mobject boxes, which the CLI does not. The pool's start-up (workers
  importing Manim) is timed apart and reported both excluded and included.

Rates are scenes per minute of wall time; the ratio is pool rate / cli rate. Results go
to `benchmarks/results/manim_render.json`. Timings depend on the machine (and on whatever
else runs on it): compare the ratio from one run, not numbers across machines.

    .venv/bin/python benchmarks/manim_render.py --official           # issue 16's target
    .venv/bin/python benchmarks/manim_render.py --official --limit 6
    .venv/bin/python benchmarks/manim_render.py --walls 20           # what the walls cost

`--official` renders Manim's 27 official example scenes (tests/manim/official_examples,
from ManimCommunity's docs/source/examples.rst) one at a time both ways at -ql (the
target: the pool at least 2x the CLI per scene). `--walls N` renders N small still scenes
through the pool twice, with the core's per-job walls (each scene in a fresh walled child
of the worker's zygote) and without them (`VISIONCODE_MANIM_JOB_WALLS=off`, the way scenes
ran before), and reports the difference per scene. Every result records the machine's
load before and after (`_load.LoadRecord`); a figure taken with the 1-minute load above
the core count is marked not publishable, and the docs must not quote it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

from visioncode import RenderSpec
from visioncode_manim.executor import ManimExecutor
from visioncode_manim.renderer import ManimRenderer

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "manim_render.json"
OFFICIAL = ROOT / "tests" / "manim" / "official_examples"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import LoadRecord  # noqa: E402  (benchmarks/ is this script's own folder)

#: A still scene: one frame, so the per-scene cost around it dominates.
STILL = "from manim import *\n\nclass Still{i}(Scene):\n    def construct(self):\n" \
        "        self.add(Square(), Text('{i}'))\n"

BODIES = [
    'self.play(Write(Text("Scene {i}: a title").to_edge(UP)))\n'
    "self.play(Create(Circle(radius=1.5, color=BLUE)))",
    "sq = Square(side_length=2, color=GREEN)\n"
    "self.play(Create(sq))\nself.play(sq.animate.rotate(PI / 4).shift(RIGHT))",
    "axes = Axes(x_range=[-3, 3], y_range=[-1, 9], x_length=6, y_length=4)\n"
    "self.play(Create(axes), Create(axes.plot(lambda x: x ** 2, color=YELLOW)))",
    "dots = VGroup(*[Dot(RIGHT * k) for k in range(-3, 4)])\n"
    'self.play(FadeIn(dots), Write(Text("{i} dots").to_edge(DOWN)))',
]


def scenes(n: int) -> list[tuple[str, str]]:
    """n (class name, program) pairs, cycling through the bodies."""
    out = []
    for i in range(n):
        body = BODIES[i % len(BODIES)].format(i=i)
        lines = "\n".join("        " + line for line in body.splitlines())
        name = f"Bench{i}"
        out.append((name, f"from manim import *\n\nclass {name}(Scene):\n"
                          f"    def construct(self):\n{lines}\n"))
    return out


def official(limit: int | None) -> list[tuple[str, str]]:
    """(scene class, program) of Manim's official examples, in name order."""
    files = sorted(OFFICIAL.glob("*.py"))[:limit]
    return [(f.stem, f.read_text()) for f in files]


def run_cli(items: list[tuple[str, str]], workers: int, folder: Path) -> dict[str, Any]:
    manim = Path(sys.executable).parent / "manim"

    def one(item: tuple[str, str]) -> float:
        name, program = item
        work = folder / name
        work.mkdir(parents=True)
        (work / "scene.py").write_text(program)
        started = time.perf_counter()
        done = subprocess.run(
            [str(manim), "render", "-ql", "--disable_caching", "--progress_bar", "none",
             "-v", "WARNING", "--media_dir", str(work / "media"), "scene.py", name],
            cwd=work, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"manim CLI failed on {name}: {done.stderr[-2000:]}")
        media = work / "media"
        if not list(media.rglob(f"{name}.mp4")) and not list(media.rglob(f"{name}*.png")):
            # a scene without animation is one frame: Manim writes a PNG, no video
            raise RuntimeError(f"manim CLI wrote no video or image for {name}")
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as ex:
        per_scene = list(ex.map(one, items))
    wall = time.perf_counter() - started
    return {"wall_s": wall, "scenes_per_min": 60 * len(items) / wall,
            "mean_scene_s": sum(per_scene) / len(per_scene)}


def run_pool(items: list[tuple[str, str]], workers: int, folder: Path,
             env: dict[str, str] | None = None) -> dict[str, Any]:
    renderer = ManimRenderer(ManimRenderer.Options(workers=workers, env=env or {}))
    spec = RenderSpec(width=854, height=480, fps=15, background="#000000")
    try:
        started = time.perf_counter()
        renderer.warm_up()
        startup = time.perf_counter() - started

        def one(item: tuple[str, str]) -> float:
            name, program = item
            work = folder / name
            execution = ManimExecutor().execute(program, work)
            t = time.perf_counter()
            rendering = renderer.render(execution, spec, work)
            if not rendering.ok:
                raise RuntimeError(f"pool failed on {name}: {rendering.error}")
            return time.perf_counter() - t

        started = time.perf_counter()
        with ThreadPoolExecutor(workers) as ex:
            per_scene = list(ex.map(one, items))
        wall = time.perf_counter() - started
    finally:
        renderer.close()
    return {"wall_s": wall, "startup_s": startup,
            "scenes_per_min": 60 * len(items) / wall,
            "scenes_per_min_with_startup": 60 * len(items) / (wall + startup),
            "mean_scene_s": sum(per_scene) / len(per_scene)}


def run_walls(n: int, folder: Path) -> dict[str, Any]:
    """Per-scene time of N still scenes through one worker, walls on and off."""
    items = [(f"Still{i}", STILL.format(i=i)) for i in range(n)]
    on = run_pool(items, 1, folder / "on")
    off = run_pool(items, 1, folder / "off", env={"VISIONCODE_MANIM_JOB_WALLS": "off"})
    return {"scenes": n, "with_walls": on, "without_walls": off,
            "walls_cost_ms_per_scene": 1000 * (on["mean_scene_s"] - off["mean_scene_s"])}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=12, help="scenes (default 12)")
    parser.add_argument("--workers", type=int, default=2, help="concurrency of both ways")
    parser.add_argument("--quick", action="store_true", help="4 scenes: a smoke run")
    parser.add_argument("--official", action="store_true",
                        help="Manim's official example scenes, one at a time")
    parser.add_argument("--limit", type=int, default=None,
                        help="with --official: only the first N examples")
    parser.add_argument("--walls", type=int, default=0, metavar="N",
                        help="measure the per-job walls' cost on N still scenes")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="visioncode-manim-bench-"))
    load = LoadRecord.start()
    try:
        if args.walls:
            walls = run_walls(args.walls, folder)
            load.stop()
            result = {"benchmark": "manim_walls", **walls, "load": load.as_dict()}
            print(f"{args.walls} still scenes, one worker: "
                  f"{walls['with_walls']['mean_scene_s'] * 1000:.0f} ms per scene with the "
                  f"per-job walls, {walls['without_walls']['mean_scene_s'] * 1000:.0f} ms "
                  f"without: {walls['walls_cost_ms_per_scene']:+.0f} ms per scene")
            print(f"  load: {load.describe()}"
                  + ("" if load.publishable() else " (not publishable)"))
            return _save(result, args, args.out.with_name("manim_walls.json"))
        if args.official:
            items, workers = official(args.limit), 1
        else:
            items, workers = scenes(4 if args.quick else args.n), args.workers
        n = len(items)
        cli = run_cli(items, workers, folder / "cli")
        pool = run_pool(items, workers, folder / "pool")
        load.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "benchmark": "manim_render", "scenes": n, "workers": workers,
        "set": "official examples" if args.official else "small educational scenes",
        "quality": "low (854x480, 15 fps)", "cli": cli, "pool": pool,
        "ratio_pool_vs_cli": pool["scenes_per_min"] / cli["scenes_per_min"],
        "ratio_pool_with_startup_vs_cli":
            pool["scenes_per_min_with_startup"] / cli["scenes_per_min"],
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "manim": metadata.version("manim")},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load": load.as_dict(),
    }
    print(f"{n} {result['set']}, {workers} at a time, 854x480 at 15 fps")
    print(f"  manim CLI per scene : {cli['scenes_per_min']:7.1f} scenes/min "
          f"({cli['mean_scene_s']:.2f} s per scene)")
    print(f"  warm worker pool    : {pool['scenes_per_min']:7.1f} scenes/min "
          f"({pool['mean_scene_s']:.2f} s per scene; start-up {pool['startup_s']:.1f} s)")
    print(f"  ratio pool / CLI    : {result['ratio_pool_vs_cli']:.2f}x "
          f"({result['ratio_pool_with_startup_vs_cli']:.2f}x counting the pool's start-up)")
    print(f"  load: {load.describe()}" + ("" if load.publishable() else
                                          " (not publishable: do not quote in docs)"))
    out = args.out.with_name("manim_official.json") if args.official and \
        args.out == RESULTS else args.out
    return _save(result, args, out)


def _save(result: dict[str, Any], args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """Write the results file (a quick run only where --out names one)."""
    if not args.quick or args.out != RESULTS:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"results: {out}")
    return result


if __name__ == "__main__":
    main()
