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
        if not list((work / "media").rglob(f"{name}.mp4")):
            raise RuntimeError(f"manim CLI wrote no video for {name}")
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as ex:
        per_scene = list(ex.map(one, items))
    wall = time.perf_counter() - started
    return {"wall_s": wall, "scenes_per_min": 60 * len(items) / wall,
            "mean_scene_s": sum(per_scene) / len(per_scene)}


def run_pool(items: list[tuple[str, str]], workers: int, folder: Path) -> dict[str, Any]:
    renderer = ManimRenderer(ManimRenderer.Options(workers=workers))
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


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=12, help="scenes (default 12)")
    parser.add_argument("--workers", type=int, default=2, help="concurrency of both ways")
    parser.add_argument("--quick", action="store_true", help="4 scenes: a smoke run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    args = parser.parse_args(argv)
    n = 4 if args.quick else args.n
    items = scenes(n)
    folder = Path(tempfile.mkdtemp(prefix="visioncode-manim-bench-"))
    try:
        cli = run_cli(items, args.workers, folder / "cli")
        pool = run_pool(items, args.workers, folder / "pool")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "benchmark": "manim_render", "scenes": n, "workers": args.workers,
        "quality": "low (854x480, 15 fps)", "cli": cli, "pool": pool,
        "ratio_pool_vs_cli": pool["scenes_per_min"] / cli["scenes_per_min"],
        "ratio_pool_with_startup_vs_cli":
            pool["scenes_per_min_with_startup"] / cli["scenes_per_min"],
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "manim": metadata.version("manim")},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(f"{n} scenes, {args.workers} at a time, 854x480 at 15 fps")
    print(f"  manim CLI per scene : {cli['scenes_per_min']:7.1f} scenes/min "
          f"({cli['mean_scene_s']:.2f} s per scene)")
    print(f"  warm worker pool    : {pool['scenes_per_min']:7.1f} scenes/min "
          f"({pool['mean_scene_s']:.2f} s per scene; start-up {pool['startup_s']:.1f} s)")
    print(f"  ratio pool / CLI    : {result['ratio_pool_vs_cli']:.2f}x "
          f"({result['ratio_pool_with_startup_vs_cli']:.2f}x counting the pool's start-up)")
    if not args.quick or args.out != RESULTS:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"results: {args.out}")
    return result


if __name__ == "__main__":
    main()
