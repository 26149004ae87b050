"""The `action-selection` metric: choosing an action with a world model (Code2World).

For a sample whose `meta` holds the current page and candidate actions,

    {"html": "<current page>", "goal": "...", "candidates": [{"type": "click",
     "selector": "#save", "description": "click Save"}, ...], "best": 1}

the metric asks the world model (option `world_model`) to predict, for each candidate,
the next screen as HTML (requests with purpose `world-model:<i>`, i from 0), renders every
prediction in the sandboxed browser, then shows the goal and the rendered predictions to
the judge model (option `judge`, purpose `action-judge`), which answers with the number
of the candidate to take. Value `accuracy` is 1 when the pick is `best` (0-based), else 0;
the run's mean is the action-selection accuracy. `predictions_rendered` is the fraction of
predictions that rendered. The round's own result is not used: the metric runs its own
small loop, so any gui-next-state pipeline can carry it.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from pydantic import Field

from visioncode import (
    ComponentContext,
    ComponentOptions,
    ComponentSpec,
    Message,
    Metric,
    ModelRequest,
    RoundRecord,
    Sample,
    Score,
)

from .actions import ActionsError, parse_actions
from .client import BrowserClient, BrowserLimits
from .extract import extract_html

PREDICT = """\
You are a world model of web pages. Here is the current page as HTML:

{html}

Predict the page right after this action: {action}.
Answer with the complete HTML of the next screen in one ```html block."""

JUDGE = """\
Goal: {goal}
Each candidate action below comes with the predicted screen after taking it. Which \
action moves toward the goal? Answer with the candidate's number only."""


class ActionSelectionOptions(ComponentOptions):
    """The two models and the canvas the predictions are rendered on."""

    world_model: ComponentSpec = Field(description="the model that predicts the next "
                                       "screen as HTML for each candidate action")
    judge: ComponentSpec = Field(description="the model that picks a candidate from the "
                                 "goal and the rendered predictions")
    width: int = Field(800, ge=16, le=8192, description="render width, CSS pixels")
    height: int = Field(600, ge=16, le=8192, description="render height, CSS pixels")
    limits: BrowserLimits = Field(default_factory=BrowserLimits,
                                  description="limits of each prediction's render")


class ActionSelection(Metric):
    """Accuracy of picking the right GUI action by imagining each action's outcome with
    a world model and letting a judge compare the imagined screens."""

    Options = ActionSelectionOptions
    options: ActionSelectionOptions

    def __init__(self, options: ComponentOptions | None = None,
                 context: ComponentContext | None = None) -> None:
        super().__init__(options, context)
        self._client: BrowserClient | None = None

    def _score(self, values: dict[str, float | None], **details: Any) -> Score:
        return Score(metric=self.name, values=values, details=details,
                     higher_is_better={k: True for k in values})

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        meta = sample.meta
        empty: dict[str, float | None] = {"accuracy": None, "predictions_rendered": None}
        if "candidates" not in meta or "best" not in meta or "html" not in meta:
            return self._score(empty, error="sample.meta needs html, candidates and best")
        try:
            candidates = parse_actions(meta["candidates"])
        except ActionsError as exc:
            return self._score(empty, error=f"meta.candidates: {exc}")
        best = int(meta["best"])
        goal = str(meta.get("goal") or sample.text or "")
        world = self.context.model(self.options.world_model)
        judge = self.context.model(self.options.judge)
        if self._client is None:
            self._client = BrowserClient(self.options.limits)
        folder = _scratch(result) / "action-selection"
        folder.mkdir(parents=True, exist_ok=True)
        parts: list[str | Path] = []
        predictions: list[dict[str, Any]] = []
        for i, action in enumerate(candidates):
            request = ModelRequest(
                messages=[Message.of("user", PREDICT.format(html=meta["html"],
                                                            action=action.describe()))],
                purpose=f"world-model:{i}", sample_id=sample.id, round=result.round)
            extraction = extract_html(world(request).text)
            entry: dict[str, Any] = {"action": action.describe(), "status": extraction.status}
            if extraction.ok and extraction.program is not None:
                page = folder / f"candidate-{i}.html"
                page.write_text(extraction.program, encoding="utf-8")
                answer = self._client.run({
                    "html": str(page), "out_dir": str(folder / f"candidate-{i}"),
                    "width": self.options.width, "height": self.options.height, "scale": 1.0,
                    "background": "#ffffff", "actions": [], "shots": "last", "dom": False,
                    "collect": False, "timeout_s": self.options.limits.timeout_s})
                entry["status"] = answer.get("status")
                if answer.get("status") == "ok":
                    entry["image"] = answer["steps"][-1]["screenshot"]
                else:
                    entry["reason"] = answer.get("reason")
            predictions.append(entry)
            parts.append(f"Candidate {i + 1}: {action.describe()}")
            if "image" in entry:
                parts.append(Path(entry["image"]))
            else:
                parts.append(f"(the predicted screen did not render: {entry['status']})")
        request = ModelRequest(
            messages=[Message.of("user", JUDGE.format(goal=goal), *parts)],
            purpose="action-judge", sample_id=sample.id, round=result.round)
        reply = judge(request).text
        m = re.search(r"\d+", reply)
        picked = int(m.group(0)) - 1 if m else None
        rendered = sum(1 for p in predictions if "image" in p) / len(predictions)
        if picked is None or not 0 <= picked < len(candidates):
            return self._score({"accuracy": 0.0, "predictions_rendered": rendered},
                               error=f"the judge's reply names no candidate: {reply[:200]!r}",
                               best=best, predictions=predictions)
        return self._score({"accuracy": 1.0 if picked == best else 0.0,
                            "predictions_rendered": rendered},
                           picked=picked, best=best, judge_reply=reply[:500],
                           predictions=predictions)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _scratch(result: RoundRecord) -> Path:
    """The round's folder (where its execution wrote), else a new temporary folder."""
    if result.execution is not None and "html" in result.execution.artifacts:
        return result.execution.artifacts["html"].parent
    if result.rendering is not None and result.rendering.image is not None:
        return result.rendering.image.parent
    return Path(tempfile.mkdtemp(prefix="visioncode-action-selection-"))
