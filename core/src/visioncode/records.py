"""What a run records: one RoundRecord per generate->execute->render->score round, one
SampleRecord per sample (a line of `records.jsonl`), and the run's manifest."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .execution import Execution, Extraction
from .messages import Completion, Usage
from .rendering import PromptedImage, Rendering
from .scoring import Score


class RoundRecord(BaseModel):
    """One round of the loop: the model's output, the program found in it, what running
    and rendering it gave, the visual prompt and critique (when the loop has a critic),
    and the scores. `status` is `ok` or the first stage's failure status
    (`no_program`, `parse_error`, `timeout`, `render_error`, ...); `reason` says why."""

    model_config = ConfigDict(extra="forbid")
    round: int
    status: str = "ok"
    reason: str | None = None
    completion: Completion | None = None
    extraction: Extraction | None = None
    execution: Execution | None = None
    rendering: Rendering | None = None
    prompted: PromptedImage | None = None
    critique: Completion | None = None
    scores: dict[str, Score] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)

    @property
    def program(self) -> str | None:
        if self.execution is not None:
            return self.execution.program
        return self.extraction.program if self.extraction else None

    @property
    def rendered(self) -> bool:
        return self.rendering is not None and self.rendering.ok


#: Why a sample's loop ended (see `SampleRecord.stop_reason`).
StopReason = Literal["rounds", "rendered", "no_improvement", "no_feedback"]


class SampleRecord(BaseModel):
    """Everything about one sample, written atomically as one line of records.jsonl.

    `status`: `ok` (final round rendered), `failed` (the program failed: its reason is
    recorded, the run went on), or `error` (the framework or a component crashed on this
    sample; `error` holds the traceback). `scores` are those of the final round, which is
    always the last round that ran."""

    model_config = ConfigDict(extra="forbid")
    sample_id: str
    status: Literal["ok", "failed", "error"]
    reason: str | None = None
    error: str | None = None
    rounds: list[RoundRecord] = Field(default_factory=list)
    final_round: int | None = None
    #: Why the loop ended: `rounds` (all rounds ran), `rendered` (stop_when_rendered),
    #: `no_improvement` (loop.stop_metric stopped improving), `no_feedback` (with
    #: `loop.critic_mode = "feedback"`, a rendered round the metrics found nothing to fix
    #: in); None when it never finished.
    stop_reason: StopReason | None = None
    #: The planner's answer (`task.plan`), asked once before round 0.
    plan: Completion | None = None
    scores: dict[str, Score] = Field(default_factory=dict)
    #: Every model call made for this sample (generator, critic, metrics' models).
    usage: Usage = Field(default_factory=Usage)
    timings: dict[str, float] = Field(default_factory=dict)
    started_at: float = 0.0
    finished_at: float = 0.0
    worker: int | None = None
    #: The sample's `meta` from the dataset, so breakdowns by subset need only the run.
    meta: dict[str, Any] = Field(default_factory=dict)


class ComponentInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slot: str
    kind: str
    name: str
    distribution: str
    version: str


class RunManifest(BaseModel):
    """`run.json`: what produced this run directory."""

    model_config = ConfigDict(extra="forbid")
    run_id: str
    config_path: str
    config_hash: str
    created_at: float
    visioncode_version: str
    python: str
    platform: str
    components: list[ComponentInfo]
    distributions: dict[str, str] = Field(default_factory=dict)
