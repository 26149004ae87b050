"""What the model-judged metrics (teachquiz, vlm-judge) share: how they name their model,
which frames of a rendering they show, a blank canvas for the `blank` failure policy,
and reading a JSON object out of a model's free-text reply.

The model itself is never imported: a metric names it in its options
(`{use = "openai", options = {...}}`) and calls it through `context.model`, so the
core's response cache, retries, concurrency limit and usage accounting apply, and a
`replay` model can answer every request in tests.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from PIL import Image
from pydantic import BaseModel, ValidationError

from visioncode import DatasetError, Rendering, Sample

Q = TypeVar("Q", bound=BaseModel)


def parse_questions(sample: Sample, field: str, model: type[Q], check: Callable[[Q], object],
                    shape: str) -> list[tuple[str, Q]]:
    """(id, question) pairs from `sample.meta[field]`, each validated by `model` and then
    `check` (which raises ValueError, e.g. for an answer key that is not a choice). A bad
    question is a DatasetError naming the sample, the field, the index and the problem;
    ids default to `q<index>`."""
    raw = sample.meta.get(field)
    if raw is None:
        return []
    where = f"sample {sample.id!r}: meta.{field}"
    if not isinstance(raw, list):
        raise DatasetError(f"{where} must be a list of {shape}")
    out = []
    for i, item in enumerate(raw):
        try:
            question = model.model_validate(item)
            check(question)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(x) for x in err["loc"]) or "(question)"
            raise DatasetError(f"{where}[{i}]: {loc}: {err['msg']}") from None
        except ValueError as exc:
            raise DatasetError(f"{where}[{i}]: {exc}") from None
        out.append((getattr(question, "id", None) or f"q{i}", question))
    return out


def keyframes(rendering: Rendering, count: int) -> list[Path]:
    """Up to `count` frames spread evenly over the rendering's video frames (first and
    last included), or over its still images when it has no frames."""
    pool = list(rendering.frames) or list(rendering.images)
    if len(pool) <= count:
        return pool
    if count == 1:
        return [pool[len(pool) // 2]]
    step = (len(pool) - 1) / (count - 1)
    return [pool[round(i * step)] for i in range(count)]


class Scratch:
    """A private temporary folder for images a metric makes (blank canvases), removed
    by `close()`."""

    def __init__(self) -> None:
        self._dir: Path | None = None

    def blank(self, size: tuple[int, int], colour: str) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="visioncode-metric-"))
        path = self._dir / f"blank-{size[0]}x{size[1]}-{colour.strip('#')}.png"
        if not path.exists():
            Image.new("RGB", size, colour).save(path)
        return path

    def close(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Every JSON object found in a reply, best candidates first: the contents of ```json
    fences before the whole text, each also with trailing commas removed, and within
    one, objects in the order their `{` appears (an outer object before those nested in
    it, when the outer one parses)."""
    decoder = json.JSONDecoder()
    chunks = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for chunk in chunks:
        for attempt in dict.fromkeys((_TRAILING_COMMA.sub(r"\1", chunk), chunk)):
            for start in (i for i, ch in enumerate(attempt) if ch == "{"):
                try:
                    value, _ = decoder.raw_decode(attempt, start)
                except json.JSONDecodeError:
                    continue
                if isinstance(value, dict):
                    yield value


def extract_json(text: str, wanted: Iterable[str] = ()) -> dict[str, Any] | None:
    """The first JSON object of a reply (`json_objects`) that has one of the `wanted`
    keys (case-insensitive), else the first object at all, else None."""
    keys = {k.lower() for k in wanted}
    first = None
    for obj in json_objects(text):
        if not keys or keys & {str(k).lower() for k in obj}:
            return obj
        first = first if first is not None else obj
    return first
