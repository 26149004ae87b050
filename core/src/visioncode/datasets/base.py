"""What every importer shares: the dataset card, the all-or-nothing writer, and the
checks every row goes through.

An import reads a benchmark's files as its authors publish them and writes a visioncode
dataset folder: `samples.jsonl` (the manifest the pipeline reads), the files it names
(copied, or hard-linked with `--link`), and `dataset.json` (the dataset card: where it
came from, its licence and citation, how it was imported). Everything is written into a
temporary folder beside `--out` and renamed into place only when every row has passed,
so a broken row leaves nothing half-written, and the error names the source file and
the row.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import DatasetError
from ..samples import LIST_PATH_FIELDS, PATH_FIELDS, Sample, load_manifest

MANIFEST = "samples.jsonl"
CARD = "dataset.json"
#: Where each kind of file goes inside the dataset folder.
FOLDERS = {"image": "images", "images": "images", "video": "videos",
           "reference_image": "references", "reference_images": "references",
           "reference_video": "references", "reference_program": "programs"}


class DatasetCard(BaseModel):
    """`dataset.json`: what a dataset folder holds and where it came from."""

    model_config = ConfigDict(extra="forbid")
    format: str
    benchmark: str
    source: str
    samples: int = Field(ge=0)
    licence: str
    citation: str
    url: str
    #: The importer's options (subset, size, field map...), so the import can be redone.
    options: dict[str, Any] = Field(default_factory=dict)
    imported_at: str
    visioncode_version: str


class ImportOptions(BaseModel):
    """Options every importer accepts; each importer reads the ones it needs."""

    model_config = ConfigDict(extra="forbid")
    #: `vcode`: which subsets to import (`mm-vet`, `cv-bench`, `mmmu`); empty: all found.
    subsets: list[str] = Field(default_factory=list)
    #: `svg-bench`: the side of the rendered input image (StarVector-1B 224, -8B 384).
    size: int = Field(224, ge=8, le=4096)
    #: `svg-bench`, `hf-parquet`: the split of a Hugging Face folder (`data/<split>-*`).
    split: str = "test"
    #: `hf-parquet`: target field -> column (`image=png_bytes,reference_program=svg`).
    field_map: dict[str, str] = Field(default_factory=dict)
    #: `hf-parquet`: the file suffix of programs given as text (default: from content).
    program_suffix: str | None = Field(None, pattern=r"^\.[A-Za-z0-9]+$")
    #: Import only the first N samples (a quick look at a large benchmark).
    limit: int | None = Field(None, ge=1)


@dataclass
class Blob:
    """A file to write that exists only as bytes (a parquet cell, a rendered image)."""

    data: bytes
    suffix: str


FileSource = Path | Blob


@dataclass
class Row:
    """One sample as an importer read it: `where` names the source file and row for
    errors; `files` maps sample fields (`image`, `images`, ...) to what to copy."""

    where: str
    id: str
    text: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    files: dict[str, FileSource | list[FileSource]] = field(default_factory=dict)


class Importer(ABC):
    """Reads one published layout. Subclasses set the class attributes (shown in
    `dataset.json` and the docs) and yield rows; the writer does the rest."""

    format: ClassVar[str]
    benchmark: ClassVar[str]
    licence: ClassVar[str]
    citation: ClassVar[str]
    url: ClassVar[str]
    #: The example pipeline the imported dataset runs with.
    example: ClassVar[str]

    def __init__(self, src: Path, options: ImportOptions) -> None:
        if not src.exists():
            raise DatasetError(f"{src}: not found (SRC of `visioncode dataset import "
                               f"{self.format}`)")
        self.src = src
        self.options = options

    @abstractmethod
    def rows(self) -> Iterator[Row]:
        """The samples, in the benchmark's order."""

    def card_options(self) -> dict[str, Any]:
        """The options that shaped this import, for `dataset.json`."""
        return {}

    def extra_files(self) -> list[tuple[str, Path]]:
        """(path in the dataset folder, source) of files the samples' files refer to."""
        return []


