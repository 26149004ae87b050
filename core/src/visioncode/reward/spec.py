"""The `[reward]` table of a pipeline config: how a completion's render and scores become
one number for an RL trainer, and the gates that refuse known reward hacks.

Kept free of heavy imports (pydantic only): `visioncode.config` imports it for the
schema, and `visioncode validate` checks a reward table without starting anything.

Sources of the pieces:

- Terms with weights: RLRF (Rodriguez et al., "Rendering-Aware Reinforcement Learning for
  Vector Graphics Generation", arXiv:2505.20793) sums weighted image, semantic and length
  rewards; every term here is a metric value of the config, clipped, then weighted.
- The length term is RLRF's `R_len = 1 - ((1/L_gt) * max(0, L_pred - L_gt/2))^2`: free
  up to half the reference program's length, then a quadratic penalty (length collapse
  and verbose padding both cost).
- The format gate is SGP-RL's ban on `<text>`, `<tspan>` and `<textPath>` (Chen et al.,
  "Symbolic Graphics Programming with Large Language Models", arXiv:2509.05208): a policy
  rewarded by an image-text model learns to write the caption as text instead of drawing.
- The content gate and the viewBox gate are visioncode's answers to two hacks of pixel
  rewards: a blank canvas scores well against a mostly white reference, and a tiny or
  absurd viewBox blows one shape up over the canvas.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Clip = tuple[float, float]


class RewardTerm(_Strict):
    """One term of the reward: `kind = "metric"` (default), a value of one of the
    config's metrics (its `use` in `[[metrics]]`); or `kind = "length"`, RLRF's length
    reward against the sample's reference program,
    `1 - ((1/L_gt) * max(0, L_pred - L_gt/2))^2`, L counted in `unit`."""

    kind: Literal["metric", "length"] = "metric"
    #: The metric (for `kind = "metric"`).
    metric: str | None = Field(None, min_length=1)
    #: Which value of the metric's Score (default: the metric's name, as `ssim.ssim`).
    value: str | None = Field(None, min_length=1)
    #: What L counts for `kind = "length"`: characters or UTF-8 bytes of the program.
    unit: Literal["chars", "bytes"] = "chars"
    #: How much this term counts in the reward (reward = sum of weight x clipped value).
    weight: float = 1.0
    #: `[low, high]`: the term's value is clamped to this range before weighting.
    clip: Clip | None = None
    #: The term's name in results and trainer logs (default: the metric's value key, or
    #: `length`).
    name: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> RewardTerm:
        if self.clip is not None and self.clip[0] > self.clip[1]:
            raise ValueError(f"clip = {list(self.clip)}: the low bound is above the high "
                             "bound; write [low, high]")
        if self.kind == "metric" and self.metric is None:
            raise ValueError("a metric term needs `metric` (a metric of this config), or "
                             "set kind = \"length\" for the length term")
        if self.kind == "length" and (self.metric is not None or self.value is not None):
            raise ValueError("the length term takes no `metric` or `value`: remove them")
        return self

    @property
    def key(self) -> str:
        """The Score value this term reads."""
        return self.value or self.metric or "length"

    @property
    def label(self) -> str:
        return self.name or self.key


class _Gate(_Strict):
    #: The reward a gated completion gets (default: `reward.failure`).
    reward: float | None = None


class FormatGate(_Gate):
    """SGP-RL's format gate: a program using any of these elements is refused."""

    gate: Literal["format"]
    #: Element names (local names, namespace ignored) that close the gate.
    ban: list[str] = Field(default_factory=lambda: ["text", "tspan", "textPath"])


class ContentGate(_Gate):
    """A minimum of rendered content: the share of pixels that differ from the
    background must reach `min_fraction` (or half the reference's own share, when the
    reference itself is that empty)."""

    gate: Literal["min-content"]
    min_fraction: float = Field(0.01, ge=0.0, le=1.0)
    #: A pixel counts as content when a channel differs from the background by more.
    tolerance: int = Field(8, ge=0, le=254)


class ViewBoxGate(_Gate):
    """A sane viewBox: sides between `min_side` and `max_side` user units, aspect ratio
    at most `max_aspect`, and, when the sample has a reference program with a viewBox,
    each side within `max_scale` times of the reference's."""

    gate: Literal["viewbox"]
    min_side: float = Field(1.0, gt=0.0)
    max_side: float = Field(100_000.0, gt=0.0)
    max_aspect: float = Field(20.0, ge=1.0)
    max_scale: float | None = Field(8.0, ge=1.0)


def _gate_kind(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("gate", ""))
    return str(getattr(value, "gate", ""))


RewardGate = Annotated[
    Annotated[FormatGate, Tag("format")] | Annotated[ContentGate, Tag("min-content")]
    | Annotated[ViewBoxGate, Tag("viewbox")],
    Discriminator(_gate_kind, custom_error_type="gate",
                  custom_error_message="`gate` must be one of 'format', 'min-content', "
                                       "'viewbox'"),
]


class RewardSpec(_Strict):
    """`[reward]`: one number per completion from the config's executor, renderer and
    metrics. See docs/rewards.md for every field."""

    #: The reward of a completion with no program, a parse or render error, a timeout, an
    #: unsafe program, or a crash.
    failure: float = -1.0
    terms: list[RewardTerm] = Field(min_length=1)
    gates: list[RewardGate] = Field(default_factory=list)
    #: Seconds one completion may take (extract, execute, render, score) before it gets
    #: the failure reward; SGP-RL uses 3 s. Renderers and executors with `limits` get it as
    #: their wall time, so a hang is killed where it happens.
    timeout_s: float = Field(3.0, gt=0.0, le=600.0)
    #: Worker processes, each holding built components (default: every core).
    workers: int | None = Field(None, ge=1, le=512)
    #: Serve repeated (sample, completion) pairs from a content-addressed cache.
    cache: bool = True
    #: Most results the cache keeps (least recently used dropped first).
    cache_size: int = Field(100_000, ge=1)
    #: Most completions waiting at once; the server answers 503 beyond it.
    max_queue: int = Field(65_536, ge=1)
    #: Longest one request (a batch) may take; items unfinished then get the failure
    #: reward with status `deadline`.
    request_timeout_s: float = Field(600.0, gt=0.0)

    @model_validator(mode="after")
    def _unique_names(self) -> RewardSpec:
        names = [t.label for t in self.terms]
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            raise ValueError(f"reward.terms: term name(s) used twice: {', '.join(dups)}; "
                             "give each term a distinct `name`")
        return self
