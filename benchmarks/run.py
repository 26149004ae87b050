"""Every benchmark in one command, and the results page written from their JSON files.

    .venv/bin/python benchmarks/run.py                     # all, full size; rewrites the docs
    .venv/bin/python benchmarks/run.py --quick             # all, small (CI); docs untouched
    .venv/bin/python benchmarks/run.py --only svg_render pipeline_scaling
    .venv/bin/python benchmarks/run.py --docs-only         # the page from results/*.json

Each benchmark is its own script (`benchmarks/<name>.py`, writing
`benchmarks/results/<name>.json` and printing its table), run here in a child process
one after the other, so one measurement never shares a machine with another. A benchmark
whose plugin is not installed is skipped with a line saying which and how to install it.

Every figure carries the machine's load: the 1-minute load average and the cores are
recorded before and after each script (`benchmarks/_load.py`) and stored in its results
file under `load`; figures whose 1-minute load exceeded the core count at either end are
not written into the page (their overview row says so), and a script that writes its own
section under load has the page put back as it was. `--quick` runs write their results
to a temporary folder and never touch the tracked results files or the page.

The page, `docs/benchmarks.md`, gets an overview table (one headline per benchmark, from
its JSON) and a section per benchmark. A script that writes its own section (between
`<!-- NAME:start -->` and `<!-- NAME:end -->`, as `svg_render.py` does) keeps it; for
the others the section is generated here from the JSON's `results`.
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
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks"
sys.path.insert(0, str(HERE))
from _load import LoadRecord, publishable  # noqa: E402 (benchmarks/ is not a package)

RESULTS = HERE / "results"
DOC = ROOT / "docs" / "benchmarks.md"
OVERVIEW = ("<!-- overview:start -->", "<!-- overview:end -->")
#: Marks a section this script generated (and may rewrite) from a JSON file.
GENERATED = "<!-- generated from the results file by benchmarks/run.py -->"


@dataclass
class Benchmark:
    name: str
    #: The distribution whose components it measures (skipped when not installed).
    distribution: str
    what: str
    #: Arguments for `--quick`; None when the script has a `--quick` flag of its own.
    quick_args: list[str] | None = None
    #: Arguments when the script should not write the page itself (quick runs).
    no_doc_args: list[str] = field(default_factory=list)


BENCHMARKS = [
    Benchmark("svg_render", "visioncode-svg",
              "SVG renders: pipeline and renderer versus a bare library loop",
              quick_args=["--n", "40", "--repeat", "1"]),
    Benchmark("svg_conformance", "visioncode-svg", "SVG conformance: bare vs visioncode"),
    Benchmark("svg_pipeline", "visioncode-svg",
              "SVG: visioncode run (render + SSIM, 1 worker, start-up included) versus a "
              "bare cairosvg + scikit-image process"),
    Benchmark("pipeline_scaling", "visioncode-svg",
              "1 vs 2 workers, model calls overlapped with renders, warm re-run"),
    Benchmark("manim_render", "visioncode-manim",
              "Manim: warm worker pool versus the manim CLI per scene"),
    Benchmark("html_render", "visioncode-html",
              "HTML: browser reuse versus a browser per page"),
    Benchmark("blender_render", "visioncode-blender",
              "Blender: persistent workers versus a process per render"),
    Benchmark("sandbox_overhead", "visioncode",
              "Sandbox: a trivial job with the per-job walls versus one process for all"),
    Benchmark("reward", "visioncode-svg",
              "Rewards: RewardFunction and /score versus a bare multiprocessing pool"),
    Benchmark("plot_render", "visioncode-plot",
              "Charts: matplotlib pipeline versus a bare exec loop"),
]


def installed(distribution: str) -> bool:
    try:
        metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


def accepts_out(script: Path) -> bool:
    """Whether a benchmark script takes `--out FILE` for its results JSON."""
    return '"--out"' in script.read_text(encoding="utf-8")


def run_one(b: Benchmark, quick: bool, scratch: Path) -> tuple[str, float]:
    """Run a benchmark script; returns (outcome, seconds). The load is recorded before
    and after; a full run adds it to the script's results file."""
    script = HERE / f"{b.name}.py"
    if not script.is_file():
        print(f"skip {b.name}: benchmarks/{b.name}.py does not exist yet", flush=True)
        return "skipped", 0.0
    if not installed(b.distribution):
        print(f"skip {b.name}: plugin {b.distribution} is not installed "
              f"(bash scripts/setup installs it)", flush=True)
        return "skipped", 0.0
    results = RESULTS / f"{b.name}.json"
    args: list[str] = []
    if quick:
        args = list(b.quick_args) if b.quick_args is not None else ["--quick"]
        # Quick numbers stay out of the committed results and the page.
        if accepts_out(script):
            args += ["--out", str(scratch / f"{b.name}.json")]
        if b.name == "svg_render":
            args += ["--markdown", str(scratch / "svg_render.md")]
    # Whatever a script writes, a quick run or a run under load must not change the
    # tracked results file or the page: both are put back unless the figures count.
    kept = {path: path.read_bytes() if path.is_file() else None for path in (results, DOC)}
    print(f"== {b.name}: {b.what}", flush=True)
    load = LoadRecord.start()
    start = time.perf_counter()
    # Benchmarks measure rendering: repetitions must render, not hit the render cache.
    env = {**os.environ, "VISIONCODE_RENDER_CACHE": "0"} if b.name != "pipeline_scaling" \
        else None
    rc = subprocess.call([sys.executable, str(script), *args], cwd=ROOT, env=env)
    seconds = time.perf_counter() - start
    load.stop()
    print(f"== {b.name}: {load.describe()}", flush=True)
    if quick:
        _restore(kept)
    elif rc == 0 and results.is_file() and results.read_bytes() != kept[results]:
        data = json.loads(results.read_text())
        data["load"] = load.as_dict()
        results.write_text(json.dumps(data, indent=2) + "\n")
        if not load.publishable():
            print(f"== {b.name}: {load.refusal()}", flush=True)
            _restore({DOC: kept[DOC]})
    outcome = "ok" if rc == 0 else f"failed (exit {rc})"
    print(f"== {b.name}: {outcome} in {seconds:.0f} s", flush=True)
    return outcome, seconds


