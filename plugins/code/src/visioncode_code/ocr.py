"""The `ocr` metric: how well a model's transcription of a code image matches the program.

The transcription is the round's program (the `text` executor takes the model's answer);
the truth is the sample's `reference_program` file (or `meta[reference_field]`).
Values: `cer`, the character error rate (Levenshtein distance over characters / reference
characters), `wer`, the word error rate (over whitespace-separated words), and
`exact` (1 when the texts are equal after normalisation). Lower is better for both rates.
Normalisation (`whitespace`): `exact` compares as is; `lines` drops trailing spaces and
trailing blank lines; `collapse` turns every run of white space into one space (what OCR
of indentation-insensitive code is often scored on).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field

from visioncode import ComponentOptions, FailurePolicy, Metric, RoundRecord, Sample, Score

from .distance import error_rate

_SPACE = re.compile(r"\s+")


class OcrOptions(ComponentOptions):
    whitespace: Literal["exact", "lines", "collapse"] = Field(
        "lines", description="how white space is normalised before comparing")
    case_sensitive: bool = Field(True, description="compare letters' case")
    reference_field: str | None = Field(None, description="take the truth from "
                                        "sample.meta[this] instead of reference_program")


def normalise(text: str, whitespace: str, case_sensitive: bool) -> str:
    if whitespace == "lines":
        text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
        text = text.rstrip("\n")
    elif whitespace == "collapse":
        text = _SPACE.sub(" ", text).strip()
    return text if case_sensitive else text.lower()


def reference_text(sample: Sample, field: str | None, metric: str) -> str:
    """The sample's truth text, or a ValueError naming the field to set."""
    if field is not None:
        value = sample.meta.get(field)
        if not isinstance(value, str):
            raise ValueError(f"sample {sample.id!r}: meta.{field} must be the text the "
                             f"{metric} metric compares against")
        return value
    if sample.reference_program is None:
        raise ValueError(f"sample {sample.id!r} has no reference_program: the {metric} "
                         "metric compares against it (or set reference_field)")
    return sample.reference_program.read_text(encoding="utf-8")


class OcrMetric(Metric):
    """Character and word error rate of a transcription against the program."""

    Options = OcrOptions
    options: OcrOptions

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        o = self.options
        truth = normalise(reference_text(sample, o.reference_field, "ocr"), o.whitespace,
                          o.case_sensitive)
        higher = {"cer": False, "wer": False, "exact": True}
        program = result.program
        if program is None:
            return Score(metric=self.name, values={"cer": 1.0, "wer": 1.0, "exact": 0.0},
                         rendered=False, policy=FailurePolicy.worst,
                         higher_is_better=higher,
                         details={"reason": result.reason or "no transcription"})
        hypothesis = normalise(program, o.whitespace, o.case_sensitive)
        details: dict[str, Any] = {"reference_chars": len(truth),
                                   "transcription_chars": len(hypothesis)}
        return Score(metric=self.name, values={
            "cer": error_rate(hypothesis, truth),
            "wer": error_rate(hypothesis.split(), truth.split()),
            "exact": 1.0 if hypothesis == truth else 0.0},
            rendered=result.rendering is None or result.rendering.ok,
            policy=FailurePolicy.worst, higher_is_better=higher, details=details)
