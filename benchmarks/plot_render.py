"""Chart throughput: matplotlib programs run by a bare loop, through the `matplotlib`
executor and renderer, and through a full `visioncode` run, on the same programs.

    .venv/bin/python benchmarks/plot_render.py             # the 24 example charts x 2
    .venv/bin/python benchmarks/plot_render.py --quick     # 8 charts, one repetition

In one process and one run:

- `bare`: a loop that `exec`s each program in-process with the Agg backend, saves the
  current figure as PNG bytes at 400 x 300 (dpi chosen to fit, as the renderer's
  `contain`), and closes its figures: what an unsandboxed harness does;
- `executor+renderer`: the `matplotlib` executor (sandboxed worker, a forked job per
  program, figures saved, drawing calls traced) then the renderer (`source = "rerun"`: the
  program run again at the canvas): the default configuration;
- `executor+fit`: the executor without tracing, and the renderer fitting the executor's
  PNG (`source = "executor"`): one sandboxed run per chart;
- `pipeline`: `visioncode run` in-process (`workers = 1`) with the replay model answering
  each chart with its program and the render-success metric only; its start-up counts.

Workers are started before the component timings. Each measurement is repeated
(`--repeat`, 3) and the fastest kept. Rates are charts per second; ratios are (that time)
/ (the bare loop's time). The load is recorded before and after.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "examples" / "chart2code"))
from _load import LoadRecord  # noqa: E402
from make_dataset import PROGRAMS, program  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "plot_render.json"
WIDTH, HEIGHT = 400, 300


def bare(sources: list[str]) -> float:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    started = time.perf_counter()
    for source in sources:
        exec(compile(source, "program.py", "exec"), {"__name__": "__main__"})
        fig = plt.gcf()
        w, h = fig.get_size_inches()
        fig.savefig(io.BytesIO(), format="png", dpi=min(WIDTH / w, HEIGHT / h))
        plt.close("all")
    return time.perf_counter() - started


def components(sources: list[str], trace: bool, source: str) -> tuple[float, float]:
    from visioncode import RenderSpec
    from visioncode_plot.executor import MatplotlibExecutor
    from visioncode_plot.renderer import MatplotlibRenderer

    executor = MatplotlibExecutor(MatplotlibExecutor.Options(workers=1, trace=trace))
    renderer = MatplotlibRenderer(MatplotlibRenderer.Options(workers=1, source=source))
    spec = RenderSpec(width=WIDTH, height=HEIGHT)
    try:
        warm = time.perf_counter()
        executor.pool.warm_up()
        if source == "rerun":
            renderer.pool.warm_up()
        startup = time.perf_counter() - warm
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            for i, text in enumerate(sources):
                ex = executor.execute(text, Path(tmp) / f"{i}")
                r = renderer.render(ex, spec, Path(tmp) / f"{i}")
                assert r.ok, r.error
            return time.perf_counter() - started, startup
    finally:
        executor.close()
        renderer.close()


def pipeline(sources: list[str]) -> float:
    from visioncode.config import load_config
    from visioncode.runner import Runner

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = [{"id": f"c{i}", "text": "chart"} for i in range(len(sources))]
        (folder / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        (folder / "answers.jsonl").write_text("".join(
            json.dumps({"sample_id": f"c{i}", "text": f"```python\n{s}```"}) + "\n"
            for i, s in enumerate(sources)))
        (folder / "pipeline.toml").write_text(f"""
[task]
name = "chart2code"
[dataset]
path = "samples.jsonl"
[model]
use = "replay"
[model.options]
path = "answers.jsonl"
[executor]
use = "matplotlib"
[executor.options]
workers = 1
[renderer]
use = "matplotlib"
[renderer.options]
workers = 1
[render]
width = {WIDTH}
height = {HEIGHT}
[[metrics]]
use = "render-success"
[run]
workers = 1
render_cache = false
""")
        started = time.perf_counter()
        Runner(load_config(folder / "pipeline.toml"), folder / "run").run(console="quiet")
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 charts, one repetition")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--copies", type=int, default=2, help="times each chart is run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    charts = sorted(PROGRAMS)
    sources = [program(c) for c in charts] * args.copies
    repeat = args.repeat
    if args.quick:
        sources, repeat = sources[:8], 1
    load = LoadRecord.start()
    times: dict[str, float] = {}
    startups: dict[str, float] = {}
    for _ in range(repeat):
        for name, measure in (
                ("bare", lambda: (bare(sources), 0.0)),
                ("executor+renderer", lambda: components(sources, True, "rerun")),
                ("executor+fit", lambda: components(sources, False, "executor")),
                ("pipeline", lambda: (pipeline(sources), 0.0))):
            seconds, startup = measure()
            if name not in times or seconds < times[name]:
                times[name], startups[name] = seconds, startup
    load.stop()
    n = len(sources)
    results: dict[str, Any] = {
        "charts": n, "canvas": [WIDTH, HEIGHT], "repeat": repeat,
        "results": {name: {"seconds": round(t, 3), "charts_per_s": round(n / t, 2),
                           "ratio_to_bare": round(t / times["bare"], 2),
                           "worker_startup_s": round(startups[name], 2)}
                    for name, t in times.items()},
        "load": load.as_dict()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"{n} charts at {WIDTH}x{HEIGHT}, best of {repeat}; {load.describe()}")
    print(f"{'path':<20} {'charts/s':>9} {'x bare':>7}")
    for name, row in results["results"].items():
        print(f"{name:<20} {row['charts_per_s']:>9} {row['ratio_to_bare']:>7}")


if __name__ == "__main__":
    main()
