"""How a visioncode run scales: worker processes, model calls overlapped with renders, and
a warm re-run, each measured against the naive way on the same work in one run.

    .venv/bin/python benchmarks/pipeline_scaling.py            # 200 SVG programs
    .venv/bin/python benchmarks/pipeline_scaling.py --quick    # 40 programs, for CI

Three measurements, every one a full `visioncode run` (Runner, records fsynced, summary)
over the same SVG programs (the img2svg example's, then seeded random compositions from
its builder, as `svg_render.py`), rendered by cairosvg at 256 x 256 with the render cache
off unless said otherwise:

- `workers`: the replay model (instant answers), 1 worker process versus 2. The ratio
  is time(1) / time(2); on a machine with 2 or more free cores the ideal is 2.
- `overlap`: an OpenAI-compatible model server on localhost (a separate process) that
  answers each request after `--latency` seconds, response cache off. `serial` is one
  worker running one sample at a time (model, then render, then the next sample: the sum
  of the two), `threads` is one worker with `run.samples_per_worker = --in-flight`
  (model calls of several samples in flight while another sample renders), `processes`
  is as many worker processes instead (the older way to overlap, one renderer each).
  The bound is max(total model latency / in flight, local work), the local work being
  the serial run's time outside model calls.
- `warm rerun`: the same server, response cache and render cache on (in a private
  cache folder): a cold run into one run directory, then the same pipeline with another
  metric into a new one. The warm run must make zero renders (every render a cache hit)
  and zero model calls (the server counts the requests it answers).

Results go to `benchmarks/results/pipeline_scaling.json` and, through
`benchmarks/run.py --docs`, to docs/benchmarks.md. Compare ratios from one run, not
numbers across machines.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "pipeline_scaling.json"


def svg_programs(n: int) -> list[tuple[str, str]]:
    """The same programs `svg_render.py` measures."""
    spec = importlib.util.spec_from_file_location("svg_render", ROOT / "benchmarks" /
                                                  "svg_render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.programs(n)  # type: ignore[no-any-return]


# -- the slow model server --------------------------------------------------------------


def serve(port_file: str, programs_file: str, latency: float, count_file: str) -> None:
    """An OpenAI-compatible chat endpoint answering `Draw <id>.` with that program after
    `latency` seconds; every answered request adds a line to `count_file`."""
    programs = json.loads(Path(programs_file).read_text())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            text = json.dumps(body["messages"])
            sid = next((k for k in programs if f"Draw {k}." in text), None)
            time.sleep(latency)
            answer = programs.get(sid, "<svg/>")
            data = json.dumps({
                "id": "x", "object": "chat.completion", "model": body.get("model", "m"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": answer}}],
                "usage": {"prompt_tokens": len(text) // 4,
                          "completion_tokens": len(answer) // 4}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            with open(count_file, "a") as fh:
                fh.write("1\n")

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


class ModelServer:
    def __init__(self, work: Path, programs: list[tuple[str, str]], latency: float) -> None:
        self.work = work
        self.count_file = work / "requests.log"
        (work / "programs.json").write_text(json.dumps(dict(programs)))
        port_file = work / "port"
        self.proc = multiprocessing.get_context("spawn").Process(
            target=serve, args=(str(port_file), str(work / "programs.json"), latency,
                                str(self.count_file)), daemon=True)
        self.proc.start()
        deadline = time.time() + 60
        while not port_file.exists() or not port_file.read_text():
            if time.time() > deadline:
                raise RuntimeError("the model server did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{port_file.read_text()}/v1"

    def requests(self) -> int:
        return len(self.count_file.read_text().splitlines()) if self.count_file.exists() else 0

    def close(self) -> None:
        self.proc.terminate()
        self.proc.join(10)


# -- pipelines --------------------------------------------------------------------------


def pipeline(work: Path, model: str, *, workers: int = 1, in_flight: int = 1,
             render_cache: bool = False, response_cache: bool = False,
             metric: str = "render-success") -> Path:
    cfg = work / f"pipeline-{time.perf_counter_ns()}.toml"
    cfg.write_text(f"""
[task]
name = "scaling"
prompt = "Draw {{id}}."

[dataset]
path = "{work / 'samples.jsonl'}"

[model]
{model}

[executor]
use = "svg"

[renderer]
use = "cairosvg"

[render]
width = 256
height = 256

[run]
workers = {workers}
samples_per_worker = {in_flight}
render_cache = {str(render_cache).lower()}