def _restore(kept: dict[Path, bytes | None]) -> None:
    for path, data in kept.items():
        if data is None:
            if path.is_file() and path.parent == RESULTS:
                path.unlink()
        elif not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)


# -- the page ---------------------------------------------------------------------------


def _load_module(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def headline(name: str, data: dict[str, Any]) -> str:
    """One line of what a benchmark found, from its JSON."""
    r = data.get("results", {})
    try:
        if name == "svg_render":
            return "; ".join(f"{engine}: pipeline {v['pipeline_overhead_ratio']:.2f}x the "
                             f"bare loop's time, renderer {v['renderer_overhead_ratio']:.2f}x"
                             for engine, v in r.items())
        if name == "svg_pipeline":
            return (f"{r['programs']} programs: pipeline {r['pipeline_ratio']:.2f}x the bare "
                    "process's time")
        if name == "pipeline_scaling":
            w, o, z = r["workers"], r["overlap"], r["warm_rerun"]
            return (f"2 workers {w['steady_speedup']:.2f}x (without start-up); "
                    f"{o['in_flight']} samples in flight {o['threads_speedup']:.2f}x serial; "
                    f"warm re-run {z['speedup']:.2f}x with {z['warm_model_calls']} model "
                    f"calls and {z['warm_renders']} renders")
    except (KeyError, TypeError):
        pass
    ratios = _ratios(r or data)
    return "; ".join(f"{_words(k)} {v:.2f}x" for k, v in ratios[:4]) or "see its section"


def _words(key: str) -> str:
    return key.replace("ratio_", "").replace("_", " ").strip()


def _ratios(obj: Any, prefix: str = "") -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            key = f"{prefix}{k}"
            if isinstance(v, int | float) and not isinstance(v, bool) and (
                    "ratio" in k or "speedup" in k):
                out.append((key, float(v)))
            else:
                out += _ratios(v, key + " ")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _ratios(v, f"{prefix}{i} ")
    return out


def generic_section(name: str, data: dict[str, Any]) -> str:
    """A section for a results JSON whose script does not write its own: the settings
    (top-level scalars), a table with a row per measured variant (each mapping of
    scalars: `results` entries, or top-level ones such as `cli` and `pool`), and the
    ratios."""
    skip = {"benchmark", "measured_at", "machine", "versions", "results"}
    r = data.get("results")
    variants: list[tuple[str, dict[str, Any]]]
    if isinstance(r, dict):
        variants = [(k, v) for k, v in r.items() if isinstance(v, dict)]
    elif isinstance(r, list):
        variants = [(str(i), v) for i, v in enumerate(r) if isinstance(v, dict)]
    else:
        variants = [(k, v) for k, v in data.items() if k not in skip and isinstance(v, dict)]
    ratios = _ratios(r if r is not None else {k: v for k, v in data.items()
                                                if not isinstance(v, dict)})
    settings = [f"{k} {_cell(v)}" for k, v in data.items()
                if k not in skip and _scalar(v) and "ratio" not in k and "speedup" not in k]
    when = data.get("measured_at", "")
    lines = [f"<!-- {name}:start -->", GENERATED, f"## {name}", "",
             f"`.venv/bin/python benchmarks/{name}.py`"
             + (f" ({', '.join(settings)})" if settings else "")
             + (f", {when}" if when else "") + ".", ""]
    cols: list[str] = []
    for _, row in variants:
        cols += [k for k, v in row.items() if _scalar(v) and k not in cols]
    if variants and cols:
        lines += ["| | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
        lines += [f"| {key} | " + " | ".join(_cell(row.get(c)) for c in cols) + " |"
                  for key, row in variants]
        lines.append("")
    if ratios:
        lines.append("Ratios: " + "; ".join(f"{_words(k)} {v:.2f}x" for k, v in ratios)
                     + ".")
        lines.append("")
    lines += [f"Raw numbers: `benchmarks/results/{name}.json`.", f"<!-- {name}:end -->"]
    return "\n".join(lines) + "\n"


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, str | int | float | bool)


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v).replace("|", "\\|")


