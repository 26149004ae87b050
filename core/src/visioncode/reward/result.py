"""What a reward call takes and gives: items, results, and the messages between the
parent and its worker processes. Every one is a pydantic model, so a worker's answer is
data parsed into a type, never trusted as it comes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: Statuses a result may carry besides the executor's and renderer's own failure
#: statuses (`no_svg`, `parse_error`, `unsafe`, `render_error`, `timeout`, ...).
#: `ok`: every term computed; `gated`: a gate refused the program (`gate` names it);
#: `undefined`: a term's metric gave no value; `error`: a component crashed;
#: `worker_died`: the worker process died on this completion; `deadline`: the request's
#: deadline passed before it was scored.
OWN_STATUSES = ("ok", "gated", "undefined", "error", "worker_died", "deadline")


class RewardItem(BaseModel):
    """One completion to score: the dataset sample it answers and the model's raw text."""

    model_config = ConfigDict(extra="forbid")
    sample_id: str = Field(min_length=1)
    completion: str


class RewardResult(BaseModel):
    """The reward of one completion and why: a trainer logs `status`, `reason` and the
    `terms` (each term's clipped value, before weighting)."""

    model_config = ConfigDict(extra="forbid")
    sample_id: str
    reward: float
    status: str
    reason: str | None = None
    #: Term name -> clipped value (None when it was not computed: a failure or a gate).
    terms: dict[str, float | None] = Field(default_factory=dict)
    #: The gate that refused the program, when `status` is `gated`.
    gate: str | None = None
    #: Served from the result cache.
    cached: bool = False
    #: Seconds the worker spent on it (0 for a cache hit).
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class WorkerJob(BaseModel):
    """Parent -> worker: score one item."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["job"] = "job"
    job: int
    item: RewardItem


class WorkerReady(BaseModel):
    """Worker -> parent: components built, ready for jobs."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["ready"] = "ready"
    pid: int


class WorkerDone(BaseModel):
    """Worker -> parent: the result of a job."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["done"] = "done"
    job: int
    result: RewardResult


class WorkerFailed(BaseModel):
    """Worker -> parent: the worker could not start (bad config, a plugin that does not
    load); the message says why, and the pool stops instead of respawning it forever."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["failed"] = "failed"
    error: str
