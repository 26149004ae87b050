"""A vision-language model grades the render on a rubric from the config.

One request per round (purpose `vlm-judge`): the rubric, the sample's task text, the
render (with `images = "keyframes"`, several frames of a video) and, when the sample has
one and `show_reference` is on, the reference image. The judge is asked for a JSON
object with, per criterion, an integer score on that criterion's scale and a
justification, plus an overall justification. Rubric judging of this kind is how
Code2Video scores aesthetics (five 0-20 criteria, `src/prompts/stage5_eva.py`); the
rubric here is whatever the config says.

Values: one per criterion (on its own scale, as the judge gave it) and `overall`, the
mean of the criteria each mapped to [0, 1] ((score - min) / (max - min)). Higher is
better for all. Details: the reply, each criterion's justification, the overall one.

Reading the reply: the first JSON object in it with a `scores` key or a criterion's name
(inside a ```json fence, or from the first `{` where an object parses; trailing commas
forgiven), either
`{"scores": {"name": {"score": 4, "justification": "..."}}, "justification": "..."}` or
flat `{"name": 4, ...}` / `{"name": {"score": 4, "reason": "..."}}`. A score may be a
number or a string starting with one ("4/5"). A reply with no JSON object, or a
criterion missing or off its scale, gives None for that value (None for `overall` when
any criterion is None) and records `parse_error`: a judge's formatting mistake is left
out of the mean, never guessed.

Failure policy, for a round that did not render: `worst` (default): each criterion's
minimum, the judge is not asked; `blank`: the judge grades a blank canvas of
`background` colour; `exclude`: None, nothing asked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from visioncode import (
    Completion,
    ComponentContext,
    ComponentOptions,
    ComponentSpec,
    FailurePolicy,
    Message,
    Metric,
    ModelRequest,
    RoundRecord,
    Sample,
    Score,
)

from .images import Colour
from .judging import Scratch, extract_json, keyframes

PROMPT = """\
You are an expert judge of images produced by programs (SVG, animations, web pages, 3D \
scenes). Grade the RENDER on each criterion below, on the criterion's integer scale.
{task}{reference}
Criteria:
{criteria}

Reply with only a JSON object of this form:
{{"scores": {{{example}}}, "justification": "<two or three sentences overall>"}}"""


class Criterion(BaseModel):
    """One line of the rubric."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                      description="Identifier; also the value's key.")
    description: str = Field(min_length=1, description="What the judge looks for.")
    min: int = Field(1, description="Lowest score.")
    max: int = Field(5, description="Highest score.")

    @model_validator(mode="after")
    def _scale(self) -> Criterion:
        if self.max <= self.min:
            raise ValueError(f"criterion {self.name!r}: max ({self.max}) must exceed "
                             f"min ({self.min})")
        return self


DEFAULT_CRITERIA = [
    Criterion(name="correctness",
              description="Does the render show what the task asks for (and, when a "
                          "reference is given, the reference's content: objects, text, "
                          "layout, colours)?"),
    Criterion(name="aesthetics",
              description="Is the render visually clean and pleasing: alignment, spacing, "
                          "no overlaps or clipped elements, readable text, coherent "
                          "colours?"),
]


class VlmJudgeOptions(ComponentOptions):
    judge: ComponentSpec = Field(description="The judging model: "
                                         "`{use = \"openai\", options = {...}}`.")
    criteria: list[Criterion] = Field(
        default_factory=lambda: [c.model_copy() for c in DEFAULT_CRITERIA], min_length=1,
        description="The rubric: `[{name, description, min, max}]` (default: correctness "
                    "and aesthetics, 1-5).")
    prompt: str = Field(PROMPT, description="The request's text: `{task}`, `{reference}`, "
                                            "`{criteria}`, `{example}`.")
    show_reference: bool = Field(True, description="Attach the sample's reference image, "
                                                   "when it has one.")
    images: Literal["first", "keyframes"] = Field(
        "first", description="`first`: the render's first still image; `keyframes`: "
                             "`frames` frames spread over a video.")
    frames: int = Field(4, ge=1, le=64, description="Frames shown with `images = keyframes`.")
    failure_policy: FailurePolicy = Field(
        FailurePolicy.worst,
        description="A round that did not render: `worst` gives each criterion's minimum, "
                    "`blank` grades a blank canvas, `exclude` gives None.")
    background: Colour = Field("#ffffff", description="Colour of the `blank` policy's canvas.")

    @field_validator("criteria")
    @classmethod
    def _unique(cls, value: list[Criterion]) -> list[Criterion]:
        names = [c.name for c in value]
        if "overall" in names or len(set(names)) != len(names):
            raise ValueError("criterion names must be unique and not 'overall'")
        return value


_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)")
_REASON_KEYS = ("justification", "reason", "reasoning", "feedback", "explanation",
                "rationale", "comment")


