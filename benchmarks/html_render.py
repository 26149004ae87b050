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

Then, warm (the worker and browser started, one page rendered first, not timed), the
rate of each speed measure and without it, so that each one's share is seen:

- `pool` / `no pool`: a prepared context waiting for the next page, or one made when
  the page comes (both: an unused context per page);
- `blocked-network settle` / `network-idle settle`: nothing waited for after `load` but
  in-flight aborts, fonts and two frames, or a 100 ms quiet window as before;
- `CDP capture` / `Playwright screenshot`: the PNG as Chromium encodes it, or through
  `page.screenshot` with its options;
- `bare, one page reused`: the issue's bare loop (one page, `goto` each file, no new
  context: pages are not isolated), the ceiling;
- `chromium-svg renderer`: `ChromiumSvgRenderer.render` on small SVGs (the fitted SVG
  in an `<img>`), the renderer a pipeline calls;
- `frames`: an animated page captured at 30 fps through the virtual clock (frames per
  second of capture, one worker).

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


def warm_rates(files: list[Path], svgs: list[Path], out: Path, width: int, height: int,
               frames: int) -> dict[str, float]:
    """Pages (or frames) per second through one warm worker, per speed measure."""
    from visioncode import Execution, RenderSpec
    from visioncode_html.client import BrowserClient, BrowserLimits
    from visioncode_html.renderers import ChromiumSvgRenderer

    base = {"width": width, "height": height, "scale": 1.0, "background": "#ffffff",
            "actions": [], "shots": "last", "dom": False, "collect": True, "timeout_s": 60}
    variants = {
        "pool, blocked-network settle, CDP capture": {},
        "no pool": {"pool": False},
        "network-idle settle (100 ms)": {"network_idle_ms": 100},
        "Playwright screenshot": {"capture": "playwright"},
    }
    rates: dict[str, float] = {}
    client = BrowserClient(BrowserLimits(timeout_s=60))
    try:
        for name, extra in variants.items():
            def job(i: int, page: Path, extra: dict[str, Any] = extra) -> None:
                answer = client.run({**base, **extra, "html": str(page),
                                     "out_dir": str(out / f"w{i}")})
                if answer["status"] != "ok":
                    raise RuntimeError(f"{page}: {answer['status']}: {answer.get('reason')}")
            job(-1, files[0])  # warm: the context kind is prepared, fonts cached
            start = time.perf_counter()
            for i, page in enumerate(files):
                job(i, page)
            rates[name] = len(files) / (time.perf_counter() - start)
        animated = out / "animated.html"
        animated.write_text(ANIMATED_PAGE, encoding="utf-8")
        client.run({**base, "html": str(animated), "out_dir": str(out / "a0"),
                    "frames": 2, "fps": 30, "collect": False})
        start = time.perf_counter()
        answer = client.run({**base, "html": str(animated), "out_dir": str(out / "a1"),
                             "frames": frames, "fps": 30, "collect": False})
        if answer["status"] != "ok" or len(answer["frames"]) != frames:
            raise RuntimeError(f"frames: {answer['status']}: {answer.get('reason')}")
        rates["frames (30 fps animation)"] = frames / (time.perf_counter() - start)
    finally:
        client.close()
    renderer = ChromiumSvgRenderer()
    try:
        spec = RenderSpec(width=width, height=height)

        def render(i: int, svg: Path) -> None:
            ex = Execution(status="ok", program="", artifacts={"svg": svg})
            r = renderer.render(ex, spec, out / f"s{i}")
            if not r.ok:
                raise RuntimeError(f"{svg}: {r.error}")
        render(-1, svgs[0])
        start = time.perf_counter()
        for i, svg in enumerate(svgs):
            render(i, svg)
        rates["chromium-svg renderer"] = len(svgs) / (time.perf_counter() - start)
    finally:
        renderer.close()
    return rates


def bare_one_page(files: list[Path], out: Path, width: int, height: int) -> float:
    """The issue's ceiling: one browser, one page, `goto` per file (not isolated)."""
    from playwright.sync_api import sync_playwright

    from visioncode_html.chromium import PAGE_URL, executable, launch_args

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable(), args=launch_args())
        context = browser.new_context(viewport={"width": width, "height": height})
        current = {"html": b""}
        context.route("**/*", lambda route: route.fulfill(
            body=current["html"], headers={"content-type": "text/html; charset=utf-8"})
            if route.request.url == PAGE_URL else route.abort())
        tab = context.new_page()
        current["html"] = files[0].read_bytes()
        tab.goto(PAGE_URL, wait_until="load")
        start = time.perf_counter()
        for i, page in enumerate(files):
            current["html"] = page.read_bytes()
            tab.goto(PAGE_URL, wait_until="load")
            tab.screenshot(path=out / f"one{i}.png")
        seconds = time.perf_counter() - start
        browser.close()
    return len(files) / seconds


