"""Scores and the policies that decide how a failed sample counts."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class FailurePolicy(StrEnum):
    """How a metric scores a sample whose program did not render.

    - `blank`: score a blank canvas of the background colour instead (StarVector).
    - `worst`: give the metric's worst value (VCode CodeVQA counts a missing render wrong).
    - `exclude`: leave the sample out of the mean (VCode SigLIP); the success rate beside
      the mean says how many were left out.
    """

    blank = "blank"
    worst = "worst"
    exclude = "exclude"


class Score(BaseModel):
    """A metric's answer for one sample: named values (None = excluded from the mean),
    whether it was computed on a real render, and free-form details. `policy` is the
    metric's failure policy (None for metrics that have none, such as render success);
    `rendered=False` says it was applied to this score."""

    model_config = ConfigDict(extra="forbid")
    metric: str
    values: dict[str, float | None]
    rendered: bool = True
    policy: FailurePolicy | None = None
    higher_is_better: dict[str, bool] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)
