"""Whether the round's program rendered: the success rate beside every other metric.

It has no failure policy because it *is* the measure of failure: 1.0 when the round has
a rendering that succeeded, else 0.0. Its mean over samples is the render-success rate
both StarVector (ratio of non-compiling SVGs) and VCode (success rate) report, and it
tells how many samples a metric with `failure_policy = "exclude"` left out. The details
carry the round's failure status and reason so a report can group failures by cause.
"""

from __future__ import annotations

from typing import Any

from visioncode import Metric, RoundRecord, Sample, Score

KEY = "render_success"


class RenderSuccess(Metric):
    """`render-success`: 1.0 if the round rendered, else 0.0; higher is better."""

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        rendered = result.rendered
        details: dict[str, Any] = {"status": result.status, "reason": result.reason}
        rendering = result.rendering
        if rendering is not None and not rendered:
            details["render_status"] = rendering.status
            if rendering.error:
                details["render_error"] = rendering.error
        return Score(
            metric=self.name,
            values={KEY: 1.0 if rendered else 0.0},
            rendered=rendered,
            higher_is_better={KEY: True},
            details=details,
        )
