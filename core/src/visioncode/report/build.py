"""Builds the report page from a run directory: the summary table, score distributions,
and a gallery of samples (reference, each round's render and diff heatmap, video, the
program highlighted, the critic's feedback) that sorts by score and filters by status."""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import HtmlLexer, PythonLexer, TextLexer, XmlLexer

from ..errors import RunDirError
from ..records import RoundRecord, RunManifest, SampleRecord
from ..samples import Sample, load_manifest
from ..store import RunStore
from ..summary import RunSummary, summarize
from .assets import CSS, JS
from .diff import diff_heatmap
from .plots import histogram_svg

REPORT_DIR = "report"


@dataclass
class RunData:
    """What the page is made from."""

    run_dir: Path
    records: list[SampleRecord]
    summary: RunSummary
    manifest: RunManifest | None = None
    samples: dict[str, Sample] = field(default_factory=dict)
    executor: str = ""


def load_run(run_dir: Path) -> RunData:
    store = RunStore(run_dir)
    if not store.records_path.is_file():
        raise RunDirError(f"{store.dir}: not a run directory (no records.jsonl)")
    records = sorted(store.load(), key=lambda r: r.sample_id)
    manifest = store.manifest() if store.exists() else None
    data = RunData(run_dir=store.dir, records=records, summary=summarize(records),
                   manifest=manifest)
    if manifest:
        data.executor = next((c.name for c in manifest.components if c.slot == "executor"), "")
    try:  # the dataset gives the reference images; a moved dataset only loses them
        config = json.loads((store.dir / "config.json").read_text(encoding="utf-8"))
        path = Path(config["dataset"]["path"])
        data.samples = {s.id: s for s in load_manifest(path)}
    except Exception:  # any unreadable dataset only leaves the references out
        data.samples = {}
    return data


