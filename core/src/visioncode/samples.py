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

#: Sample fields that name one file, and those that name a list of files (in order).
PATH_FIELDS = ("image", "video", "reference_image", "reference_video", "reference_program")
LIST_PATH_FIELDS = ("images", "reference_images")


class Sample(BaseModel):
    """One unit of work: what the model is given and what its result is compared to.

    - `text`: a prompt, concept or instruction (text2svg, text2video).
    - `image`: the input image (img2svg, img2scene, screenshot2html).
    - `images`: further input images, in order (several views of a scene, the current
      screen plus a crop of the target); the model sees `image` first, then these.
    - `video`: an input video (a screen recording, a demonstration); `task.video` says
      how it reaches the model (frames sampled at an fps, after the images).
    - `reference_image`: what the render is scored against (defaults to `image`).
    - `reference_images` / `reference_video`: further references for metrics that
      compare against several views or against a whole animation.
    - `reference_program`: a ground-truth program, when the dataset has one.
    - `meta`: anything else (questions for CodeVQA, subset labels for breakdowns).
    """

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    text: str | None = None
    image: Path | None = None
    images: list[Path] = Field(default_factory=list)
    video: Path | None = None
    reference_image: Path | None = None
    reference_images: list[Path] = Field(default_factory=list)
    reference_video: Path | None = None
    reference_program: Path | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _safe_id(cls, v: str) -> str:
        # The id names an artifacts folder: keep it a single, harmless path component.
        if v in {".", ".."} or "/" in v or "\\" in v or "\x00" in v:
            raise ValueError("must not contain '/', '\\', NUL or be '.' or '..'")
        return v

    @field_validator(*PATH_FIELDS)
    @classmethod
    def _no_nul(cls, v: Path | None) -> Path | None:
        if v is not None and "\x00" in str(v):
            raise ValueError("a path must not contain NUL")
        return v

    @field_validator(*LIST_PATH_FIELDS)
    @classmethod
    def _no_nul_list(cls, v: list[Path]) -> list[Path]:
        for i, p in enumerate(v):
            if "\x00" in str(p):
                raise ValueError(f"path {i} must not contain NUL")
        return v

    @property
    def target_image(self) -> Path | None:
        return self.reference_image or self.image

    @property
    def input_images(self) -> list[Path]:
        """Every input image in the order the model sees them: `image`, then `images`."""
        return ([self.image] if self.image is not None else []) + list(self.images)

    def file_fields(self) -> Iterator[tuple[str, Path]]:
        """Every (field, path) this sample names, lists as `field.N`: what a manifest
        check and a dataset copy walk."""
        for name in PATH_FIELDS:
            p = getattr(self, name)
            if p is not None:
                yield name, p
        for name in LIST_PATH_FIELDS:
            for i, p in enumerate(getattr(self, name)):
                yield f"{name}.{i}", p

    def resolved(self, root: Path) -> Sample:
        """Return a copy whose relative paths are resolved against `root`."""
        def fix(p: Path) -> Path:
            return p if p.is_absolute() else (root / p).resolve()

        updates: dict[str, Any] = {}
        for name in PATH_FIELDS:
            p = getattr(self, name)
            if p is not None and not p.is_absolute():
                updates[name] = fix(p)
        for name in LIST_PATH_FIELDS:
            paths = getattr(self, name)
            if any(not p.is_absolute() for p in paths):
                updates[name] = [fix(p) for p in paths]
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
            for name, p in sample.file_fields():
                try:
                    p = p if p.is_absolute() else (root / p).resolve()
                    found = p.is_file()
                except OSError as exc:  # a name too long, a loop of links...
                    raise DatasetError(f"{where}: field {name}: cannot be read: "
                                       f"{exc.strerror}") from None
                if not found:
                    raise DatasetError(f"{where}: field {name}: file not found: {p}")
            yield sample.resolved(root)
