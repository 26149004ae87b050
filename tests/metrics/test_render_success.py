"""render-success: 1.0 for a rendered round, 0.0 otherwise, with the reason."""

from __future__ import annotations

from pathlib import Path

from metrics_support import failed_round, rendered_round, sample

from visioncode import Rendering, RoundRecord
from visioncode_metrics.render_success import RenderSuccess


def test_rendered_round_scores_one(reference: Path, same: Path) -> None:
    score = RenderSuccess().score(sample(reference), rendered_round(same))
    assert score.values == {"render_success": 1.0}
    assert score.rendered is True and score.policy is None
    assert score.higher_is_better == {"render_success": True}
    assert score.details == {"status": "ok", "reason": None}
    assert score.metric == "render-success"


def test_failed_render_scores_zero_with_the_reason(reference: Path) -> None:
    score = RenderSuccess().score(sample(reference), failed_round())
    assert score.values == {"render_success": 0.0}
    assert score.rendered is False and score.policy is None
    assert score.details == {"status": "render_error", "reason": "renderer crashed",
                             "render_status": "error",
                             "render_error": "cairo: invalid path"}


def test_round_that_never_rendered_scores_zero() -> None:
    record = RoundRecord(round=0, status="no_program", reason="empty output")
    score = RenderSuccess().score(sample(None), record)
    assert score.values == {"render_success": 0.0}
    assert score.details == {"status": "no_program", "reason": "empty output"}


def test_ok_rendering_without_output_is_not_a_success() -> None:
    record = RoundRecord(round=0, rendering=Rendering(status="ok", renderer="t"))
    assert RenderSuccess().score(sample(None), record).values == {"render_success": 0.0}
