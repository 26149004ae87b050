"""The `code-understanding` metric: a model's answer about code against the expected one.

The answer is the round's program (the `text` executor takes the model's text); the
expected answer is `sample.meta[answer_field]`, a string or a list of acceptable strings.
Values: `exact_match` (1 when the normalised answer equals any expected one) and
`edit_similarity` (the best `1 - Levenshtein / max length` over the expected answers:
CodeXGLUE's and RepoBench's edit similarity for completion, on a 0-1 scale).
Normalisation: surrounding white space is stripped, and with `collapse_whitespace`
every run of white space becomes one space; `case_sensitive = false` lower-cases both.
"""

from __future__ import annotations

import re

from pydantic import Field

from visioncode import ComponentOptions, FailurePolicy, Metric, RoundRecord, Sample, Score

from .distance import edit_similarity

_SPACE = re.compile(r"\s+")


class CodeUnderstandingOptions(ComponentOptions):
    answer_field: str = Field("answer", min_length=1, description="sample.meta key of the "
                              "expected answer (a string or a list of strings)")
    collapse_whitespace: bool = Field(True, description="compare with runs of white space "
                                      "as one space")
    case_sensitive: bool = Field(True, description="compare letters' case")


class CodeUnderstandingMetric(Metric):
    """Exact match and edit similarity of an answer against the expected answer(s)."""

    Options = CodeUnderstandingOptions
    options: CodeUnderstandingOptions

    def _norm(self, text: str) -> str:
        text = text.strip()
        if self.options.collapse_whitespace:
            text = _SPACE.sub(" ", text)
        return text if self.options.case_sensitive else text.lower()

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        field = self.options.answer_field
        raw = sample.meta.get(field)
        expected = [raw] if isinstance(raw, str) else raw
        if not isinstance(expected, list) or not expected or not all(
                isinstance(e, str) for e in expected):
            raise ValueError(f"sample {sample.id!r}: meta.{field} must be the expected "
                             "answer, a string or a non-empty list of strings")
        higher = {"exact_match": True, "edit_similarity": True}
        answer = result.program
        if answer is None:
            return Score(metric=self.name, values={"exact_match": 0.0, "edit_similarity": 0.0},
                         rendered=False, policy=FailurePolicy.worst, higher_is_better=higher,
                         details={"reason": result.reason or "no answer"})
        got = self._norm(answer)
        targets = [self._norm(e) for e in expected]
        best = max(targets, key=lambda t: edit_similarity(got, t))
        return Score(metric=self.name, values={
            "exact_match": 1.0 if got in targets else 0.0,
            "edit_similarity": edit_similarity(got, best)},
            rendered=result.rendering is None or result.rendering.ok,
            policy=FailurePolicy.worst, higher_is_better=higher,
            details={"answer": got[:500], "closest": best[:500]})
