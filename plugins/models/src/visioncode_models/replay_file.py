"""The recorded-responses file the replay model reads, and its lookup rule.

A JSON Lines file, one response per line::

    {"sample_id": "cat", "round": 0, "text": "<svg ...>...</svg>"}
    {"sample_id": "cat", "round": 0, "purpose": "critique", "text": "The ear is too low.",
     "usage": {"input_tokens": 812, "output_tokens": 9}, "model": "gpt-4o"}
    {"sample_id": "cat", "round": 1, "purpose": "revise", "text": "<svg ...>fixed</svg>"}

The purposes are the ones the core's pipeline asks with: `generate` for a sample's first
round, `critique` for the critic's review of a round, and `revise` for every round after
the first. A line for round 1 or later of the generator therefore says "revise".

Fields: `sample_id` (required), `text` (required), `round` (optional, >= 0), `purpose`
(optional, default "generate"), `usage` (optional: `input_tokens`, `output_tokens`;
other keys of a saved `Usage` such as `calls` and `latency_s` are ignored) and `model`
(optional: the model that originally answered, shown in the completion). Unknown fields
are errors, so a misspelt `sampleid` is caught instead of silently never matching.

Lookup rule, for a request (sample_id, round, purpose):

1. a line with that sample_id, purpose and an explicit `round` equal to the request's;
2. otherwise a line with that sample_id and purpose and *no* `round`: a round-agnostic
   answer, given for every round that has no line of its own (so a file recorded from
   single-round runs needs no `round` at all, and one line can stand in for all rounds);
3. otherwise the response is missing (the model's `missing` option decides what then).

Two lines with the same sample_id, purpose and round, or two round-agnostic lines with
the same sample_id and purpose, are an error naming both line numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from visioncode import ModelError


class ReplayFileError(ModelError):
    """The replay file is missing or invalid. Never retryable: the file must be fixed."""

    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"replay file {where}: {message}", retryable=False)
        self.path, self.line = path, line


class RecordedUsage(BaseModel):
    """Token counts of the original call, when the file has them."""

    model_config = ConfigDict(extra="ignore", strict=True)
    input_tokens: int = Field(0, ge=0)
    output_tokens: int = Field(0, ge=0)


class ReplayEntry(BaseModel):
    """One line of the file. Strict: `"round": "1"` is an error, not round 1."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    sample_id: str = Field(min_length=1)
    text: str
    round: int | None = Field(None, ge=0)
    purpose: str = Field("generate", min_length=1)
    usage: RecordedUsage | None = None
    model: str | None = None


@dataclass
class ReplayTable:
    """A validated replay file, indexed for the lookup rule in this module's docstring."""

    path: Path
    exact: dict[tuple[str, str, int], ReplayEntry] = field(default_factory=dict)
    any_round: dict[tuple[str, str], ReplayEntry] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.exact) + len(self.any_round)

    def lookup(self, sample_id: str | None, round: int, purpose: str) -> ReplayEntry | None:
        if sample_id is None:
            return None
        entry = self.exact.get((sample_id, purpose, round))
        return entry if entry is not None else self.any_round.get((sample_id, purpose))

    def recorded_for(self, sample_id: str | None) -> list[str]:
        """What the file does have for a sample, for error messages ("round 0 generate")."""
        have = [f"round {r} {p}" for (s, p, r) in self.exact if s == sample_id]
        have += [f"any round {p}" for (s, p) in self.any_round if s == sample_id]
        return sorted(have)


def load_replay_file(path: Path) -> ReplayTable:
    """Read and validate the whole file; raise ReplayFileError at the first bad line."""
    if not path.is_file():
        raise ReplayFileError(path, "not found (set the replay model's `path` option; "
                                    "relative paths resolve against the pipeline file)")
    table = ReplayTable(path=path)
    first_seen: dict[tuple[str, ...], int] = {}
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            entry = _parse_line(path, lineno, line)
            key: tuple[str, ...]
            if entry.round is None:
                key = (entry.sample_id, entry.purpose)
                what = f"round-agnostic {entry.purpose!r} response"
            else:
                key = (entry.sample_id, entry.purpose, str(entry.round))
                what = f"{entry.purpose!r} response for round {entry.round}"
            if key in first_seen:
                raise ReplayFileError(
                    path,
                    f"duplicate {what} for sample {entry.sample_id!r} "
                    f"(first on line {first_seen[key]}); keep one of them",
                    line=lineno,
                )
            first_seen[key] = lineno
            if entry.round is None:
                table.any_round[(entry.sample_id, entry.purpose)] = entry
            else:
                table.exact[(entry.sample_id, entry.purpose, entry.round)] = entry
    return table


def _parse_line(path: Path, lineno: int, line: str) -> ReplayEntry:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ReplayFileError(path, f"not valid JSON ({exc.msg}, column {exc.colno})",
                              line=lineno) from None
    if not isinstance(raw, dict):
        raise ReplayFileError(path, f"expected a JSON object, got {type(raw).__name__}",
                              line=lineno)
    try:
        return ReplayEntry.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"field {'.'.join(str(x) for x in err['loc']) or '(line)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ReplayFileError(path, problems, line=lineno) from None