ANIMATED_PAGE = """<!DOCTYPE html><html><body style="margin:0"><canvas id="c" width="480"
height="360"></canvas><style>#b{position:absolute;top:40px;width:40px;height:40px;
background:#1d3557;animation:mv 2s linear infinite}@keyframes mv{to{left:440px}}</style>
<div id="b"></div><script>
const g = document.getElementById('c').getContext('2d');
(function draw(t) { g.fillStyle = '#fff'; g.fillRect(0, 0, 480, 360);
  g.fillStyle = '#e63946'; g.beginPath(); g.arc(240 + 200 * Math.sin(t / 300), 250, 20, 0,
  7); g.fill(); requestAnimationFrame(draw); })(0);
</script></body></html>"""

SMALL_SVGS = [
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><circle cx="50" cy="50" '
    'r="40" fill="#e63946"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect x="10" y="20" '
    'width="80" height="60" fill="#457b9d"/><text x="50" y="55" font-size="12" '
    'text-anchor="middle">hi</text></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><path d="M10 90 L50 10 '
    'L90 90 Z" fill="#2a9d8f" stroke="#264653" stroke-width="3"/></svg>',
]


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
    parser.add_argument("--frames", type=int, default=60, help="frames of the animation")
    parser.add_argument("--quick", action="store_true", help="2 pages, one repetition")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args()
    if args.quick:
        args.n, args.repeat, args.frames = 2, 1, 4
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
    load_before = [round(x, 2) for x in os.getloadavg()]
    for _ in range(args.repeat):
        for name, way in ways.items():
            out = Path(tempfile.mkdtemp(prefix="visioncode-html-bench-"))
            try:
                seconds = way(out)
            finally:
                shutil.rmtree(out, ignore_errors=True)
            best[name] = min(best.get(name, seconds), seconds)
    rates = {name: args.n / s for name, s in best.items()}
    warm: dict[str, float] = {}
    svg_dir = Path(tempfile.mkdtemp(prefix="visioncode-html-bench-svg-"))
    try:
        svgs = []
        for i in range(args.n):
            svg = svg_dir / f"{i}.svg"
            svg.write_text(SMALL_SVGS[i % len(SMALL_SVGS)], encoding="utf-8")
            svgs.append(svg)
        for _ in range(args.repeat):
            out = Path(tempfile.mkdtemp(prefix="visioncode-html-bench-"))
            try:
                got = warm_rates(files, svgs, out, w, h, args.frames)
                got["bare, one page reused"] = bare_one_page(files, out, w, h)
            finally:
                shutil.rmtree(out, ignore_errors=True)
            for name, rate in got.items():
                warm[name] = max(warm.get(name, 0.0), rate)
    finally:
        shutil.rmtree(svg_dir, ignore_errors=True)
    fastest = warm["pool, blocked-network settle, CDP capture"]
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
        "warm_per_s": {k: round(v, 3) for k, v in warm.items()},
        "warm_ratios": {
            "pool": round(fastest / warm["no pool"], 3),
            "settle": round(fastest / warm["network-idle settle (100 ms)"], 3),
            "capture": round(fastest / warm["Playwright screenshot"], 3),
            "isolated vs one page reused": round(warm["bare, one page reused"] / fastest, 3),
        },
        "frames_per_s": round(warm["frames (30 fps animation)"], 3),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "load_before": load_before,
                    "load_average": [round(x, 2) for x in os.getloadavg()],
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
    print("warm, one worker (pages/s; frames/s for frames):")
    width = max(len(k) for k in warm)
    for name, rate in warm.items():
        print(f"  {name:<{width}}  {rate:7.2f}/s")
    r = result["warm_ratios"]
    print(f"  speed-ups: pool {r['pool']:.2f}x, settle {r['settle']:.2f}x, capture "
          f"{r['capture']:.2f}x; bare one-page loop (not isolated) is "
          f"{r['isolated vs one page reused']:.2f}x the isolated rate")
    print(f"  load average before {load_before}, after {result['machine']['load_average']}"
          f" ({os.cpu_count()} cpus)")
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
