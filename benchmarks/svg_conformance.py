"""SVG conformance: resvg's own regression tests rendered bare and through visioncode.

    .venv/bin/python benchmarks/svg_conformance.py               # every installed renderer
    .venv/bin/python benchmarks/svg_conformance.py --only resvg  # one renderer
    .venv/bin/python benchmarks/svg_conformance.py --quick       # 60 tests, docs untouched

The suite is `../shared/conformance/resvg` from the repository root (override with
`--suite` or `$VISIONCODE_SVG_CONFORMANCE`): 944 SVGs of five categories (shapes,
painting, structure, paint-servers, masking), each with its reference PNG. The pass rule is
the suite's own (its README): render at the reference PNG's size, composite both on white,
and a test passes when at most 1% of the pixels differ by more than 32/255 in any channel.

For each renderer, on the same files:

- `bare`: the library called directly on the file, as a user would call it. For resvg two
  bare columns: resvg-py's defaults (`dpi=0`, no language list) and the settings visioncode
  uses (`dpi=96`, `languages=["en"]`, resvg's own CLI defaults). Chromium shows the SVG as
  an `<img>` of the reference's size in one reused page;
- `visioncode`: `visioncode run` in-process, replay model -> `svg` executor -> the renderer,
  with the default settings a user would write (`[render]` at the reference's size, one run
  per size); the rendering each record names is compared with the reference.

The per-category table and the tests the framework loses or gains against the bare library
(the resvg comparison uses the configured column) are written between
`<!-- svg_conformance:start -->` and `<!-- svg_conformance:end -->` in `docs/svg.md`, and the
raw results to `benchmarks/results/svg_conformance.json`. Some tests reference local image
or font files by relative path; visioncode refuses local files by design, so those are
expected among the lost tests (each is marked).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT.parent / "shared" / "conformance" / "resvg"
SUITE_ENV = "VISIONCODE_SVG_CONFORMANCE"
RESULTS = ROOT / "benchmarks" / "results" / "svg_conformance.json"
DOC = ROOT / "docs" / "svg.md"
START, END = "<!-- svg_conformance:start -->", "<!-- svg_conformance:end -->"
CATEGORIES = ("shapes", "painting", "structure", "paint-servers", "masking")
#: The pass rule of the suite's README.
CHANNEL_TOLERANCE = 32
MAX_DIFFERENT = 0.01
#: resvg's own defaults for the options resvg-py leaves at zero or empty.
RESVG_DPI = 96.0
RESVG_LANGUAGES = ["en"]
CHROMIUM = "/usr/lib/chromium/chromium"

sys.path.insert(0, str(ROOT / "benchmarks"))
from _replay import write_replay_job  # noqa: E402


@dataclass(frozen=True)
class Case:
    """One test of the suite: its id (`category/sub/name`), the files, the reference size."""

    id: str
    category: str
    svg: Path
    png: Path
    width: int
    height: int

    @property
    def sample_id(self) -> str:
        return self.id.replace("/", "__")

    @property
    def local_files(self) -> bool:
        """Whether the test reads another file by relative path (an image or a font)."""
        text = self.svg.read_text(encoding="utf-8", errors="replace")
        hrefs = re.findall(r"""href\s*=\s*["']\s*([^"'\s][^"']*)["']""", text)
        return any(not h.startswith(("#", "data:")) for h in hrefs) or ".ttf" in text


def suite_dir(given: Path | None = None) -> Path | None:
    """The suite's folder, or None when it is absent (callers skip with a reason)."""
    candidates = [given] if given else []
    if os.environ.get(SUITE_ENV):
        candidates.append(Path(os.environ[SUITE_ENV]))
    candidates.append(SUITE)
    for c in candidates:
        if c is not None and (c / "structure").is_dir():
            return c.resolve()
    return None


def cases(suite: Path, only: set[str] | None = None) -> list[Case]:
    """Every test of the five categories (or the ids in `only`), in a stable order."""
    from PIL import Image

    out = []
    for category in CATEGORIES:
        for svg in sorted((suite / category).rglob("*.svg")):
            png = svg.with_suffix(".png")
            if not png.is_file():
                continue
            cid = svg.relative_to(suite).with_suffix("").as_posix()
            if only is not None and cid not in only:
                continue
            with Image.open(png) as im:
                w, h = im.size
            out.append(Case(cid, category, svg, png, w, h))
    return out


def on_white(data: bytes | Path, size: tuple[int, int] | None = None) -> Any:
    """The image composited on white, as an RGB numpy array."""
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as im:
        rgba = im.convert("RGBA")
    if size is not None and rgba.size != size:
        return None
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"), dtype=np.int16)


def passes(rendered: bytes | Path, case: Case) -> bool:
    """The suite's pass rule (see the module docstring)."""
    got = on_white(rendered, (case.width, case.height))
    if got is None:
        return False
    ref = on_white(case.png)
    different = (abs(got - ref).max(axis=2) > CHANNEL_TOLERANCE).mean()
    return bool(different <= MAX_DIFFERENT)


