"""Questions with an answer key, and how a model's free-text reply is read against it.

A question (one item of `sample.meta["questions"]`):

    {"id": "roof", "question": "What colour is the roof?",
     "choices": ["blue", "red", "green"], "answer": "B"}        # or "answer": "red"
    {"question": "How many windows are there?", "answer": ["2", "two"]}

**Multiple choice** (`choices` given): the key is a letter (`B`) or the text of a choice.
The reply is read as the first rule that gives exactly one letter:

1. the whole reply (after any `Answer:` / `answer is` lead-in) is one letter, maybe in
   brackets or followed by `.` or `)`: `B`, `(b)`, `B.`;
2. one distinct bracketed letter anywhere: `... so (B) red`;
3. the reply starts with a letter and `.`, `)` or `:`: `B. red`, `B) red`;
4. exactly one choice's text appears in the reply (case and punctuation ignored, whole
   words): `The roof is red.`;
5. exactly one distinct capital letter among the choices' letters stands alone: `I'd say B`.

A reply none of these reads (or that names two choices) counts as wrong. Unlike MMMU's
parser this never guesses at random: the score is deterministic.

**Open** (no `choices`): correct when the normalised reply equals a normalised accepted
answer (`answer` may be a list). Normalising lowercases, drops punctuation, the articles
a/an/the, an `Answer:` lead-in and a trailing full stop, maps number words up to twenty to
digits, and collapses spaces, so `Two.` matches `2` and `The red one` matches `red one`.
"""

from __future__ import annotations

import re
import string

from pydantic import BaseModel, ConfigDict, Field, field_validator

LETTERS = string.ascii_uppercase
_LEAD_IN = re.compile(r"(?:final\s+)?answer\s*(?:is|:)\s*", re.IGNORECASE)
_NUMBERS = {w: str(i) for i, w in enumerate([
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen", "twenty"])}
_PUNCT = re.compile(r"[^\w\s]")


class Question(BaseModel):
    """One question of a sample, with its answer key (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    question: str = Field(min_length=1)
    choices: list[str] | None = Field(None, min_length=2, max_length=len(LETTERS))
    answer: str | list[str]

    @field_validator("answer")
    @classmethod
    def _not_empty(cls, v: str | list[str]) -> str | list[str]:
        if (isinstance(v, str) and not v.strip()) or (isinstance(v, list) and not v):
            raise ValueError("the answer key is empty")
        return v

    def key_letter(self) -> str:
        """The correct choice's letter. ValueError if the key names no choice."""
        assert self.choices is not None
        answers = [self.answer] if isinstance(self.answer, str) else self.answer
        for a in answers:
            a = a.strip()
            if len(a) == 1 and a.upper() in LETTERS[: len(self.choices)]:
                return a.upper()
            for i, choice in enumerate(self.choices):
                if normalise(choice) == normalise(a):
                    return LETTERS[i]
        raise ValueError(f"answer {self.answer!r} is neither a letter "
                         f"A-{LETTERS[len(self.choices) - 1]} nor one of the choices")

    def accepted(self) -> list[str]:
        return [self.answer] if isinstance(self.answer, str) else list(self.answer)


def _after_lead_in(reply: str) -> str:
    matches = list(_LEAD_IN.finditer(reply))
    return reply[matches[-1].end():] if matches else reply


def normalise(text: str) -> str:
    """Lowercase, no punctuation, no articles, number words as digits, single spaces."""
    words = _PUNCT.sub(" ", text.lower()).split()
    return " ".join(_NUMBERS.get(w, w) for w in words if w not in {"a", "an", "the"})


def read_choice(reply: str, choices: list[str]) -> str | None:
    """The letter a reply picks among `choices`, or None (see the module docstring)."""
    valid = LETTERS[: len(choices)]
    text = _after_lead_in(reply).strip()
    whole = re.fullmatch(r"[(\[]?\s*([A-Za-z])\s*[)\]]?\s*[.):]?", text)
    if whole and whole.group(1).upper() in valid:
        return whole.group(1).upper()
    bracketed = {m.upper() for m in re.findall(r"\(([A-Za-z])\)", text) if m.upper() in valid}
    if len(bracketed) == 1:
        return bracketed.pop()
    leading = re.match(r"([A-Z])\s*[.):]", text)
    if leading and leading.group(1) in valid:
        return leading.group(1)
    said = f" {normalise(text)} "
    named = {LETTERS[i] for i, c in enumerate(choices)
             if normalise(c) and f" {normalise(c)} " in said}
    if len(named) == 1:
        return named.pop()
    alone = {m for m in re.findall(r"(?<![\w'])([A-Z])(?![\w'])", text) if m in valid}
    if len(alone) == 1:
        return alone.pop()
    return None


def is_correct(question: Question, reply: str) -> tuple[bool, str | None]:
    """(correct?, what the reply was read as: a letter, or the normalised open answer)."""
    if question.choices:
        picked = read_choice(reply, question.choices)
        return picked is not None and picked == question.key_letter(), picked
    said = normalise(_after_lead_in(reply).strip())
    return said in {normalise(a) for a in question.accepted()}, said
