"""The `plot2code` metric: Plot2Code's pass rate and text-match rate.

From github.com/TencentARC/Plot2Code: a generated program *passes* when it runs and its
plot is not blank (`eval/text_match_score.py` skips all-white images, and
`eval/combine_evaluation_results.py` reports the share of samples left as the code pass
rate); here "blank" is a primary image of a single colour, whatever the background. The
*text match* (`match_texts` there, `scores.plot2code_text_match` here) compares the visible
texts of the generated and the reference program's current figure; it is computed for
passing samples only (a failed one is left out of the mean, as Plot2Code does).

The pixel and feature metrics (`ssim`, `mse`, `siglip`, ...) apply unchanged to the
rendered chart; add them beside this one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from visioncode import FailurePolicy, RoundRecord, Sample, Score

from . import scores
from .chartmimic import ChartMimicMetric, TracerOptions


class Plot2CodeOptions(TracerOptions):
    """Workers and limits for tracing the reference programs (no failure policy to set:
    Plot2Code leaves a failed sample out of the text-match mean and counts it as not
    passed)."""


def blank(image: Path) -> bool:
    """True when every pixel of the image has the same colour."""
    with Image.open(image) as im:
        extrema = im.convert("RGB").getextrema()
    return all(lo == hi for lo, hi in extrema)  # type: ignore[misc]


class Plot2CodeMetric(ChartMimicMetric):
    """`pass` (1 when the program ran and drew a non-blank chart) and `text_match`
    (Plot2Code's text-match score against the reference program, passing samples only)."""

    Options = Plot2CodeOptions  # type: ignore[assignment]

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        higher = {"pass": True, "text_match": True}
        rendering = result.rendering
        image = rendering.image if rendering is not None and rendering.ok else None
        passed = image is not None and not blank(Path(image))
        generated = self._generated(result) if passed else None
        if generated is None:
            details: dict[str, Any] = {"reason": result.reason or (
                "the chart is blank" if image is not None else "the program did not render")}
            return Score(metric=self.name, values={"pass": 0.0, "text_match": None},
                         rendered=False, policy=FailurePolicy.exclude,
                         higher_is_better=higher, details=details)
        golden = self._reference(sample)
        match = scores.plot2code_text_match(golden.plot2code_texts, generated.plot2code_texts,
                                            golden.size_inches, generated.size_inches)
        return Score(metric=self.name, values={"pass": 1.0, "text_match": match},
                     rendered=True, policy=FailurePolicy.exclude, higher_is_better=higher,
                     details={"golden_texts": len(golden.plot2code_texts),
                              "generated_texts": len(generated.plot2code_texts)})
