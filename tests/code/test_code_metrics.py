"""The text executor, the ocr and code-understanding metrics, and the example pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visioncode import Execution, RoundRecord, Sample
from visioncode.config import load_config
from visioncode.runner import Runner
from visioncode.store import RunStore
from visioncode_code.distance import edit_similarity, error_rate, levenshtein
from visioncode_code.executor import TextExecutor
from visioncode_code.ocr import OcrMetric
from visioncode_code.understanding import CodeUnderstandingMetric

from ..conftest import ROOT

EXAMPLE = ROOT / "examples" / "code-understanding"


def answered(text: str | None) -> RoundRecord:
    if text is None:
        return RoundRecord(round=0, status="no_program", reason="no_program: empty output")
    return RoundRecord(round=0, execution=Execution(status="ok", program=text))


def test_distances() -> None:
    assert levenshtein("kitten", "sitting") == 3
    assert error_rate("abcd", "abce") == 0.25
    assert error_rate(["return", "x"], ["return", "y"]) == 0.5
    assert error_rate("", "") == 0.0 and error_rate("x", "") == 1.0
    assert edit_similarity("abcd", "abce") == 0.75 and edit_similarity("", "") == 1.0


def test_text_executor_takes_the_fenced_block_and_runs_nothing(tmp_path: Path) -> None:
    ex = TextExecutor(TextExecutor.Options(language="python"))
    found = ex.extract("Here:\n```python\nprint('x')\n```\nbye")
    assert found.program == "print('x')" and found.notes == ["took fenced block (python)"]
    assert ex.extract("just 42").program == "just 42"
    assert ex.extract("  \n").status == "no_program"
    run = ex.execute("import os; os.remove('/etc/passwd')", tmp_path)
    assert run.ok and run.metadata["language"] == "python"
    assert run.artifacts["source"].read_text() == "import os; os.remove('/etc/passwd')"
    assert TextExecutor(TextExecutor.Options(max_chars=3)).execute("abcd", tmp_path).status \
        == "too_long"


def test_ocr_rates_against_the_reference_program(tmp_path: Path) -> None:
    program = tmp_path / "p.py"
    program.write_text("def f(x):\n    return x + 1\n")
    sample = Sample(id="s", reference_program=program)
    metric = OcrMetric()
    same = metric.score(sample, answered("def f(x):   \n    return x + 1"))
    assert same.values == {"cer": 0.0, "wer": 0.0, "exact": 1.0}  # trailing space, newline
    typo = metric.score(sample, answered("def f(x):\n    retum x + 1"))
    truth_chars = len("def f(x):\n    return x + 1")
    assert typo.values["cer"] == pytest.approx(2 / truth_chars)  # "rn" -> "m": 2 edits
    assert typo.values["wer"] == pytest.approx(1 / 6) and typo.values["exact"] == 0.0
    assert metric.score(sample, answered(None)).values["cer"] == 1.0
    collapse = OcrMetric(OcrMetric.Options(whitespace="collapse"))
    assert collapse.score(sample, answered("def f(x): return x + 1")).values["exact"] == 1.0
    with pytest.raises(ValueError, match="has no reference_program"):
        metric.score(Sample(id="t"), answered("x"))


def test_code_understanding_exact_match_and_edit_similarity() -> None:
    metric = CodeUnderstandingMetric()
    sample = Sample(id="s", meta={"answer": ["'code meets vision'", "code meets vision"]})
    assert metric.score(sample, answered(" code  meets vision\n")).values == {
        "exact_match": 1.0, "edit_similarity": 1.0}
    near = metric.score(sample, answered("code meet vision"))
    assert near.values["exact_match"] == 0.0
    assert near.values["edit_similarity"] == pytest.approx(1 - 1 / 17)
    assert metric.score(sample, answered(None)).values == {"exact_match": 0.0,
                                                           "edit_similarity": 0.0}
    with pytest.raises(ValueError, match=r"meta\.answer must be the expected answer"):
        metric.score(Sample(id="t"), answered("x"))


def test_the_code_understanding_example_runs(tmp_path: Path) -> None:
    out = tmp_path / "run"
    Runner(load_config(EXAMPLE / "pipeline.toml"), out).run(console="quiet")
    records = {r.sample_id: r for r in RunStore(out).load()}
    answers = {json.loads(line)["sample_id"]: json.loads(line)["text"]
               for line in (EXAMPLE / "replay" / "answers.jsonl").open()}
    assert set(records) == set(answers)
    exact = {k: r.scores["code-understanding"].values["exact_match"]
             for k, r in records.items()}
    assert exact["fib"] == 1.0 and exact["reverse-words"] == 1.0
    assert exact["clamp"] == 0.0 and exact["js-max"] == 0.0
    assert records["loop-count"].status == "failed"  # the model said nothing
    boxes = records["fib"].rounds[0].rendering.metadata["lines"]
    assert [b["line"] for b in boxes] == [1]
