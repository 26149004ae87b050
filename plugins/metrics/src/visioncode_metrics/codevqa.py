"""CodeVQA (VCode): does the rendered program still answer the image's questions?

VCode's evaluation turns an image into SVG, renders it, and asks a *policy model* the
benchmark's questions about the render instead of the original; accuracy on the renders,
against the accuracy on the originals, says how much of the image's meaning the program
kept. A sample whose program did not render has no image to ask about: VCode records it
as `IMAGE_NOT_FOUND` and counts the answer wrong (`evaluation/mmmu/run_api_local_images.py`),
which is this metric's default failure policy, `worst`.

Per sample, for each question in `sample.meta[questions_field]` (format and answer
reading in `vqa_answers`):

- the policy model (`model`, any configured model, reached through the core so the
  response cache, retries and usage accounting apply) is asked with the render, then
  with the original image (`sample.target_image`) for the upper bound, in the same run;
- each request carries `sample_id`, the round, and purpose `codevqa:<id>` (render) or
  `codevqa-original:<id>` (original), `<id>` being the question's `id` or `q<index>`, so a
  replay file can answer each one;
- the prompt puts the image first and the text after it, as VCode's harness does, with
  MMMU's instructions (which VCode's MMMU subset reuses): "Answer with the option's
  letter from the given choices directly." for multiple choice, "Answer the question
  using a single word or phrase." for open questions.

Values: `accuracy` (on the render), `upper_bound` (on the original; asked once per
sample, not again for each round) and `gap` = upper_bound - accuracy. Details record
every question, reply, how it was read, and whether it was right.

Failure policies, for a round that did not render: `worst` (default, VCode): every
question wrong, the model is not asked; `blank`: ask about a blank canvas of the
`background` colour (a program that drew nothing, as StarVector scores failures);
`exclude`: `accuracy` is None and the sample leaves the mean (the upper bound is still
measured).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError
from pydantic import Field, field_validator

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

from .images import Colour, parse_color
from .judging import parse_questions
from .vqa_answers import LETTERS, Question, is_correct

MULTIPLE_CHOICE_PROMPT = ("{question}\n\n{choices}\n\n"
                          "Answer with the option's letter from the given choices directly.")
OPEN_PROMPT = "{question}\n\nAnswer the question using a single word or phrase."
#: How many samples' original-image answers are kept (they are reused across rounds).
ORIGINAL_ANSWERS_KEPT = 64


class CodeVqaOptions(ComponentOptions):
    model: ComponentSpec = Field(description="The policy model that answers the questions: "
                                         "`{use = \"openai\", options = {...}}`.")
    questions_field: str = Field(
        "questions", description="The key of `sample.meta` holding the questions.")
    failure_policy: FailurePolicy = Field(
        FailurePolicy.worst,
        description="A round that did not render: `worst` counts every question wrong "
                    "(VCode), `blank` asks about a blank canvas, `exclude` leaves it out.")
    upper_bound: bool = Field(
        True, description="Also ask the questions about the original image (once per sample).")
    multiple_choice_prompt: str = Field(
        MULTIPLE_CHOICE_PROMPT,
        description="Prompt for a question with choices; `{question}`, `{choices}` (one "
                    "`(A) text` line per choice).")
    open_prompt: str = Field(OPEN_PROMPT, description="Prompt for an open question; "
                                                      "`{question}`.")
    background: Colour = Field("#ffffff", description="Colour of the `blank` policy's canvas.")

    @field_validator("background")
    @classmethod
    def _known_colour(cls, value: str) -> str:
        parse_color(value)  # ValueError for an unknown colour
        return value


class Codevqa(Metric):
    """`codevqa`: accuracy of a policy model answering the sample's questions from the
    render, with the original image's accuracy as the upper bound (VCode's CodeVQA).

    (The class is named so that its default component name, derived from the class
    name, is the entry-point name `codevqa`.)"""

    Options = CodeVqaOptions
    options: CodeVqaOptions

    def __init__(self, options: ComponentOptions | None = None,
                 context: ComponentContext | None = None) -> None:
        super().__init__(options, context)
        self._ask: Callable[[ModelRequest], Completion] | None = None
        self._originals: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._scratch: Path | None = None

    # -- what is asked ------------------------------------------------------------------

    def questions(self, sample: Sample) -> list[tuple[str, Question]]:
        """(id, question) pairs of a sample. DatasetError names the bad one."""
        return parse_questions(sample, self.options.questions_field, Question,
                               lambda q: q.key_letter() if q.choices else None,
                               "{question, choices?, answer}")

    def prompt(self, question: Question) -> str:
        if question.choices:
            lines = "\n".join(f"({LETTERS[i]}) {c}" for i, c in enumerate(question.choices))
            return self.options.multiple_choice_prompt.format(question=question.question,
                                                              choices=lines)
        return self.options.open_prompt.format(question=question.question)

    def _model(self) -> Callable[[ModelRequest], Completion]:
        if self._ask is None:
            self._ask = self.context.model(self.options.model.model_dump())
        return self._ask

    def _answer(self, sample: Sample, round_: int, purpose: str, image: Path,
                qid: str, question: Question) -> dict[str, Any]:
        request = ModelRequest(messages=[Message.of("user", image, self.prompt(question))],
                               purpose=f"{purpose}:{qid}", sample_id=sample.id, round=round_,
                               metadata={"question": qid})
        reply = self._model()(request).text
        correct, read_as = is_correct(question, reply)
        return {"reply": reply, "read_as": read_as, "correct": correct}

    # -- scoring ------------------------------------------------------------------------

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        questions = self.questions(sample)
        policy = self.options.failure_policy
        render = result.rendering.image if result.rendered and result.rendering else None
        if not questions:
            return self._score(None, None, rendered=render is not None, details={
                "reason": f"sample has no meta.{self.options.questions_field}"})
        details: dict[str, Any] = {"questions": []}
        image = render
        if image is None:
            details["failure"] = {"status": result.status, "reason": result.reason}
            if policy is FailurePolicy.blank:
                image = self._blank(sample)
                details["asked_about"] = f"blank canvas {self.options.background}"
        upper = self._upper_bound(sample, questions)
        right = 0
        for qid, q in questions:
            entry: dict[str, Any] = {"id": qid, "question": q.question, "choices": q.choices,
                                     "answer": q.key_letter() if q.choices else q.accepted()}
            if image is not None:
                entry["render"] = self._answer(sample, result.round, "codevqa", image, qid, q)
                right += entry["render"]["correct"]
            else:
                entry["render"] = {"reply": None, "correct": False,
                                   "reason": "no render: counted wrong"
                                   if policy is FailurePolicy.worst else "no render: excluded"}
            if upper is not None:
                entry["original"] = upper["answers"][qid]
            details["questions"].append(entry)
        accuracy: float | None = right / len(questions)
        if image is None and policy is FailurePolicy.exclude:
            accuracy = None
        bound = upper["accuracy"] if upper is not None else None
        if upper is None and self.options.upper_bound:
            details["upper_bound"] = "sample has no original image"
        return self._score(accuracy, bound, rendered=render is not None, details=details)

    def _upper_bound(self, sample: Sample, questions: list[tuple[str, Question]],
                     ) -> dict[str, Any] | None:
        """Answers about the original image, asked once per sample (cached by id)."""
        original = sample.target_image
        if not self.options.upper_bound or original is None:
            return None
        key = (sample.id, str(original))
        with self._lock:
            cached = self._originals.get(key)
        if cached is not None:
            return cached
        answers = {qid: self._answer(sample, 0, "codevqa-original", original, qid, q)
                   for qid, q in questions}
        found = {"answers": answers,
                 "accuracy": sum(a["correct"] for a in answers.values()) / len(questions)}
        with self._lock:
            self._originals[key] = found
            while len(self._originals) > ORIGINAL_ANSWERS_KEPT:
                self._originals.popitem(last=False)
        return found

    def _blank(self, sample: Sample) -> Path:
        """A blank canvas the size of the original image (512 x 512 without one)."""
        size = (512, 512)
        if sample.target_image is not None:
            try:
                with Image.open(sample.target_image) as im:
                    size = im.size
            except (OSError, UnidentifiedImageError):
                pass
        with self._lock:
            if self._scratch is None:
                self._scratch = Path(tempfile.mkdtemp(prefix="visioncode-codevqa-"))
            path = self._scratch / f"blank-{size[0]}x{size[1]}.png"
            if not path.exists():
                Image.new("RGB", size, self.options.background).save(path)
        return path

    def _score(self, accuracy: float | None, bound: float | None, *, rendered: bool,
               details: dict[str, Any]) -> Score:
        gap = bound - accuracy if accuracy is not None and bound is not None else None
        return Score(
            metric=self.name,
            values={"accuracy": accuracy, "upper_bound": bound, "gap": gap},
            rendered=rendered, policy=self.options.failure_policy,
            higher_is_better={"accuracy": True, "upper_bound": True, "gap": False},
            details=details)

    def close(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