def read_json(path: Path) -> Any:
    """A JSON file, or a DatasetError naming it and where it is broken."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"{path}: not found") from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None


def read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, object) of each non-blank line of a JSON Lines file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason})") from None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}: row {n}: not valid JSON ({exc.msg})") from None


def check_image(source: FileSource, where: str, what: str) -> None:
    """Open the image fully: a truncated or mislabelled file fails here, with its row,
    not in the middle of a run."""
    from PIL import Image, UnidentifiedImageError

    try:
        handle = io.BytesIO(source.data) if isinstance(source, Blob) else source
        with Image.open(handle) as im:
            im.load()
    except FileNotFoundError:
        raise DatasetError(f"{where}: {what}: file not found: {source}") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        shown = "the bytes given" if isinstance(source, Blob) else str(source)
        raise DatasetError(f"{where}: {what}: {shown} is not a readable image "
                           f"({exc})") from None


def safe_id(raw: str) -> str:
    """A sample id from a benchmark's name for an item (kept readable; path separators
    and other characters a folder name cannot hold become `-`)."""
    out = "".join(c if c.isalnum() or c in "._-+" else "-" for c in raw.strip())
    out = out.strip(".") or "sample"
    return out


class DatasetWriter:
    """Writes a dataset folder all at once: `add` each row, then `commit` renames the
    finished folder into place. Used as a context manager, a failure removes the
    temporary folder and leaves `out` as it was."""

    def __init__(self, out: Path, *, force: bool = False, link: bool = False) -> None:
        self.out = out.resolve()
        if self.out.exists() and not force:
            raise DatasetError(f"{self.out}: already exists (choose another --out, or "
                               f"--force to replace it)")
        if self.out.exists() and not self.out.is_dir():
            raise DatasetError(f"{self.out}: exists and is not a folder")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.importing-",
                                         dir=self.out.parent))
        self.link = link
        self.lines: list[str] = []
        self.ids: dict[str, str] = {}

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def add(self, row: Row) -> Sample:
        if row.id in self.ids:
            raise DatasetError(f"{row.where}: sample id {row.id!r} again (first at "
                               f"{self.ids[row.id]})")
        self.ids[row.id] = row.where
        values: dict[str, Any] = {"id": row.id, "meta": row.meta}
        if row.text is not None:
            values["text"] = row.text
        try:
            Sample.model_validate({"id": row.id})
        except ValidationError as exc:
            raise DatasetError(f"{row.where}: id {row.id!r}: "
                               f"{exc.errors()[0]['msg']}") from None
        for name, source in row.files.items():
            if name in LIST_PATH_FIELDS:
                sources = source if isinstance(source, list) else [source]
                values[name] = [self._place(name, s, f"{row.id}-{k}", row.where, f"{name}.{k}")
                                for k, s in enumerate(sources)]
            elif name in PATH_FIELDS:
                assert not isinstance(source, list)
                values[name] = self._place(name, source, row.id, row.where, name)
            else:
                raise DatasetError(f"{row.where}: {name} is not a file field of a sample")
        try:
            sample = Sample.model_validate(values)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(x) for x in err["loc"]) or "(sample)"
            raise DatasetError(f"{row.where}: field {loc}: {err['msg']}") from None
        self.lines.append(sample.model_dump_json(exclude_defaults=True))
        return sample

    def _place(self, name: str, source: FileSource, stem: str, where: str,
               what: str) -> str:
        if name in ("image", "images", "reference_image", "reference_images"):
            check_image(source, where, what)
        folder = FOLDERS[name]
        suffix = source.suffix
        rel = f"{folder}/{stem}{suffix.lower()}"
        dest = self.tmp / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            raise DatasetError(f"{where}: {what}: two files would be written to {rel}")
        if isinstance(source, Blob):
            dest.write_bytes(source.data)
            return rel
        if not source.is_file():
            raise DatasetError(f"{where}: {what}: file not found: {source}")
        if self.link:
            try:
                os.link(source, dest)
                return rel
            except OSError:
                pass  # another file system: copy
        shutil.copyfile(source, dest)
        return rel

    def extra_file(self, rel: str, source: Path) -> None:
        """A file the samples' files refer to (an HTML page's placeholder image)."""
        dest = self.tmp / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)

    def commit(self, importer: Importer) -> DatasetCard:
        if not self.lines:
            raise DatasetError(f"{importer.src}: no samples found in the "
                               f"{importer.benchmark} layout (see docs/datasets.md)")
        (self.tmp / MANIFEST).write_text("".join(line + "\n" for line in self.lines),
                                         encoding="utf-8")
        from .. import __version__

        card = DatasetCard(
            format=importer.format, benchmark=importer.benchmark,
            source=str(importer.src.resolve()), samples=len(self.lines),
            licence=importer.licence, citation=importer.citation, url=importer.url,
            options={**importer.card_options(),
                     **({"limit": importer.options.limit} if importer.options.limit else {})},
            imported_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            visioncode_version=__version__)
        (self.tmp / CARD).write_text(card.model_dump_json(indent=2) + "\n", encoding="utf-8")
        # The manifest as the pipeline will read it: every path resolves, every id once.
        count = sum(1 for _ in load_manifest(self.tmp / MANIFEST))
        assert count == len(self.lines)
        old = None
        if self.out.exists():
            old = self.out.with_name(f".{self.out.name}.replaced-{os.getpid()}")
            self.out.rename(old)
        self.tmp.rename(self.out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return card


def run_import(importer: Importer, out: Path, *, force: bool = False,
               link: bool = False) -> DatasetCard:
    """Read every row of `importer` into a new dataset folder `out`."""
    with DatasetWriter(out, force=force, link=link) as writer:
        for n, row in enumerate(importer.rows()):
            if importer.options.limit is not None and n >= importer.options.limit:
                break
            writer.add(row)
        for rel, source in importer.extra_files():
            writer.extra_file(rel, source)
        return writer.commit(importer)
