"""The parity cases: for each metric with a reference implementation, the values the
original code gave (stored in tests/parity/data/*.json by `run_originals.py`) and a
function computing visioncode's values on the same inputs. The tests assert agreement
within each case's tolerance; `scripts/parity_table.py` runs the same cases and writes
docs/metrics/parity.md, so the table shows what the tests check.

A uniquely named module, so it cannot clash with other test folders' helpers."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import parity_inputs as P


@dataclass(frozen=True)
class Case:
    """One metric checked against one reference function."""

    name: str
    #: tests/parity/data/<data>.json
    data: str
    tolerance: float
    #: visioncode's values on the inputs, keyed as the stored `values` (flattened).
    compute: Callable[[Path], dict[str, float]]
    #: What visioncode computes with (metric and options).
    visioncode: str
    #: Differences by design that remain (none are hidden inside the tolerance).
    deviations: list[str] = field(default_factory=list)
    slow: bool = False

    def expected(self) -> dict[str, float]:
        return flatten(P.expected(self.data)["values"])

    def record(self) -> dict[str, Any]:
        return P.expected(self.data)


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in values.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}/"))
        else:
            out[f"{prefix}{k}"] = float(v)
    return out


def _rounds(gen: Path) -> Any:
    from visioncode import Execution, Rendering, RoundRecord

    return RoundRecord(round=0, execution=Execution(status="ok", program="<svg/>"),
                       rendering=Rendering(status="ok", renderer="parity", images=[gen]))


def _failed() -> Any:
    from visioncode import Execution, Rendering, RoundRecord

    return RoundRecord(round=0, status="render_error", reason="renderer crashed",
                       execution=Execution(status="ok", program="<svg"),
                       rendering=Rendering(status="error", renderer="parity",
                                           error="the program did not render"))


def _pairwise(metric: Any, key: str, work: Path, names: tuple[str, ...]) -> dict[str, float]:
    from visioncode import Sample

    pairs = P.write_pairs(work / "pairs", names)
    out = {}
    for name, (ref, gen) in pairs.items():
        value = metric.score(Sample(id=name, image=ref), _rounds(gen)).values[key]
        assert value is not None, name
        out[name] = float(value)
    return out


def _context(cls: type, work: Path) -> Any:
    from visioncode import ComponentContext

    return ComponentContext(name=cls.__name__.lower(), cache_dir=work / "cache")


def ssim_values(work: Path) -> dict[str, float]:
    from visioncode_metrics.ssim import Ssim

    names = tuple(P.expected("starvector_ssim")["values"])
    return _pairwise(Ssim(Ssim.Options()), "ssim", work, names)


def dino_values(work: Path) -> dict[str, float]:
    from visioncode_metrics.features.dinov2 import Dinov2

    m = Dinov2(Dinov2.Options(local_path=P.HERE / "models" / "dinov2", device="cpu",
                              cache_embeddings=False), _context(Dinov2, work))
    return _pairwise(m, "dinov2", work, P.PAIRS)


def _siglip(work: Path) -> Any:
    from visioncode_metrics.features.siglip import Siglip

    return Siglip(Siglip.Options(local_path=P.HERE / "models" / "siglip", device="cpu",
                                 cache_embeddings=False), _context(Siglip, work))


def siglip_values(work: Path) -> dict[str, float]:
    return _pairwise(_siglip(work), "siglip", work, P.PAIRS)


def accounting_values(work: Path) -> dict[str, float]:
    """VCode's benchmark mean and success rate, from visioncode's run summary over
    records whose failed samples did not render (siglip's default policy: exclude)."""
    from visioncode import Sample, SampleRecord
    from visioncode.summary import summarize
    from visioncode_metrics.render_success import RenderSuccess

    failed = P.expected("vcode_accounting")["failed"]
    siglip = _siglip(work)
    success = RenderSuccess(RenderSuccess.Options())
    records = []
    for name, (ref, gen) in P.write_pairs(work / "bench").items():
        sample = Sample(id=name, image=ref)
        round_ = _failed() if name in failed else _rounds(gen)
        scores = {"siglip": siglip.score(sample, round_),
                  "render-success": success.score(sample, round_)}
        records.append(SampleRecord(sample_id=name, status="failed" if name in failed else "ok",
                                    rounds=[round_], final_round=0, scores=scores))
    summary = summarize(records)
    means = {m.metric: m.mean for m in summary.metrics}
    assert means["siglip"] is not None
    return {"mean": float(means["siglip"]), "success_rate": float(summary.success_rate)}


def token_values(work: Path) -> dict[str, float]:
    from visioncode import Execution, Extraction, RoundRecord, Sample
    from visioncode_metrics.svg_code import SvgCode

    m = SvgCode(SvgCode.Options(tokenizer="cl100k_base"))
    out = {}
    for name, svg in P.expected("vcode_tokens")["svgs"].items():
        r = RoundRecord(round=0, extraction=Extraction(program=svg),
                        execution=Execution(status="ok", program=svg))
        value = m.score(Sample(id=name), r).values["tokens"]
        assert value is not None
        out[name] = float(value)
    return out


def teachquiz_values(work: Path) -> dict[str, float]:
    """visioncode's teachquiz (with the baseline stage) asking a student that gives the
    replies Code2Video's code graded, question by question."""
    from visioncode import (
        Completion,
        ComponentContext,
        ModelRequest,
        Rendering,
        RoundRecord,
        Sample,
    )
    from visioncode_metrics.teachquiz import Teachquiz

    record = P.expected("code2video_teachquiz")
    frames = [ref for ref, _ in P.write_pairs(work / "frames", ("identical",)).values()]
    out: dict[str, float] = {}
    for concept, quiz in record["quiz"].items():
        replies = record["replies"][concept]

        def student(request: ModelRequest, replies: dict = replies) -> Completion:
            _, stage, qid = request.purpose.split(":")
            return Completion(text=replies[stage][int(qid.removeprefix("q"))])

        m = Teachquiz(Teachquiz.Options(student={"use": "scripted"}, baseline=True),
                      ComponentContext(name="teachquiz", model_factory=lambda spec, s=student: s))
        round_ = RoundRecord(round=0, rendering=Rendering(status="ok", renderer="parity",
                                                          frames=frames, images=frames))
        values = m.score(Sample(id=concept, text=concept, meta={"quiz": quiz}), round_).values
        for key, v in values.items():
            assert v is not None, key
            out[f"{concept}/{key}"] = float(v)
        m.close()
    return out


def design2code_scoring_values(work: Path) -> dict[str, float]:
    from visioncode_html.design2code_protocol import score_blocks

    out = {}
    for name, (prediction, reference) in P.BLOCK_CASES.items():
        scores = score_blocks(prediction, reference)
        for key in ("block_match", "text", "position", "color"):
            out[f"{name}/{key}"] = float(scores[key])
    return out


def design2code_structural_values(work: Path) -> dict[str, float]:
    """The structural mode's one-to-one matching on the same blocks (for its deviation)."""
    from visioncode_html.blocks import Block, match_blocks

    def blocks(raw: list[dict[str, Any]]) -> list[Block]:
        return [Block(b["text"], *b["bbox"], tuple(float(c) for c in b["color"]))
                for b in raw]

    out = {}
    for name, (prediction, reference) in P.BLOCK_CASES.items():
        m = match_blocks(blocks(prediction), blocks(reference))
        for key in ("block_match", "text", "position", "color"):
            out[f"{name}/{key}"] = float(getattr(m, key) or 0.0)
    return out


def design2code_html_values(work: Path) -> dict[str, float]:
    """0 for each document whose clean-up, colour-coded copies and extracted texts equal
    the original's, character for character; 1 otherwise."""
    from visioncode_html.design2code_blocks import clean_up, colour_coded, texts_with_colour

    outputs = P.expected("design2code_html")["outputs"]
    out = {}
    for name, html in P.HTML_CASES.items():
        want = outputs[name]
        cleaned = clean_up(html)
        coded = colour_coded(cleaned)
        same = (cleaned == want["cleaned"] and coded == want["coded"]
                and colour_coded(cleaned, offset=50) == want["coded_1"]
                and [list(t) for t in texts_with_colour(coded)] == want["texts"])
        out[name] = 0.0 if same else 1.0
    return out


def design2code_page_values(work: Path) -> dict[str, float]:
    """The `design2code` metric with protocol = design2code on whole pages (Chromium)."""
    from visioncode import (
        ComponentContext,
        Execution,
        Rendering,
        RoundRecord,
        Sample,
    )
    from visioncode_html.design2code import Design2Code

    m = Design2Code(Design2Code.Options(protocol="design2code"),
                    ComponentContext(name="design2code", cache_dir=work / "cache"))
    shot = work / "shot.png"
    P.pair("identical")[0].save(shot)
    out = {}
    try:
        for name, (prediction, reference) in P.PAGES.items():
            ref = work / f"{name}_ref.html"
            ref.write_text(reference)
            r = RoundRecord(round=0, execution=Execution(status="ok", program=prediction),
                            rendering=Rendering(status="ok", renderer="chromium",
                                                images=[shot]))
            values = m.score(Sample(id=name, reference_program=ref), r).values
            for key in ("block_match", "text", "position", "color"):
                v = values[key]
                assert v is not None, (name, key)
                out[f"{name}/{key}"] = float(v)
    finally:
        m.close()
    return out


def design2code_structural_page_values(work: Path, width: int, height: int,
                                       full_page: bool) -> dict[str, float]:
    """The structural protocol (the default) on the same pages, rendered by the html
    executor and the chromium renderer on a given canvas: measured, not asserted."""
    from visioncode import ComponentContext, RenderSpec, RoundRecord, Sample
    from visioncode_html.design2code import Design2Code
    from visioncode_html.executor import HtmlExecutor
    from visioncode_html.renderers import ChromiumRenderer

    executor = HtmlExecutor(HtmlExecutor.Options(width=width, height=height))
    renderer = ChromiumRenderer(ChromiumRenderer.Options(full_page=full_page))
    m = Design2Code(Design2Code.Options(),
                    ComponentContext(name="design2code", cache_dir=work / "cache"))
    out = {}
    try:
        for name, (prediction, reference) in P.PAGES.items():
            ref = work / f"{name}_ref.html"
            ref.write_text(reference)
            ex = executor.execute(prediction, work / name / "exec")
            rendering = renderer.render(ex, RenderSpec(width=width, height=height),
                                        work / name / "render")
            assert rendering.ok, rendering.error
            values = m.score(Sample(id=name, reference_program=ref),
                             RoundRecord(round=0, execution=ex, rendering=rendering)).values
            for key in ("block_match", "text", "position", "color"):
                out[f"{name}/{key}"] = float(values[key] or 0.0)
    finally:
        m.close()
        renderer.close()
        executor.close()
    return out


def chartmimic_values(work: Path) -> dict[str, float]:
    """The `chartmimic` metric's four scores (precision, recall, F1) on the example's program
    pairs, each program traced by the metric's sandboxed tracer, and its colour similarity."""
    from visioncode_plot.chartmimic import ChartMimicMetric
    from visioncode_plot.colours import similarity

    m = ChartMimicMetric(ChartMimicMetric.Options())
    out: dict[str, float] = {}
    try:
        for name, (golden, generated) in P.chart_pairs().items():
            traces = [m.trace_program(program) for program in (generated, golden)]
            for trace, why in traces:
                assert trace is not None, (name, why)
            gen, gold = (t for t, _ in traces)
            assert gen is not None and gold is not None
            for key, prf in m.compare(gen, gold).items():
                for part, v in prf.as_dict().items():
                    out[f"{name}/{key}/{part}"] = v
    finally:
        m.close()
    for a, b in P.COLOUR_PAIRS:
        out[f"similarity/{a}-{b}"] = similarity(a, b)
    return out


CASES: list[Case] = [
    Case("ssim", "starvector_ssim", 1e-6, ssim_values,
         "`ssim` defaults (channels = rgb, win_size = 11)",
         ["StarVector passes sigma = 1.5, which scikit-image ignores without "
          "gaussian_weights: both use the uniform 11 x 11 window (no difference)."]),
    Case("dinov2", "starvector_dino", 1e-6, dino_values,
         "`dinov2` (local_path = the same tiny model)"),
    Case("siglip", "vcode_siglip", 1e-6, siglip_values,
         "`siglip` (local_path = the same tiny model)"),
    Case("siglip-accounting", "vcode_accounting", 1e-6, accounting_values,
         "run summary of `siglip` (failure_policy = exclude) and the success rate",
         ["VCode gives 0.0 to a generated image that has no reference and to a pair that "
          "raises while scoring; visioncode has no unmatched renders (every render "
          "belongs to a sample) and reports a scoring error as the sample's error."]),
    Case("svg-code-tokens", "vcode_tokens", 0.0, token_values,
         "`svg-code` (tokenizer = cl100k_base)",
         ["VCode's count_tokens returns 0 when tiktoken fails (e.g. offline without the "
          "rank file); visioncode stops with an error naming the missing file."]),
    Case("design2code-scoring", "design2code_scoring", 1e-6, design2code_scoring_values,
         "`design2code_protocol.score_blocks` (protocol = design2code) on the same blocks",
         ["None in the scoring: block detection is compared by design2code-pages."]),
    Case("design2code-html", "design2code_html", 0.0, design2code_html_values,
         "`design2code_blocks.clean_up`, `colour_coded`, `texts_with_colour` (1 = a "
         "document differs)"),
    Case("design2code-pages", "design2code_pages", 0.01, design2code_page_values,
         "`design2code` (protocol = design2code), pages rendered by visioncode's browser "
         "worker", ["CLIP (the fifth term of Design2Code's final score) is not computed."],
         slow=True),
    Case("teachquiz", "code2video_teachquiz", 1e-6, teachquiz_values,
         "`teachquiz` (baseline = true, a scripted student)",
         ["A reply `ANSWER = NULL` whose text then has a standalone option letter counts as "
          "that letter in Code2Video and as wrong in visioncode (not in these fixtures).",
          "Code2Video sends the video file; visioncode sends keyframes and narration.",
          "Code2Video counts a failed call as a wrong answer; visioncode retries, then "
          "reports the sample's error."]),
    Case("chartmimic", "chartmimic", 1e-6, chartmimic_values,
         "`chartmimic` (its tracer; `scores` and `colours`)",
         ["ChartMimic runs each program four times (once per evaluator) under matplotlib "
          "3.8.4; visioncode traces it once, sandboxed, under the installed matplotlib.",
          "The colour step follows colormath 3.0's sRGB-to-Lab constants and its CIEDE2000 "
          "hue steps (which depart from the standard), as ChartMimic scores with them.",
          "Colour pairing: ChartMimic tries every permutation, visioncode the Hungarian "
          "algorithm (the same maximum).",
          "The chart-type evaluator keeps the previous sample's numbers when the generated "
          "program called nothing; visioncode scores 0 (not in these fixtures)."]),
]


def run(case: Case) -> tuple[dict[str, float], dict[str, float], float]:
    """(expected, actual, largest absolute difference) of a case."""
    with tempfile.TemporaryDirectory() as tmp:
        actual = case.compute(Path(tmp))
    expected = case.expected()
    assert set(actual) == set(expected), (sorted(actual), sorted(expected))
    worst = max(abs(actual[k] - expected[k]) for k in expected)
    return expected, actual, worst