def _replace(text: str, start: str, end: str, section: str) -> str:
    if start in text and end in text:
        head, rest = text.split(start, 1)
        return head + section.rstrip("\n") + rest.split(end, 1)[1]
    return text.rstrip("\n") + "\n\n" + section


def write_docs(doc: Path = DOC, results: Path = RESULTS) -> None:
    """Rewrite the overview and the generated sections of the benchmarks page."""
    text = doc.read_text() if doc.is_file() else (
        "# Benchmarks\n\nFramework overhead measured against the naive way doing the same "
        "work, as ratios from one run. Regenerate with the command in each section.\n")
    rows = ["| benchmark | measures | finding | measured |", "|---|---|---|---|"]
    for b in BENCHMARKS:
        path = results / f"{b.name}.json"
        if not path.is_file():
            rows.append(f"| `{b.name}` | {b.what} | not measured yet | - |")
            continue
        data = json.loads(path.read_text())
        if not publishable(data):
            # Figures taken on a busy machine (or without a load record) stay out.
            why = (LoadRecord.from_dict(data["load"]).describe()
                   if isinstance(data.get("load"), dict) else "no load recorded")
            rows.append(f"| `{b.name}` | {b.what} | not published: measured under load "
                        f"or without a load record ({why}); rerun on a quiet machine | "
                        f"{data.get('measured_at', '-')} |")
            continue
        load = LoadRecord.from_dict(data["load"])
        rows.append(f"| `{b.name}` | {b.what} | "
                    f"{headline(b.name, data)} | {data.get('measured_at', '-')} "
                    f"({load.describe()}) |")
        start, end = f"<!-- {b.name}:start -->", f"<!-- {b.name}:end -->"
        if b.name == "pipeline_scaling":
            section = f"{start}\n{_load_module(b.name).markdown(data)}{end}\n"
            text = _replace(text, start, end, section)
        elif b.name != "svg_render" and (
                start not in text or GENERATED in text.split(start, 1)[1].split(end, 1)[0]):
            text = _replace(text, start, end, generic_section(b.name, data))
    overview = "\n".join([
        OVERVIEW[0], "## Overview", "",
        "`.venv/bin/python benchmarks/run.py` runs every benchmark below and rewrites this "
        "page from `benchmarks/results/*.json` (`--docs-only` rewrites it without "
        "measuring).", "", *rows, OVERVIEW[1]]) + "\n"
    if OVERVIEW[0] in text:
        text = _replace(text, *OVERVIEW, overview)
    else:  # first: right after the page's introduction
        head, sep, rest = text.partition("\n<!--")
        text = head.rstrip("\n") + "\n\n" + overview + ("\n<!--" + rest if sep else "")
    doc.write_text(text.rstrip("\n") + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (CI); the docs page is left alone unless --docs")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        choices=[b.name for b in BENCHMARKS], help="run only these")
    parser.add_argument("--docs", action="store_true",
                        help="rewrite docs/benchmarks.md after a --quick run too")
    parser.add_argument("--docs-only", action="store_true",
                        help="only rewrite docs/benchmarks.md from the results files")
    args = parser.parse_args(argv)
    if args.docs_only:
        write_docs()
        print(f"page: {DOC}")
        return 0
    outcomes: dict[str, tuple[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="visioncode-bench-") as tmp:
        for b in BENCHMARKS:
            if args.only and b.name not in args.only:
                continue
            outcomes[b.name] = run_one(b, args.quick, Path(tmp))
    if not args.quick or args.docs:
        write_docs()
        print(f"page: {DOC}")
    print("\n| benchmark | outcome | seconds |\n|---|---|---|")
    for name, (outcome, seconds) in outcomes.items():
        print(f"| {name} | {outcome} | {seconds:.0f} |")
    return 1 if any(o.startswith("failed") for o, _ in outcomes.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