def write_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write the report of `run_dir` (default `RUN_DIR/report/index.html`); returns it."""
    data = load_run(run_dir)
    out = out or data.run_dir / REPORT_DIR / "index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    assets = out.parent / "assets"
    if assets.exists():
        shutil.rmtree(assets)
    out.write_text(build_report(data, out.parent), encoding="utf-8")
    return out


# -- the page ---------------------------------------------------------------------------


def build_report(data: RunData, report_dir: Path) -> str:
    title = f"visioncode report: {data.run_dir.name}"
    s = data.summary
    metric_keys = [f"{m.metric}.{m.key}" for m in s.metrics]
    statuses = sorted({_round_status(r) for r in data.records})
    body = [
        f"<header><h1>{escape(title)}</h1>{_run_line(data)}</header>",
        "<section id='summary'><h2>Summary</h2>", _summary_table(data), "</section>",
        "<section id='distributions'><h2>Score distributions</h2><div class='plots'>",
        *_plots(data), "</div></section>",
        "<section id='gallery-section'><h2>Samples</h2>", _controls(metric_keys, statuses),
        "<div id='gallery'>",
        *(_card(data, r, report_dir) for r in data.records),
        "</div></section>",
    ]
    style = CSS + HtmlFormatter(style="friendly").get_style_defs(".hl")
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{escape(title)}</title><style>{style}</style></head><body>"
            + "".join(body) + f"<script>{JS}</script></body></html>")


def _run_line(data: RunData) -> str:
    s = data.summary
    parts = [f"{s.samples} samples", f"success rate {s.success_rate:.1%}",
             f"rendered {s.ok}, failed {s.failed}, errors {s.errors}"]
    if data.manifest:
        m = data.manifest
        comps = ", ".join(f"{c.slot}={c.name}" for c in m.components)
        parts += [f"config {m.config_hash}", f"visioncode {m.visioncode_version}", comps]
    return f"<p class='meta'>{escape(' · '.join(parts))}</p>"


def _summary_table(data: RunData) -> str:
    s = data.summary
    rows = []
    for m in s.metrics:
        arrow = {True: " ↑", False: " ↓"}.get(m.higher_is_better, "")  # type: ignore[arg-type]
        ci = "-" if m.ci_low is None or m.ci_high is None else \
            f"[{m.ci_low:.4g}, {m.ci_high:.4g}]"
        rows.append("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in (
            m.metric, m.key + arrow, _fmt(m.mean), ci, _fmt(m.std), m.n, m.excluded,
            f"{(m.n / s.samples if s.samples else 0):.1%}", m.policy or "-")) + "</tr>")
    table = ("<table class='summary'><thead><tr><th>metric</th><th>value</th><th>mean</th>"
             "<th>95% CI</th><th>std</th><th>n</th><th>excluded</th><th>counted</th>"
             "<th>failure policy</th></tr></thead><tbody>" + "".join(rows)
             + "</tbody></table>")
    status_rows = "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>"
                          for k, v in s.statuses.items())
    u = s.usage
    notes = [f"Success rate (rendered): {s.success_rate:.1%} ({s.ok} of {s.samples}).",
             f"Model calls: {u.calls}, tokens in/out {u.input_tokens}/{u.output_tokens}, "
             f"answered from the response cache: {u.cache_hits}."]
    if s.renders:
        notes.append(f"Renders: {s.renders}; served from the render cache: "
                     f"{s.render_cache_hits} of {s.renders}.")
    if s.seconds_per_sample is not None:
        notes.append(f"Seconds per sample: {s.seconds_per_sample:.3g}.")
    return (table + "<table class='statuses'><thead><tr><th>final status</th>"
            f"<th>samples</th></tr></thead><tbody>{status_rows}</tbody></table>"
            + "".join(f"<p class='note'>{escape(n)}</p>" for n in notes))


def _plots(data: RunData) -> list[str]:
    """One histogram per metric value that varies; values with a single distinct value
    (render success of a run where everything rendered) or none get one line of a list
    instead, so that a run with many such values still shows its gallery on the first
    screen."""
    out, flat = [], []
    for m in data.summary.metrics:
        values = [r.scores[m.metric].values.get(m.key) for r in data.records
                  if m.metric in r.scores]
        finite = [v for v in values if v is not None and math.isfinite(v)]
        name = f"{m.metric}.{m.key}"
        if len(set(finite)) > 1:
            out.append(histogram_svg(finite, name))
        elif finite:
            flat.append(f"<li><b>{escape(name)}</b>: all {len(finite)} values are "
                        f"{finite[0]:.4g}</li>")
        else:
            flat.append(f"<li><b>{escape(name)}</b>: no values</li>")
    if flat:
        out.append("<ul class='flat'>" + "".join(flat) + "</ul>")
    return out or ["<p>No metric values in this run.</p>"]


def _controls(metric_keys: list[str], statuses: list[str]) -> str:
    """Sort, order and filter. The gallery opens sorted by the first metric, high to
    low, so the order select means what it says from the start."""
    sort = "".join(f"<option value='{escape(k)}'{' selected' if i == 0 else ''}>"
                   f"{escape(k)}</option>" for i, k in enumerate(metric_keys))
    filt = "".join(f"<option value='round:{escape(k)}'>last round: {escape(k)}</option>"
                   for k in statuses)
    return ("<div class='controls'><label>Sort by <select id='sort'>"
            f"<option value='id'>sample id</option>{sort}</select></label>"
            "<label>Order <select id='order'><option value='desc'>high to low</option>"
            "<option value='asc'>low to high</option></select></label>"
            "<label>Show <select id='filter'><option value='all'>all samples</option>"
            "<option value='status:ok'>rendered (ok)</option>"
            "<option value='status:failed'>failed</option>"
            f"<option value='status:error'>error</option>{filt}</select></label>"
            "<span id='shown'></span></div>")


def _card(data: RunData, record: SampleRecord, report_dir: Path) -> str:
    sid = record.sample_id
    scores = {f"{name}.{k}": v for name, sc in record.scores.items()
              for k, v in sc.values.items() if v is not None}
    head = (f"<header><h3>{escape(sid)}</h3><span class='badge st-{escape(record.status)}'>"
            f"{escape(record.status)}</span>")
    if record.reason:
        head += f"<span class='reason'>{escape(record.reason)}</span>"
    head += "<ul class='scores'>" + "".join(
        f"<li><b>{escape(k)}</b> {v:.4g}</li>" for k, v in sorted(scores.items())) + "</ul>"
    head += "</header>"
    figures = []
    sample = data.samples.get(sid)
    reference = sample.target_image if sample else None
    ref_rel = None
    if reference is not None and reference.is_file():
        dest = report_dir / "assets" / "ref" / f"{sid}{reference.suffix}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(reference, dest)
        ref_rel = _rel(dest, report_dir)
        figures.append(_figure(f"<img src='{escape(ref_rel)}' alt='reference'>", "reference"))
    elif sample is not None and sample.text:
        figures.append(_figure(f"<p class='prompt'>{escape(sample.text)}</p>", "prompt"))
    if sample is not None:
        figures += _input_figures(sample, report_dir)
    for rnd in record.rounds:
        figures += _round_figures(data, sid, rnd, reference if ref_rel else None, report_dir)
    program = _program(data, record)
    critiques = "".join(
        f"<details class='critique'><summary>critic's feedback on round {rnd.round}"
        f"</summary><pre>{escape(rnd.critique.text)}</pre></details>"
        for rnd in record.rounds if rnd.critique is not None)
    error = (f"<details class='error'><summary>traceback</summary><pre>"
             f"{escape(record.error)}</pre></details>" if record.error else "")
    attrs = (f"data-id='{escape(sid)}' data-status='{escape(record.status)}' "
             f"data-round='{escape(_round_status(record))}' "
             f"data-scores='{escape(json.dumps(scores))}'")
    return (f"<article class='card' {attrs}>{head}<div class='strip'>{''.join(figures)}"
            f"</div>{program}{critiques}{error}</article>")


def _input_figures(sample: Sample, report_dir: Path) -> list[str]:
    """The sample's further input images and its video: what the model saw besides the
    first image (which is the reference unless one is given)."""
    shown = list(sample.images)
    if sample.reference_image is not None and sample.image is not None:
        shown.insert(0, sample.image)
    out = []
    for k, path in enumerate(shown, 1):
        if path.is_file():
            dest = report_dir / "assets" / "inputs" / f"{sample.id}-{k}{path.suffix}"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            out.append(_figure(f"<img src='{escape(_rel(dest, report_dir))}' "
                               f"alt='input {k}' loading='lazy'>", f"input image {k}"))
    if sample.video is not None and sample.video.is_file():
        dest = report_dir / "assets" / "inputs" / f"{sample.id}-video{sample.video.suffix}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample.video, dest)
        out.append(_figure(f"<video controls preload='metadata' src='"
                           f"{escape(_rel(dest, report_dir))}'></video>", "input video"))
    return out


def _round_figures(data: RunData, sid: str, rnd: RoundRecord, reference: Path | None,
                   report_dir: Path) -> list[str]:
    caption = f"round {rnd.round}: {rnd.status}"
    g = rnd.rendering
    image = _in_run(data, g.image) if g is not None and g.image is not None else None
    video = _in_run(data, g.video) if g is not None and g.video is not None else None
    out = []
    if video is not None and video.is_file():
        out.append(_figure(f"<video controls preload='metadata' src='"
                           f"{escape(_rel(video, report_dir))}'></video>", caption))
    if image is not None and image.is_file():
        out.append(_figure(f"<img src='{escape(_rel(image, report_dir))}' "
                           f"alt='{escape(caption)}' loading='lazy'>", caption))
        if reference is not None:
            dest = report_dir / "assets" / "diff" / f"{sid}-round-{rnd.round}.png"
            mean = diff_heatmap(reference, image, dest)
            if mean is not None:
                out.append(_figure(f"<img src='{escape(_rel(dest, report_dir))}' "
                                   "alt='difference heatmap' loading='lazy'>",
                                   f"difference, round {rnd.round} (mean {mean:.3f})"))
    if not out:
        why = escape(rnd.reason or rnd.status)
        out.append(_figure(f"<div class='norender'>no render<br>{why}</div>", caption))
    return out


def _program(data: RunData, record: SampleRecord) -> str:
    blocks = []
    for rnd in record.rounds:
        if rnd.program is None:
            continue
        html = highlight(rnd.program, _lexer(data.executor, rnd.program),
                         HtmlFormatter(cssclass="hl"))
        blocks.append("<details class='program'>"
                      f"<summary>program, round {rnd.round} ({len(rnd.program)} chars)"
                      f"</summary>{html}</details>")
    return "".join(blocks)


def _lexer(executor: str, program: str) -> Any:
    head = program.lstrip()[:200].lower()
    if executor == "html" or head.startswith(("<!doctype html", "<html")):
        return HtmlLexer()
    if executor == "svg" or head.startswith(("<svg", "<?xml")):
        return XmlLexer()
    if executor in {"manim", "blender", "bpy", "python"} or "import " in head:
        return PythonLexer()
    return TextLexer()


def _figure(inner: str, caption: str) -> str:
    return f"<figure>{inner}<figcaption>{escape(caption)}</figcaption></figure>"


def _in_run(data: RunData, path: Path) -> Path:
    return path if path.is_absolute() else data.run_dir / path


def _rel(path: Path, report_dir: Path) -> str:
    return Path(os.path.relpath(path, report_dir)).as_posix()


def _round_status(record: SampleRecord) -> str:
    if record.status == "error" or not record.rounds:
        return "error"
    return record.rounds[-1].status


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"
