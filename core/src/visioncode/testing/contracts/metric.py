"""What every Metric promises: a Score named after the metric with named values, a
direction for each, a real render scored at least as well as a wrong one, and a failed
render scored by the failure policy, never by raising."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ...rendering import Rendering
from ...samples import Sample
from ...scoring import FailurePolicy, Score
from ..datasets import rendering_of, round_of, shape_image
from .base import ComponentContract


class MetricContract(ComponentContract):
    """Subclass and set `component` (and `options`). Set `compares_images = False` for a
    metric that does not compare the render with the reference (render success, program
    size): the better-than-wrong check is then left out."""

    kind = "metric"
    compares_images: ClassVar[bool] = True
    #: The program recorded with the rounds the suite scores.
    program: ClassVar[str] = "<svg xmlns='http://www.w3.org/2000/svg'/>"

    def sample(self, tmp_path: Path) -> Sample:
        image = shape_image(tmp_path / "reference.png", "circle", "#1f77b4", (48, 48))
        return Sample(id="0-circle", image=image, text="a blue circle")

    def score(self, metric: object, sample: Sample, rendering: Rendering | None) -> Score:
        result = round_of(rendering, program=self.program)
        score = self.call(metric, "score", sample=sample, result=result)  # type: ignore[arg-type]
        assert isinstance(score, Score), f"score returned {type(score).__name__}"
        return score

    def test_score_shape(self, subject: object, tmp_path: Path) -> None:
        sample = self.sample(tmp_path)
        score = self.score(subject, sample, rendering_of(sample.image))  # type: ignore[arg-type]
        assert score.metric == subject.name  # type: ignore[attr-defined]
        assert score.values and all(isinstance(k, str) for k in score.values)
        assert set(score.higher_is_better) <= set(score.values)
        assert score.rendered
        Score.model_validate_json(score.model_dump_json())  # records are JSON

    def test_right_render_beats_wrong_render(self, subject: object, tmp_path: Path) -> None:
        if not self.compares_images:
            return
        sample = self.sample(tmp_path)
        wrong = shape_image(tmp_path / "wrong.png", "square", "#d62728", (48, 48))
        right = self.score(subject, sample, rendering_of(sample.image))  # type: ignore[arg-type]
        other = self.score(subject, sample, rendering_of(wrong))
        better = 0
        for key, up in right.higher_is_better.items():
            a, b = right.values[key], other.values[key]
            assert a is not None and b is not None, key
            assert (a >= b) if up else (a <= b), f"{key}: right {a} vs wrong {b}"
            better += a != b
        assert better, "the metric cannot tell the reference from a different image"

    def test_failed_render_follows_the_failure_policy(self, tmp_path: Path) -> None:
        sample = self.sample(tmp_path)
        failed = Rendering(status="error", renderer="testing", error="parse error at line 1")
        fields = self.component.Options.model_fields
        policies: list[Any] = list(FailurePolicy) if "failure_policy" in fields else [None]
        for policy in policies:
            extra = {} if policy is None else {"failure_policy": policy.value}
            metric = self.make(tmp_path, **extra)
            try:
                score = self.score(metric, sample, failed)
            finally:
                metric.close()
            assert not score.rendered, "a failed render must give rendered=False"
            if policy is None:
                continue
            assert score.policy == policy
            if policy is FailurePolicy.exclude:
                assert all(v is None for v in score.values.values()), score.values
            else:
                assert all(v is not None for v in score.values.values()), score.values
