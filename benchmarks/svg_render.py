"""SVG rendering throughput: cairosvg and resvg called bare, through visioncode's renderer
(warm sandboxed worker), and through a full `visioncode` run, on the same programs.

    .venv/bin/python benchmarks/svg_render.py              # 240 programs at 256 x 256

For each renderer, in one process and one run:

- `bare`: a loop calling the library directly on each file (`cairosvg.svg2png`,
  `resvg_py.svg_to_bytes`) at the canvas size, PNG bytes kept in memory;
- `renderer`: visioncode's renderer on the already-sanitised programs (canvas fitting,
  the worker round trip with its checks, background compositing, the PNG written to
  disk); the worker is started before timing, and its start-up is reported apart;
- `executor+renderer`: the `svg` executor (parse and sanitise) then the renderer;
- `pipeline`: `visioncode run` in-process (`workers = 1`) with the replay model answering
  each sample with its program, so it does what the bare loop does plus everything a run
  adds (extraction, sanitising, the worker, records written and fsynced, the summary),
  with the `render-success` metric only. Its start-up (components, the worker) counts.

Each measurement is repeated (`--repeat`, 3) and the fastest repetition kept, the usual
way to read through a busy machine's noise. Every rate is renders per second; every ratio
is (that time) / (the bare loop's time on the same files). Programs: the img2svg
example's 32 SVGs plus seeded random compositions from its builder, up to `--n`.
Results go to `benchmarks/results/svg_render.json` and to the SVG section of
`docs/benchmarks.md`. Timings depend on the machine: compare ratios from one run, not
numbers across machines.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "img2svg"
RESULTS = ROOT / "benchmarks" / "results" / "svg_render.json"

sys.path.insert(0, str(ROOT / "benchmarks"))
from _replay import write_replay_job  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- svg_render:start -->", "<!-- svg_render:end -->"
ENGINES = ("cairosvg", "resvg")


def example_builder() -> Any:
    spec = importlib.util.spec_from_file_location("img2svg_make_dataset",
                                                  EXAMPLE / "make_dataset.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def programs(n: int, seed: int = 2024) -> list[tuple[str, str]]:
    """(id, SVG text): the example's SVGs, then random compositions up to n."""
    out = [(p.stem, p.read_text()) for p in sorted((EXAMPLE / "dataset" / "svg").glob("*.svg"))]
    builder = example_builder()
    rng = random.Random(seed)
    i = 0
    while len(out) < n:
        out.append((f"random-{i:04d}", builder.svg_document(builder.random_composition(rng))))
        i += 1
    return out[:n]


def bare_loop(engine: str, files: list[Path], size: int, repeat: int) -> float:
    """Seconds for the library alone to render every file (fastest repetition)."""
    if engine == "cairosvg":
        import cairosvg

        def one(data: bytes) -> bytes:
            return cairosvg.svg2png(bytestring=data, output_width=size, output_height=size)
    else:
        import resvg_py

        def one(data: bytes) -> bytes:
            return bytes(resvg_py.svg_to_bytes(svg_string=data.decode(), width=size,
                                               height=size))
    datas = [f.read_bytes() for f in files]
    one(datas[0])  # imports and first-call set-up are not part of the loop
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for data in datas:
            one(data)
        times.append(time.perf_counter() - start)
    return min(times)


def through_visioncode(engine: str, items: list[tuple[str, str]], size: int,
                       work: Path, repeat: int) -> dict[str, float]:
    from visioncode import ComponentContext, RenderSpec
    from visioncode.registry import load

    executor = load("executor", "svg")(context=ComponentContext(name="svg"))
    renderer = load("renderer", engine)(context=ComponentContext(name=engine))
    spec = RenderSpec(width=size, height=size)
    render_only, both = [], []
    try:
        started = time.perf_counter()
        first = executor.execute(items[0][1], work / "warm")
        assert renderer.render(first, spec, work / "warm").ok  # starts the worker
        worker_start = time.perf_counter() - started
        executions = [executor.execute(svg, work / "exec" / sid) for sid, svg in items]
        for _ in range(repeat):
            start = time.perf_counter()
            for (sid, _), execution in zip(items, executions, strict=True):
                rendering = renderer.render(execution, spec, work / "render" / sid)
                assert rendering.ok, (sid, rendering.error)
            render_only.append(time.perf_counter() - start)
            start = time.perf_counter()
            for sid, svg in items:
                execution = executor.execute(svg, work / "both" / sid)
                assert renderer.render(execution, spec, work / "both" / sid).ok
            both.append(time.perf_counter() - start)
    finally:
        renderer.close()
    return {"renderer_s": min(render_only), "executor_renderer_s": min(both),
            "worker_start_s": worker_start}


def pipeline_run(engine: str, items: list[tuple[str, str]], size: int, work: Path) -> float:
    from visioncode.config import load_config
    from visioncode.runner import Runner

    work.mkdir(parents=True, exist_ok=True)
    (work / "svg").mkdir(exist_ok=True)
    rows, answers = [], []
    for sid, svg in items:
        (work / "svg" / f"{sid}.svg").write_text(svg)
        rows.append({"id": sid, "reference_program": f"svg/{sid}.svg"})
        answers.append({"sample_id": sid, "text": svg})
    config = write_replay_job(work, rows, answers, task="img2svg", renderer=engine,
                              width=size, height=size)
    loaded = load_config(config)
    start = time.perf_counter()
    summary = Runner(loaded, work / "run").run(console="quiet")
    seconds = time.perf_counter() - start
    assert summary.ok == len(items), summary.statuses
    return seconds


