"""The core's contract suites run against every visioncode-code component."""

from __future__ import annotations

from pathlib import Path

from visioncode import Execution, Sample
from visioncode.testing import ExecutorContract, MetricContract, RendererContract
from visioncode_code.executor import TextExecutor
from visioncode_code.ocr import OcrMetric
from visioncode_code.renderer import CodeImageRenderer
from visioncode_code.understanding import CodeUnderstandingMetric

PROGRAM = "def add(a, b):\n    return a + b"


class TestTextExecutor(ExecutorContract):
    component = TextExecutor
    name = "text"
    options = {"max_chars": 1000}
    program = PROGRAM
    fence = "python"
    bad_programs = {"x" * 2000: "too_long", "\ud800": "bad_text"}
    no_time_limit_reason = "the text executor runs nothing: the text is the program"


class TestOcr(MetricContract):
    component = OcrMetric
    name = "ocr"
    compares_images = False
    program = PROGRAM

    def sample(self, tmp_path: Path) -> Sample:
        reference = tmp_path / "reference.py"
        reference.write_text(PROGRAM)
        return super().sample(tmp_path).model_copy(update={"reference_program": reference})


class TestCodeUnderstanding(MetricContract):
    component = CodeUnderstandingMetric
    name = "code-understanding"
    compares_images = False
    program = "55"

    def sample(self, tmp_path: Path) -> Sample:
        return super().sample(tmp_path).model_copy(update={"meta": {"answer": "55"}})


class TestCodeImageRenderer(RendererContract):
    component = CodeImageRenderer
    name = "code-image"
    options = {"size": "spec", "background": "spec", "language": "python", "max_chars": 1000}

    def execution(self, workdir: Path) -> Execution:
        return Execution(status="ok", program=PROGRAM)

    def empty_execution(self, workdir: Path) -> Execution:
        return Execution(status="ok", program=" ")  # a blank line: nothing is drawn

    def broken_execution(self, workdir: Path) -> Execution:
        # any text can be drawn; what cannot is text over max_chars
        return Execution(status="ok", program="x" * 2000)
