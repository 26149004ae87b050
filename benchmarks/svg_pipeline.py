"""The SVG pipeline against the bare loop it automates: `visioncode run` (1 worker,
start-up included) versus one Python process that renders each program with cairosvg and
scores it with scikit-image's SSIM, on the same 600 programs.

    .venv/bin/python benchmarks/svg_pipeline.py            # 600 programs at 256 x 256
    .venv/bin/python benchmarks/svg_pipeline.py --quick    # 60 programs, nothing written

Both sides are whole processes started from a shell, so interpreter start-up and imports
count on both: `bare` is `python -c` running the loop (render with `cairosvg.svg2png`,
decode both PNGs with Pillow, SSIM per channel with an 11 x 11 window as the `ssim`
metric does); `pipeline` is `visioncode run` with the replay model answering each sample
with its program, the `svg` executor (parse and sanitise), the cairosvg renderer in its
sandboxed warm worker, and the `ssim` metric; the render cache is off. Each side is run
`--repeat` times and the fastest kept; the ratio is of wall times. (CPU time is not a
substitute on a busy machine: the sandboxed render workers are not children that the run
reaps, so `RUSAGE_CHILDREN` misses their time.) The issue's target is pipeline / bare at
most 1.3 (goal 1.1).

The load is recorded before and after (`benchmarks/_load.py`); results go to
`benchmarks/results/svg_pipeline.json` (not with `--quick`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks"
RESULTS = HERE / "results" / "svg_pipeline.json"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))
from _load import LoadRecord  # noqa: E402
from _replay import write_replay_job  # noqa: E402

BARE = r"""
import io, json, sys
import cairosvg
import numpy as np
from PIL import Image
from skimage.metrics import structural_similarity
rows = [json.loads(line) for line in open(sys.argv[1])]
size = int(sys.argv[2])
def rgb(data):
    img = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
    return np.asarray(img.convert("RGB"), dtype=np.float64) / 255.0
total = 0.0
for row in rows:
    png = cairosvg.svg2png(bytestring=open(row["program"], "rb").read(),
                           output_width=size, output_height=size, background_color="white")
    total += structural_similarity(rgb(row["reference_image"]), rgb(png), win_size=11,
                                   data_range=1.0, channel_axis=-1)
print(json.dumps({"n": len(rows), "mean_ssim": total / len(rows)}))
"""


def programs(n: int) -> list[tuple[str, str]]:
    spec = importlib.util.spec_from_file_location("bench_svg_render", HERE / "svg_render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.programs(n)  # type: ignore[no-any-return]


def prepare(work: Path, n: int, size: int) -> None:
    """Programs, reference PNGs (the program rendered bare), the dataset, the answers
    of the replay model and the pipeline file."""
    import cairosvg

    (work / "svg").mkdir(parents=True)
    (work / "ref").mkdir()
    rows, answers, bare = [], [], []
    for sid, svg in programs(n):
        program = work / "svg" / f"{sid}.svg"
        program.write_text(svg)
        ref = work / "ref" / f"{sid}.png"
        cairosvg.svg2png(bytestring=svg.encode(), write_to=str(ref), output_width=size,
                         output_height=size, background_color="white")
        rows.append({"id": sid, "reference_image": f"ref/{sid}.png"})
        answers.append({"sample_id": sid, "text": svg})
        bare.append({"program": str(program), "reference_image": str(ref)})
    (work / "bare.jsonl").write_text("".join(json.dumps(b) + "\n" for b in bare))
    write_replay_job(work, rows, answers, task="img2svg", renderer="cairosvg", width=size,
                     height=size, metrics=("ssim",), background="#ffffff")


def timed(argv: list[str], cwd: Path) -> float:
    """Wall seconds of a command."""
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "VISIONCODE_RENDER_CACHE": "0"})
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return round(wall, 3)


def measure(n: int, size: int, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="visioncode-svg-pipeline-") as tmp:
        work = Path(tmp)
        prepare(work, n, size)
        bare, pipe = [], []
        for i in range(repeat):
            bare.append(timed([sys.executable, "-c", BARE, "bare.jsonl", str(size)], work))
            pipe.append(timed([str(BIN / "visioncode"), "run", "pipeline.toml", "-q",
                               "--out", f"run-{i}"], work))
    return {"programs": n, "size": size, "repeat": repeat, "bare_s": min(bare),
            "pipeline_s": min(pipe), "pipeline_ratio": round(min(pipe) / min(bare), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=600, help="programs (600)")
    parser.add_argument("--size", type=int, default=256, help="canvas side (256)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per side, fastest kept")
    parser.add_argument("--quick", action="store_true", help="60 programs, one run each")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    args = parser.parse_args(argv)
    n, repeat = (60, 1) if args.quick else (args.n, args.repeat)
    load = LoadRecord.start()
    results = measure(n, args.size, repeat)
    load.stop()
    data = {"benchmark": "svg_pipeline",
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "results": results, "load": load.as_dict()}
    print(f"{n} programs at {args.size}px: bare {results['bare_s']:.2f} s, visioncode run "
          f"{results['pipeline_s']:.2f} s: {results['pipeline_ratio']:.2f}x; "
          f"{load.describe()}")
    if not load.publishable():
        print(load.refusal())
    if not args.quick or args.out != RESULTS:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(data, indent=2) + "\n")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