def measure(n: int, size: int, repeat: int = 3) -> dict[str, Any]:
    load_before = os.getloadavg()
    items = programs(n)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="visioncode-bench-") as tmp:
        root = Path(tmp)
        files = []
        for sid, svg in items:
            path = root / "files" / f"{sid}.svg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(svg)
            files.append(path)
        for engine in ENGINES:
            bare = bare_loop(engine, files, size, repeat)
            vc = through_visioncode(engine, items, size, root / engine, repeat)
            full = min(pipeline_run(engine, items, size, root / f"{engine}-pipeline-{i}")
                       for i in range(repeat))
            results[engine] = {
                "bare_rps": n / bare,
                "renderer_rps": n / vc["renderer_s"],
                "executor_renderer_rps": n / vc["executor_renderer_s"],
                "pipeline_rps": n / full,
                "renderer_overhead_ratio": vc["renderer_s"] / bare,
                "executor_renderer_overhead_ratio": vc["executor_renderer_s"] / bare,
                "pipeline_overhead_ratio": full / bare,
                "bare_s": bare, "renderer_s": vc["renderer_s"],
                "executor_renderer_s": vc["executor_renderer_s"], "pipeline_s": full,
                "worker_start_s": vc["worker_start_s"],
            }
    import cairosvg
    import resvg_py

    return {
        "programs": n, "size": size, "repeat": repeat,
        "machine": {"platform": platform.platform(), "python": sys.version.split()[0],
                    "cpus": os.cpu_count(), "processor": platform.processor() or "?"},
        "versions": {"cairosvg": cairosvg.__version__,
                     "resvg": f"{resvg_py.__resvg_version__} (resvg-py {resvg_py.__version__})",
                     "visioncode": metadata.version("visioncode")},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "load_before": list(load_before), "load_after": list(os.getloadavg()),
        "results": results,
    }


def markdown(data: dict[str, Any]) -> str:
    lines = [
        START, "## SVG rendering", "",
        f"`.venv/bin/python benchmarks/svg_render.py`: {data['programs']} programs at "
        f"{data['size']} x {data['size']}, fastest of {data['repeat']}, one process "
        f"({data['machine']['cpus']} CPUs, Python {data['machine']['python']}, "
        f"{data['machine']['platform']}), {data['measured_at']}, load "
        f"{data['load_before'][0]:.2f} before and {data['load_after'][0]:.2f} after. Renders "
        "per second, and the time as a multiple of the bare library loop on the same files.",
        "",
        "| renderer | bare library | visioncode renderer | executor + renderer | "
        "full pipeline | renderer / bare | pipeline / bare | worker start |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for engine, r in data["results"].items():
        version = data["versions"][engine]
        lines.append(
            f"| {engine} {version} | {r['bare_rps']:.0f}/s | {r['renderer_rps']:.0f}/s | "
            f"{r['executor_renderer_rps']:.0f}/s | {r['pipeline_rps']:.0f}/s | "
            f"{r['renderer_overhead_ratio']:.2f}x | {r['pipeline_overhead_ratio']:.2f}x | "
            f"{r['worker_start_s']:.2f} s |")
    lines += ["", "The renderer column excludes the worker's start-up (shown apart); the "
              "pipeline column includes everything a `visioncode run` does, start-up "
              "included. Raw numbers: `benchmarks/results/svg_render.json`.", END]
    return "\n".join(lines) + "\n"


def write_doc(doc: Path, section: str) -> None:
    """Replace the SVG section of the benchmarks page (or create the page)."""
    if doc.is_file():
        text = doc.read_text()
        if START in text and END in text:
            head, rest = text.split(START, 1)
            tail = rest.split(END, 1)[1].lstrip("\n")
            doc.write_text(head + section + ("\n" + tail if tail else ""))
            return
        doc.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text("# Benchmarks\n\nFramework overhead measured against the raw library "
                   "doing the same work, as ratios from one run. Regenerate with the "
                   "command in each section.\n\n" + section)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=240, help="number of programs (240)")
    parser.add_argument("--size", type=int, default=256, help="canvas side in pixels (256)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="repetitions of each measurement; the fastest is kept (3)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    parser.add_argument("--markdown", type=Path, default=DOC,
                        help="page whose SVG section is rewritten (docs/benchmarks.md)")
    parser.add_argument("--max-load", type=float, default=None,
                        help="1-minute load above which the page is not rewritten "
                        "(default: the number of cores)")
    args = parser.parse_args(argv)
    data = measure(args.n, args.size, args.repeat)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2) + "\n")
    section = markdown(data)
    limit = args.max_load if args.max_load is not None else float(os.cpu_count() or 1)
    if max(data["load_before"][0], data["load_after"][0]) > limit:
        print(f"the 1-minute load ({data['load_before'][0]:.2f} before, "
              f"{data['load_after'][0]:.2f} after) exceeds {limit:g}: results "
              f"written to {args.out}, {args.markdown} left unchanged")
    else:
        write_doc(args.markdown, section)
    print(section.replace(START + "\n", "").replace(END + "\n", ""), end="")
    print(f"results: {args.out}; table: {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
