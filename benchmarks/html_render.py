"""HTML screenshot throughput: a browser reused for every page against a new browser per
page, measured in one run, through visioncode and with Playwright bare.

    .venv/bin/python benchmarks/html_render.py            # 20 pages at 480 x 360, best of 2
    .venv/bin/python benchmarks/html_render.py --quick    # 2 pages, once (a smoke test)

Four ways to screenshot the same pages (the gui-next-state and screenshot2html example
pages, cycled up to `--n`), each timed from a cold start (worker and browser launch
included) to the last PNG:

- `visioncode, browser reuse`: one `BrowserClient`, the plugin's warm sandboxed worker:
  one Chromium, a fresh browser context per page, network blocked, the full wait
  condition (load, network idle, fonts, two frames), DOM boxes collected, PNG written;
- `visioncode, new browser per page`: the same, with a new client (worker process and
  Chromium) for every page, closed after it;
- `bare, new browser per page`: Playwright in this process: launch Chromium, load the
  page, screenshot, close the browser, for every page;
- `bare, browser reuse`: Playwright in this process with one browser and a new context
  per page.

Rates are screenshots per second. `reuse_speedup` is (new browser per page time) /
(browser reuse time) through visioncode, `reuse_speedup_bare` the same for bare
Playwright, and `overhead` is (visioncode reuse time) / (bare reuse time): the price of
the sandbox, the blocking and the wait condition. The fastest of `--repeat` repetitions
is kept. Results go to `benchmarks/results/html_render.json`. Timings depend on the
machine: compare ratios from one run, not numbers across machines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "html_render.json"
PAGES = sorted([*(ROOT / "examples" / "gui-next-state" / "pages").glob("*.html"),
                *(ROOT / "examples" / "screenshot2html" / "pages").glob("*.html")])


def pages(n: int) -> list[Path]:
    return [PAGES[i % len(PAGES)] for i in range(n)]


def with_visioncode(files: list[Path], out: Path, width: int, height: int,
                    reuse: bool) -> float:
    from visioncode_html.client import BrowserClient, BrowserLimits

    start = time.perf_counter()
    client = BrowserClient(BrowserLimits(timeout_s=60)) if reuse else None
    try:
        for i, page in enumerate(files):
            c = client if client is not None else BrowserClient(BrowserLimits(timeout_s=60))
            try:
                answer = c.run({"html": str(page), "out_dir": str(out / f"v{i}"),
                                "width": width, "height": height, "scale": 1.0,
                                "background": "#ffffff", "actions": [], "shots": "last",
                                "dom": False, "collect": True, "timeout_s": 60})
            finally:
                if client is None:
                    c.close()
            if answer["status"] != "ok":
                raise RuntimeError(f"{page}: {answer['status']}: {answer.get('reason')}")
    finally:
        if client is not None:
            client.close()
    return time.perf_counter() - start


def _serve(context: Any, html: bytes) -> None:
    from visioncode_html.chromium import PAGE_URL

    context.route("**/*", lambda route: route.fulfill(
        body=html, headers={"content-type": "text/html; charset=utf-8"})
        if route.request.url == PAGE_URL else route.abort())


def bare(files: list[Path], out: Path, width: int, height: int, reuse: bool) -> float:
    from playwright.sync_api import sync_playwright

    from visioncode_html.chromium import PAGE_URL, executable, launch_args

    start = time.perf_counter()
    with sync_playwright() as pw:
        def launch() -> Any:
            return pw.chromium.launch(executable_path=executable(), args=launch_args())

        browser = launch() if reuse else None
        for i, page in enumerate(files):
            b = browser if browser is not None else launch()
            context = b.new_context(viewport={"width": width, "height": height})
            _serve(context, page.read_bytes())
            tab = context.new_page()
            tab.goto(PAGE_URL, wait_until="load")
            tab.screenshot(path=out / f"{'r' if reuse else 'n'}{i}.png")
            context.close()
            if browser is None:
                b.close()
        if browser is not None:
            browser.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20, help="pages per measurement")
    parser.add_argument("--repeat", type=int, default=2, help="repetitions (fastest kept)")
    parser.add_argument("--width", type=int, default=480)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--quick", action="store_true", help="2 pages, one repetition")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args()
    if args.quick:
        args.n, args.repeat = 2, 1
    files = pages(args.n)
    w, h = args.width, args.height
    ways = {
        "visioncode, browser reuse": lambda out: with_visioncode(files, out, w, h, True),
        "visioncode, new browser per page": lambda out: with_visioncode(files, out, w, h,
                                                                        False),
        "bare, browser reuse": lambda out: bare(files, out, w, h, True),
        "bare, new browser per page": lambda out: bare(files, out, w, h, False),
    }
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        for name, way in ways.items():
            out = Path(tempfile.mkdtemp(prefix="visioncode-html-bench-"))
            try:
                seconds = way(out)
            finally:
                shutil.rmtree(out, ignore_errors=True)
            best[name] = min(best.get(name, seconds), seconds)
    rates = {name: args.n / s for name, s in best.items()}
    result = {
        "benchmark": "html_render", "pages": args.n, "repeat": args.repeat,
        "canvas": [args.width, args.height],
        "seconds": {k: round(v, 3) for k, v in best.items()},
        "screenshots_per_s": {k: round(v, 3) for k, v in rates.items()},
        "reuse_speedup": round(best["visioncode, new browser per page"]
                               / best["visioncode, browser reuse"], 3),
        "reuse_speedup_bare": round(best["bare, new browser per page"]
                                    / best["bare, browser reuse"], 3),
        "overhead": round(best["visioncode, browser reuse"] / best["bare, browser reuse"], 3),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
                    "playwright": metadata.version("playwright"),
                    "chromium": _chromium_version()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    width = max(len(k) for k in rates)
    print(f"{args.n} pages at {args.width} x {args.height}, fastest of {args.repeat}")
    for name, rate in rates.items():
        print(f"  {name:<{width}}  {rate:7.2f} screenshots/s  ({best[name]:.2f} s)")
    print(f"  browser reuse is {result['reuse_speedup']:.2f}x the speed of a new browser per "
          f"page through visioncode ({result['reuse_speedup_bare']:.2f}x bare); visioncode "
          f"takes {result['overhead']:.2f}x bare Playwright's time")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results: {args.out}")


def _chromium_version() -> str:
    from visioncode_html.chromium import executable

    try:
        import subprocess

        text = subprocess.run([executable(), "--version"], capture_output=True, text=True,
                              timeout=30).stdout
        m = re.search(r"[\d.]+", text)
        return m.group(0) if m else text.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


if __name__ == "__main__":
    main()