# --- bare libraries -------------------------------------------------------------------

def bare_resvg(configured: bool) -> Callable[[Case], bytes]:
    import resvg_py

    extra: dict[str, Any] = {"dpi": RESVG_DPI, "languages": RESVG_LANGUAGES} if configured \
        else {}

    def one(case: Case) -> bytes:
        return bytes(resvg_py.svg_to_bytes(
            svg_string=case.svg.read_text(encoding="utf-8"), width=case.width,
            height=case.height, resources_dir=str(case.svg.parent), **extra))
    return one


def bare_cairosvg() -> Callable[[Case], bytes]:
    import cairosvg

    def one(case: Case) -> bytes:
        png = cairosvg.svg2png(url=str(case.svg), output_width=case.width,
                               output_height=case.height)
        assert isinstance(png, bytes)
        return png
    return one


def bare_chromium(cases_: list[Case]) -> Iterator[tuple[Case, bytes | None, str | None]]:
    """Chromium with the SVG as an `<img>` of the reference's size, in one reused page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            for case in cases_:
                try:
                    data = base64.b64encode(case.svg.read_bytes()).decode("ascii")
                    page.set_viewport_size({"width": case.width, "height": case.height})
                    page.set_content(
                        "<!DOCTYPE html><html><body style='margin:0;background:white'>"
                        f"<img id='i' style='display:block' width='{case.width}' "
                        f"height='{case.height}' src='data:image/svg+xml;base64,{data}'>"
                        "</body></html>")
                    page.evaluate("() => document.getElementById('i').decode()"
                                  ".catch(() => null)")
                    yield case, page.screenshot(), None
                except Exception as exc:  # one test's failure is that test's result
                    yield case, None, f"{type(exc).__name__}: {exc}"
        finally:
            browser.close()


def run_bare(name: str, cases_: list[Case]) -> dict[str, bool]:
    if name == "chromium-svg":
        return {c.id: png is not None and passes(png, c) for c, png, _ in bare_chromium(cases_)}
    render = {"resvg": lambda: bare_resvg(True), "resvg-defaults": lambda: bare_resvg(False),
              "cairosvg": bare_cairosvg}[name]()
    out = {}
    for case in cases_:
        try:
            out[case.id] = passes(render(case), case)
        except Exception:  # a library error is a failed test
            out[case.id] = False
    return out


# --- through visioncode ---------------------------------------------------------------

def run_visioncode(renderer: str, cases_: list[Case], work: Path) -> dict[str, bool]:
    """`visioncode run` (in-process) per reference size; pass/fail per test id."""
    from visioncode.config import load_config
    from visioncode.runner import Runner

    by_size: dict[tuple[int, int], list[Case]] = defaultdict(list)
    for case in cases_:
        by_size[(case.width, case.height)].append(case)
    out: dict[str, bool] = {}
    for (w, h), group in sorted(by_size.items()):
        folder = work / f"{renderer}-{w}x{h}"
        folder.mkdir(parents=True)
        rows = [{"id": c.sample_id} for c in group]
        answers = [{"sample_id": c.sample_id,
                    "text": c.svg.read_text(encoding="utf-8", errors="replace")}
                   for c in group]
        config = write_replay_job(folder, rows, answers, task="svg-conformance",
                                  renderer=renderer, width=w, height=h)
        run_dir = folder / "run"
        Runner(load_config(config), run_dir).run(console="quiet")
        for line in (run_dir / "records.jsonl").read_text().splitlines():
            record = json.loads(line)
            case = next(c for c in group if c.sample_id == record["sample_id"])
            out[case.id] = _record_passes(record, case, run_dir)
    return out


def _record_passes(record: dict[str, Any], case: Case, run_dir: Path) -> bool:
    rounds = record.get("rounds") or []
    if not rounds:
        return False
    rendering = rounds[-1].get("rendering") or {}
    images = rendering.get("images") or []
    if rendering.get("status") != "ok" or not images:
        return False
    path = Path(images[0])
    if not path.is_absolute():
        path = run_dir / path
    return path.is_file() and passes(path, case)


# --- the table -------------------------------------------------------------------------

def installed_renderers() -> list[str]:
    names = []
    for dist, renderer in (("visioncode-svg", "resvg"), ("visioncode-svg", "cairosvg"),
                           ("visioncode-html", "chromium-svg")):
        try:
            metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
        if renderer == "chromium-svg" and not Path(CHROMIUM).exists():
            continue
        names.append(renderer)
    return names


def measure(suite: Path, renderers: list[str], only: set[str] | None = None) -> dict[str, Any]:
    load_before = os.getloadavg()
    all_cases = cases(suite, only)
    results: dict[str, Any] = {}
    outcomes: dict[str, dict[str, dict[str, bool]]] = {}
    with tempfile.TemporaryDirectory(prefix="visioncode-conformance-") as tmp:
        for renderer in renderers:
            started = time.perf_counter()
            columns = {"bare": run_bare(renderer, all_cases)}
            if renderer == "resvg":
                columns["bare (resvg-py defaults)"] = run_bare("resvg-defaults", all_cases)
            columns["visioncode"] = run_visioncode(renderer, all_cases, Path(tmp))
            outcomes[renderer] = columns
            bare, vc = columns["bare"], columns["visioncode"]
            results[renderer] = {
                **{name.replace(" ", "_").replace("(", "").replace(")", "").replace(
                    "-", "_"): sum(col.values()) for name, col in columns.items()},
                "lost": sum(1 for c in bare if bare[c] and not vc.get(c)),
                "gained": sum(1 for c in vc if vc[c] and not bare.get(c)),
                "seconds": round(time.perf_counter() - started, 1)}
    return {"suite": str(suite), "tests": len(all_cases),
            "categories": dict(Counter(c.category for c in all_cases)),
            "local_files": sorted(c.id for c in all_cases if c.local_files),
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "load_before": list(load_before), "results": results, "outcomes": outcomes}


def markdown(data: dict[str, Any]) -> str:
    cats = [c for c in CATEGORIES if c in data["categories"]]
    local = set(data["local_files"])
    lines = [
        START, "## Conformance: resvg's regression tests", "",
        f"`.venv/bin/python benchmarks/svg_conformance.py`, {data['measured_at']} "
        f"(load {data['load_before'][0]:.2f} before, {data['load_after'][0]:.2f} after): "
        f"{data['tests']} tests of resvg's suite, rendered at each reference's size and "
        "passed by the suite's rule (at most 1% of pixels differ by more than 32/255 on "
        "white). `bare` is the library called directly; `visioncode` is `visioncode run` "
        "(replay model, `svg` executor, the renderer) with default settings.", "",
        "| renderer | column | " + " | ".join(f"{c} ({data['categories'][c]})" for c in cats)
        + " | total |",
        "|---|---|" + "---|" * (len(cats) + 1),
    ]
    ids_by_cat: dict[str, list[str]] = defaultdict(list)
    for renderer, columns in data["outcomes"].items():
        for column, outcome in columns.items():
            for cid in outcome:
                ids_by_cat[cid.split("/", 1)[0]].append(cid)
            per = [sum(1 for cid, ok in outcome.items() if ok and cid.startswith(c + "/"))
                   for c in cats]
            lines.append(f"| {renderer} | {column} | " + " | ".join(map(str, per))
                         + f" | **{sum(per)}** |")
    lines += ["", "Tests the framework loses or gains against the bare library "
              "(`*`: the test reads a local file, which visioncode refuses by design):", ""]
    for renderer, columns in data["outcomes"].items():
        bare, vc = columns["bare"], columns["visioncode"]
        lost = sorted(c for c in bare if bare[c] and not vc.get(c))
        gained = sorted(c for c in vc if vc[c] and not bare.get(c))

        def fmt(ids: list[str]) -> str:
            return ", ".join(f"`{c}`" + ("*" if c in local else "") for c in ids) or "none"
        lines.append(f"- **{renderer}**: lost {len(lost)}: {fmt(lost)}; "
                     f"gained {len(gained)}: {fmt(gained)}")
    lines += ["", "Raw results: `benchmarks/results/svg_conformance.json`.", END]
    return "\n".join(lines) + "\n"


def write_doc(doc: Path, section: str) -> None:
    text = doc.read_text() if doc.is_file() else "# SVG\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        doc.write_text(head + section.rstrip("\n") + rest.split(END, 1)[1])
    else:
        doc.write_text(text.rstrip("\n") + "\n\n" + section)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--suite", type=Path, default=None, help=f"the suite ({SUITE})")
    parser.add_argument("--only", nargs="*", default=None,
                        help="renderers to measure (default: every installed one)")
    parser.add_argument("--quick", action="store_true",
                        help="the first 12 tests of each category; the docs are not written")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    parser.add_argument("--markdown", type=Path, default=DOC,
                        help="page whose conformance section is rewritten (docs/svg.md)")
    args = parser.parse_args(argv)
    suite = suite_dir(args.suite)
    if suite is None:
        print(f"skipped: the conformance suite is not at {args.suite or SUITE} (clone the "
              f"project with ../shared beside it, or set ${SUITE_ENV})")
        return 0
    renderers = args.only or installed_renderers()
    only = None
    if args.quick:
        per: dict[str, int] = Counter()
        only = set()
        for c in cases(suite):
            if per[c.category] < 12:
                per[c.category] += 1
                only.add(c.id)
    data = measure(suite, renderers, only)
    data["load_after"] = list(os.getloadavg())
    section = markdown(data)
    if not args.quick or args.out != RESULTS:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(data, indent=1) + "\n")
    if not args.quick:
        # Pass counts are not timings: a busy machine changes them only through render
        # timeouts, which show as lost tests. The load is recorded beside the table.
        write_doc(args.markdown, section)
    print(section.replace(START + "\n", "").replace(END + "\n", ""), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