[model_calls]
cache = {str(response_cache).lower()}

[[metrics]]
use = "{metric}"
""")
    return cfg


def timed_run(cfg: Path, out: Path) -> tuple[float, Any]:
    from visioncode.config import load_config
    from visioncode.runner import Runner

    start = time.perf_counter()
    summary = Runner(load_config(cfg), out).run(console="quiet")
    seconds = time.perf_counter() - start
    if summary.ok != summary.samples:
        raise RuntimeError(f"{out}: {summary.samples - summary.ok} samples did not render")
    return seconds, summary


def steady_seconds(out: Path) -> float:
    """First sample started to last finished: the run without its start-up (spawning
    workers, starting renderers) and its summary."""
    from visioncode.store import RunStore

    records = RunStore(out).load()
    return max(r.finished_at for r in records) - min(r.started_at for r in records)


def stage_totals(out: Path) -> dict[str, float]:
    from visioncode.store import RunStore

    totals: dict[str, float] = {}
    for r in RunStore(out).load():
        for rnd in r.rounds:
            for k, v in rnd.timings.items():
                totals[k] = totals.get(k, 0.0) + v
    return totals


def render_hits(out: Path) -> tuple[int, int]:
    from visioncode.render_cache import render_counts
    from visioncode.store import RunStore

    return render_counts(RunStore(out).load())


def openai_model(url: str) -> str:
    return (f'use = "openai"\noptions = {{ model = "slow-local", base_url = "{url}", '
            f'api_key_required = false, temperature = 0.0 }}')


def measure(n: int, latency: float, in_flight: int, overlap_n: int) -> dict[str, Any]:
    items = svg_programs(n)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="visioncode-scaling-") as tmp:
        work = Path(tmp)
        os.environ["VISIONCODE_CACHE_DIR"] = str(work / "cache")  # private caches
        os.environ["VISIONCODE_SLOTS_DIR"] = str(work / "slots")
        rows = [{"id": sid, "text": sid} for sid, _ in items]
        (work / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        replay = work / "replay.jsonl"
        replay.write_text("".join(json.dumps({"sample_id": sid, "text": svg}) + "\n"
                                  for sid, svg in items))
        replay_model = f'use = "replay"\noptions = {{ path = "{replay}" }}'

        # workers: 1 vs 2 processes, same programs
        t1, _ = timed_run(pipeline(work, replay_model, workers=1), work / "w1")
        t2, _ = timed_run(pipeline(work, replay_model, workers=2), work / "w2")
        s1, s2 = steady_seconds(work / "w1"), steady_seconds(work / "w2")
        workers = {"samples": n, "one_s": t1, "two_s": t2, "one_rps": n / t1,
                   "two_rps": n / t2, "speedup": t1 / t2, "one_steady_s": s1,
                   "two_steady_s": s2, "steady_speedup": s1 / s2}

        server = ModelServer(work, items, latency)
        try:
            model = openai_model(server.url)
            sub = work / "overlap"
            sub.mkdir()
            (sub / "samples.jsonl").write_text(
                "".join(json.dumps(r) + "\n" for r in rows[:overlap_n]))
            ts, _ = timed_run(pipeline(sub, model), sub / "serial")
            stages = stage_totals(sub / "serial")
            tt, _ = timed_run(pipeline(sub, model, in_flight=in_flight), sub / "threads")
            tp, _ = timed_run(pipeline(sub, model, workers=in_flight), sub / "processes")
            model_s = stages.get("generate", 0.0)
            local_s = max(ts - model_s, 0.0)
            bound = max(model_s / in_flight, local_s)
            overlap = {"samples": overlap_n, "latency_s": latency, "in_flight": in_flight,
                       "serial_s": ts, "threads_s": tt, "processes_s": tp,
                       "model_s": model_s, "local_s": local_s, "bound_s": bound,
                       "threads_speedup": ts / tt, "processes_speedup": ts / tp,
                       "threads_over_bound": tt / bound if bound else None}

            before = server.requests()
            cold_t, cold = timed_run(pipeline(work, model, render_cache=True,
                                              response_cache=True), work / "cold")
            cold_calls = server.requests() - before
            warm_t, warm = timed_run(pipeline(work, model, render_cache=True,
                                              response_cache=True, metric="svg-code"
                                              if _has_metric("svg-code") else
                                              "render-success"), work / "warm")
            warm_calls = server.requests() - before - cold_calls
            renders, hits = render_hits(work / "warm")
            rerun = {"samples": n, "latency_s": latency, "cold_s": cold_t, "warm_s": warm_t,
                     "speedup": cold_t / warm_t, "cold_model_calls": cold_calls,
                     "warm_model_calls": warm_calls, "warm_usage_calls": warm.usage.calls,
                     "warm_cache_hits": warm.usage.cache_hits, "warm_renders": renders - hits,
                     "warm_render_cache_hits": hits, "cold_usage_calls": cold.usage.calls}
        finally:
            server.close()
    return {
        "programs": n,
        "machine": {"platform": platform.platform(), "python": sys.version.split()[0],
                    "cpus": os.cpu_count(), "load_before": load_before,
                    "load_after": os.getloadavg()[0]},
        "versions": {"visioncode": metadata.version("visioncode")},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "results": {"workers": workers, "overlap": overlap, "warm_rerun": rerun},
    }


def _has_metric(name: str) -> bool:
    from visioncode import registry

    return any(e.kind == "metric" and e.name == name for e in registry.list_components())


def markdown(data: dict[str, Any]) -> str:
    r = data["results"]
    w, o, z = r["workers"], r["overlap"], r["warm_rerun"]
    m = data["machine"]
    return "\n".join([
        "## Pipeline scaling", "",
        f"`.venv/bin/python benchmarks/pipeline_scaling.py`: full `visioncode run`s over "
        f"SVG programs with cairosvg at 256 x 256 ({m['cpus']} CPUs, Python {m['python']},"
        f" {m['platform']}; 1-minute load average {m['load_before']:.1f} before, "
        f"{m['load_after']:.1f} after), {data['measured_at']}.", "",
        "| measurement | naive | visioncode | naive / visioncode |", "|---|---|---|---|",
        f"| {w['samples']} samples, replay model: 1 worker vs 2 worker processes | "
        f"{w['one_s']:.2f} s ({w['one_rps']:.0f}/s) | {w['two_s']:.2f} s "
        f"({w['two_rps']:.0f}/s) | {w['speedup']:.2f}x |",
        f"| same, without start-up (first sample started to last finished) | "
        f"{w['one_steady_s']:.2f} s | {w['two_steady_s']:.2f} s | "
        f"{w['steady_speedup']:.2f}x |",
        f"| {o['samples']} samples, model server answering after {o['latency_s']:g} s: "
        f"serial vs {o['in_flight']} samples in flight (threads, 1 worker) | "
        f"{o['serial_s']:.2f} s | {o['threads_s']:.2f} s | {o['threads_speedup']:.2f}x "
        f"(bound {o['bound_s']:.2f} s) |",
        f"| same, serial vs {o['in_flight']} worker processes | {o['serial_s']:.2f} s | "
        f"{o['processes_s']:.2f} s | {o['processes_speedup']:.2f}x |",
        f"| {z['samples']} samples: cold run vs warm re-run (caches full, another metric) | "
        f"{z['cold_s']:.2f} s, {z['cold_model_calls']} model calls | {z['warm_s']:.2f} s, "
        f"{z['warm_model_calls']} model calls, {z['warm_renders']} renders | "
        f"{z['speedup']:.2f}x |",
        "",
        "Ratios are naive time / visioncode time (above 1: visioncode is faster). Worker "
        "processes pay a start-up (spawn, imports, renderer workers) that a short run "
        "does not amortise, and on a machine whose cores are busy a second process adds "
        "no CPU. The overlap bound is max(model latency / samples in flight, local work), local "
        "work being the serial run's time outside model calls. Raw numbers: "
        "`benchmarks/results/pipeline_scaling.json`.",
    ]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="40 programs, for CI")
    parser.add_argument("--n", type=int, help="programs (200; 40 with --quick)")
    parser.add_argument("--latency", type=float, default=0.2,
                        help="seconds the model server takes per answer (0.2)")
    parser.add_argument("--in-flight", type=int, default=4,
                        help="samples in flight per worker for the overlap run (4)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args(argv)
    n = args.n or (40 if args.quick else 200)
    data = measure(n, args.latency, args.in_flight, overlap_n=min(n, 16 if args.quick else 60))
    z = data["results"]["warm_rerun"]
    if z["warm_model_calls"] or z["warm_renders"]:
        print(f"warm re-run was not warm: {z}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2) + "\n")
    print(markdown(data), end="")
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