def parse_verdict(reply: str, criteria: list[Criterion]
                  ) -> tuple[dict[str, float | None], dict[str, Any]]:
    """Per-criterion scores (None where unreadable) and what was read (see module doc)."""
    data = extract_json(reply, ["scores", *(c.name for c in criteria)])
    scores: dict[str, float | None] = {c.name: None for c in criteria}
    if data is None:
        return scores, {"parse_error": "no JSON object in the reply"}
    nested = data.get("scores")
    table: dict[str, Any] = nested if isinstance(nested, dict) else data
    lowered = {str(k).lower(): v for k, v in table.items()}
    justifications: dict[str, str] = {}
    problems = []
    for c in criteria:
        entry = lowered.get(c.name.lower())
        raw = entry.get("score") if isinstance(entry, dict) else entry
        if isinstance(entry, dict):
            reason = next((entry[k] for k in _REASON_KEYS if isinstance(entry.get(k), str)),
                          None)
            if reason:
                justifications[c.name] = reason
        if isinstance(raw, bool) or raw is None:
            problems.append(f"{c.name}: missing")
            continue
        match = _NUMBER.match(str(raw)) if not isinstance(raw, int | float) else None
        value = float(raw) if isinstance(raw, int | float) else (
            float(match.group(1)) if match else None)
        if value is None:
            problems.append(f"{c.name}: {raw!r} is not a number")
        elif not c.min <= value <= c.max:
            problems.append(f"{c.name}: {value:g} is off the scale {c.min}-{c.max}")
        else:
            scores[c.name] = value
    read: dict[str, Any] = {"justifications": justifications}
    overall = next((data[k] for k in _REASON_KEYS if isinstance(data.get(k), str)), None)
    if overall:
        read["justification"] = overall
    if problems:
        read["parse_error"] = "; ".join(problems)
    return scores, read


class VlmJudge(Metric):
    """`vlm-judge`: a vision-language model grades the render on a configurable rubric;
    one value per criterion and `overall` in [0, 1], higher is better."""

    Options = VlmJudgeOptions
    options: VlmJudgeOptions

    def __init__(self, options: ComponentOptions | None = None,
                 context: ComponentContext | None = None) -> None:
        super().__init__(options, context)
        self._ask: Callable[[ModelRequest], Completion] | None = None
        self._scratch = Scratch()
        if self.context.slot and self.context.model_factory is not None:
            self._model()  # inside a pipeline: a bad model spec fails at start

    def close(self) -> None:
        self._scratch.close()

    def _model(self) -> Callable[[ModelRequest], Completion]:
        if self._ask is None:
            self._ask = self.context.model(self.options.judge.model_dump())
        return self._ask

    def prompt_text(self, sample: Sample, with_reference: bool) -> str:
        criteria = self.options.criteria
        return self.options.prompt.format(
            task=f"\nThe task the program was written for:\n{sample.text}\n"
            if sample.text else "",
            reference="\nThe REFERENCE image shows what the render should look like.\n"
            if with_reference else "",
            criteria="\n".join(f"- {c.name} ({c.min}-{c.max}): {c.description}"
                               for c in criteria),
            example=", ".join(f'"{c.name}": {{"score": <{c.min}-{c.max}>, '
                              f'"justification": "<one sentence>"}}' for c in criteria),
        )

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        criteria = self.options.criteria
        rendering = result.rendering if result.rendered else None
        if rendering is None:
            shown: list[Path] = []
        elif self.options.images == "keyframes":
            shown = keyframes(rendering, self.options.frames)
        else:
            shown = [rendering.image] if rendering.image else []
        details: dict[str, Any] = {}
        if not shown:
            details["failure"] = {"status": result.status, "reason": result.reason or (
                "the rendering has no frames or images" if rendering else None)}
            policy = self.options.failure_policy
            if policy is FailurePolicy.exclude:
                return self._score(dict.fromkeys([c.name for c in criteria]), None, False,
                                   details)
            if policy is FailurePolicy.worst:
                worst: dict[str, float | None] = {c.name: float(c.min) for c in criteria}
                return self._score(worst, 0.0, False, details)
            r = result.rendering
            size = (r.width or 512, r.height or 512) if r else (512, 512)
            shown = [self._scratch.blank(size, self.options.background)]
            details["judged"] = f"blank canvas {self.options.background}"
        reference = sample.target_image if self.options.show_reference else None
        parts: list[str | Path] = [self.prompt_text(sample, reference is not None),
                                   "RENDER:", *shown]
        if reference is not None:
            parts += ["REFERENCE:", reference]
        request = ModelRequest(messages=[Message.of("user", *parts)], purpose="vlm-judge",
                               sample_id=sample.id, round=result.round)
        reply = self._model()(request).text
        scores, read = parse_verdict(reply, criteria)
        details.update(read)
        details["reply"] = reply
        details["shown"] = [str(p) for p in shown]
        if reference is not None:
            details["reference"] = str(reference)
        read_scores = [v for v in scores.values() if v is not None]
        overall = None if len(read_scores) < len(scores) else sum(
            (v - c.min) / (c.max - c.min) for c, v in zip(criteria, read_scores,
                                                          strict=True)) / len(criteria)
        return self._score(scores, overall, "judged" not in details, details)

    def _score(self, scores: dict[str, float | None], overall: float | None,
               rendered: bool, details: dict[str, Any]) -> Score:
        values = {**scores, "overall": overall}
        details.setdefault("rubric", json.loads(json.dumps(
            [c.model_dump() for c in self.options.criteria])))
        return Score(metric=self.name, values=values, rendered=rendered,
                     policy=self.options.failure_policy,
                     higher_is_better=dict.fromkeys(values, True), details=details)
