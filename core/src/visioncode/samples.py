"""Samples and the dataset manifest format.

A dataset is a JSON Lines manifest, one sample per line; paths in it are relative to the
manifest's folder, so a dataset folder can be moved or zipped as a whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import DatasetError


class Sample(BaseModel):
    """One unit of work: what the model is given and what its result is compared to.

    - `text`: a prompt, concept or instruction (text2svg, text2video).
    - `image`: the input image (img2svg, img2scene, screenshot2html).
    - `reference_image`: what the render is scored against (defaults to `image`).
    - `reference_program`: a ground-truth program, when the dataset has one.
    - `meta`: anything else (questions for CodeVQA, subset labels for breakdowns).
    """

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    text: str | None = None
    image: Path | None = None
    reference_image: Path | None = None
    reference_program: Path | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _safe_id(cls, v: str) -> str:
        # The id names an artifacts folder: keep it a single, harmless path component.
        if v in {".", ".."} or "/" in v or "\\" in v or "\x00" in v:
            raise ValueError("must not contain '/', '\\', NUL or be '.' or '..'")
        return v

    @field_validator("image", "reference_image", "reference_program")
    @classmethod
    def _no_nul(cls, v: Path | None) -> Path | None:
        if v is not None and "\x00" in str(v):
            raise ValueError("a path must not contain NUL")
        return v

    @property
    def target_image(self) -> Path | None:
        return self.reference_image or self.image

    def resolved(self, root: Path) -> Sample:
        """Return a copy whose relative paths are resolved against `root`."""
        updates = {}
        for name in ("image", "reference_image", "reference_program"):
            p = getattr(self, name)
            if p is not None and not p.is_absolute():
                updates[name] = (root / p).resolve()
        return self.model_copy(update=updates)


def load_manifest(path: Path) -> Iterator[Sample]:
    """Yield the samples of a JSONL manifest, with paths resolved.

    Raises DatasetError naming the file, the line and the field on the first bad line,
    and on duplicate ids, missing files: a bad dataset stops before any work is done."""
    if not path.is_file():
        raise DatasetError(f"{path}: dataset manifest not found (set dataset.path)")
    seen: set[str] = set()
    root = path.parent
    with path.open("rb") as fh:
        for lineno, data in enumerate(fh, 1):
            where = f"{path}:{lineno}"
            try:
                line = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DatasetError(f"{where}: not UTF-8 text ({exc.reason} at byte "
                                   f"{exc.start})") from None
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{where}: not valid JSON ({exc.msg})") from None
            except RecursionError:
                raise DatasetError(f"{where}: not valid JSON (nested too deeply)") from None
            try:
                sample = Sample.model_validate(raw)
            except ValidationError as exc:
                err = exc.errors()[0]
                field = ".".join(str(x) for x in err["loc"]) or "(record)"
                raise DatasetError(f"{where}: field {field}: {err['msg']}") from None
            if sample.id in seen:
                raise DatasetError(f"{where}: duplicate sample id {sample.id!r}")
            seen.add(sample.id)
            for name in ("image", "reference_image", "reference_program"):
                p = getattr(sample, name)
                if p is None:
                    continue
                try:
                    p = p if p.is_absolute() else (root / p).resolve()
                    found = p.is_file()
                except OSError as exc:  # a name too long, a loop of links...
                    raise DatasetError(f"{where}: field {name}: cannot be read: "
                                       f"{exc.strerror}") from None
                if not found:
                    raise DatasetError(f"{where}: field {name}: file not found: {p}")
            yield sample.resolved(root)
