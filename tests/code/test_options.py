"""Every option of the code components by its observable effect."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from visioncode import Execution, Limits, RenderSpec, RoundRecord, Sample
from visioncode_code.ocr import OcrMetric
from visioncode_code.renderer import CodeImageRenderer
from visioncode_code.understanding import CodeUnderstandingMetric


def answered(text: str) -> RoundRecord:
    return RoundRecord(round=0, execution=Execution(status="ok", program=text))


def test_font_size_line_spacing_and_tab_size(tmp_path: Path) -> None:
    renderer = CodeImageRenderer(CodeImageRenderer.Options(
        font_size=20, line_spacing=2.0, tab_size=8, margin=0, language="python"))
    try:
        r = renderer.render(Execution(status="ok", program="a = 1\n\tb = 2"), RenderSpec(),
                            tmp_path)
    finally:
        renderer.close()
    assert r.ok, r.error
    assert r.metadata["line_height"] == 40 and r.metadata["font_size"] == 20
    assert r.height == 2 * 40
    second = r.metadata["lines"][1]
    assert second["text"] == " " * 8 + "b = 2"
    assert second["box"][2] == pytest.approx(13 * r.metadata["char_width"], abs=0.02)


def test_workers_draw_side_by_side(tmp_path: Path) -> None:
    renderer = CodeImageRenderer(CodeImageRenderer.Options(workers=2))
    results = {}

    def draw(i: int) -> None:
        results[i] = renderer.render(Execution(status="ok", program=f"x = {i}"),
                                     RenderSpec(), tmp_path / str(i))

    try:
        threads = [threading.Thread(target=draw, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        free, _ = renderer._pool()
        assert free.qsize() == 2  # both workers back in the pool
    finally:
        renderer.close()
    assert all(r.ok for r in results.values())


def test_limits_bound_a_drawing(tmp_path: Path) -> None:
    """Half a million glyphs cannot be drawn in one second: the wall clock of `limits`
    stops the worker and the rendering says so."""
    renderer = CodeImageRenderer(CodeImageRenderer.Options(
        limits=Limits(wall_time_s=1, memory_mb=2048, processes=32), max_chars=1_000_000,
        font_size=4, margin=0, language="text"))
    try:
        r = renderer.render(Execution(status="ok", program=("x" * 99 + "\n") * 5000),
                            RenderSpec(), tmp_path)
    finally:
        renderer.close()
    assert r.status == "timeout" and "drawing the code failed" in (r.error or "")


def test_code_understanding_field_whitespace_and_case() -> None:
    sample = Sample(id="s", meta={"expected": "Code  Meets Vision"})
    default = CodeUnderstandingMetric(CodeUnderstandingMetric.Options(answer_field="expected"))
    assert default.score(sample, answered("Code Meets Vision")).values["exact_match"] == 1.0
    strict = CodeUnderstandingMetric(CodeUnderstandingMetric.Options(
        answer_field="expected", collapse_whitespace=False))
    assert strict.score(sample, answered("Code Meets Vision")).values["exact_match"] == 0.0
    loose = CodeUnderstandingMetric(CodeUnderstandingMetric.Options(
        answer_field="expected", case_sensitive=False))
    assert loose.score(sample, answered("code meets VISION")).values["exact_match"] == 1.0
    assert default.score(sample, answered("code meets VISION")).values["exact_match"] == 0.0


def test_ocr_reference_field_and_case() -> None:
    sample = Sample(id="s", meta={"truth": "Print(X)"})
    metric = OcrMetric(OcrMetric.Options(reference_field="truth"))
    assert metric.score(sample, answered("print(x)")).values["cer"] == 0.25
    folded = OcrMetric(OcrMetric.Options(reference_field="truth", case_sensitive=False))
    assert folded.score(sample, answered("print(x)")).values["cer"] == 0.0
