"""`hf-parquet`: any local parquet or Arrow export (a Hugging Face hub snapshot, a
`datasets` `save_to_disk` folder, your own table), with the mapping of its columns to
sample fields given on the command line.

`--map image=png_bytes,reference_program=svg,id=name,text=caption,meta.subset=kind`:

- `id`: a column of ids (default: `row-00000`, `row-00001`, ... in file order);
- `text`: a text column;
- image and video fields (`image`, `images`, `reference_image`, `reference_images`,
  `video`, `reference_video`): binary cells (the file's bytes), the `datasets` Image
  struct (`{"bytes": ..., "path": ...}`), or a path relative to SRC's folder; `images`
  and `reference_images` take a list of those;
- `reference_program`: the program's text (written with `--program-suffix`, or a suffix
  read from its start: `.svg`, `.html`, else `.py`), or a path to a file;
- `meta.<key>`: any JSON-able column, copied into `meta`.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import DatasetError
from ..samples import LIST_PATH_FIELDS, PATH_FIELDS
from .base import Blob, FileSource, Importer, Row, safe_id
from .tables import parquet_files, read_table

TARGETS = ("id", "text", *PATH_FIELDS, *LIST_PATH_FIELDS)
MAGIC = ((b"\x89PNG", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"GIF8", ".gif"),
         (b"RIFF", ".webp"), (b"\x1aE\xdf\xa3", ".webm"))


class HfParquetImporter(Importer):
    format = "hf-parquet"
    benchmark = "parquet/Arrow export"
    licence = "as on the source's dataset card (not recorded in the files)"
    citation = "as on the source's dataset card (not recorded in the files)"
    url = ""
    example = "examples/img2svg/pipeline.toml"

    def __init__(self, src: Path, options: Any) -> None:
        super().__init__(src, options)
        mapping = self.options.field_map
        if not mapping:
            raise DatasetError("hf-parquet needs --map, e.g. --map "
                               "image=png_bytes,reference_program=svg")
        for target in mapping:
            if target not in TARGETS and not (target.startswith("meta.") and len(target) > 5):
                raise DatasetError(f"--map {target}=...: not a sample field (one of "
                                   f"{', '.join(TARGETS)}, or meta.<key>)")
        self.base = src.parent if src.is_file() else src

    def card_options(self) -> dict[str, Any]:
        return {"map": self.options.field_map, "split": self.options.split}

    def rows(self) -> Iterator[Row]:
        mapping = self.options.field_map
        columns = sorted(set(mapping.values()))
        index = 0
        for path in parquet_files(self.src, self.options.split):
            for n, rec in enumerate(read_table(path, columns), 1):
                where = f"{path}: row {n}"
                yield self._row(rec, where, index)
                index += 1

    def _row(self, rec: dict[str, Any], where: str, index: int) -> Row:
        mapping = self.options.field_map
        sid = f"row-{index:05d}"
        if "id" in mapping:
            value = rec[mapping["id"]]
            if value is None or str(value).strip() == "":
                raise DatasetError(f"{where}: id column {mapping['id']!r} is empty")
            sid = safe_id(str(value))
        row = Row(where=where, id=sid)
        for target, column in mapping.items():
            value = rec[column]
            what = f"{target} (column {column!r})"
            if target == "id":
                continue
            if target == "text":
                if value is not None and not isinstance(value, str):
                    raise DatasetError(f"{where}: {what}: expected text")
                row.text = value
            elif target.startswith("meta."):
                row.meta[target[5:]] = value
            elif target == "reference_program":
                if value is not None:
                    row.files[target] = self._program(value, where, what)
            elif target in LIST_PATH_FIELDS:
                if value is None:
                    continue
                if not isinstance(value, list):
                    raise DatasetError(f"{where}: {what}: expected a list")
                row.files[target] = [self._media(v, where, f"{what}[{k}]")
                                     for k, v in enumerate(value)]
            elif value is not None:
                row.files[target] = self._media(value, where, what)
        return row

    def _media(self, value: Any, where: str, what: str) -> FileSource:
        if isinstance(value, dict):  # the `datasets` Image/Video struct
            if value.get("bytes"):
                value = value["bytes"]
            elif value.get("path"):
                value = value["path"]
            else:
                raise DatasetError(f"{where}: {what}: neither bytes nor path")
        if isinstance(value, bytes | bytearray):
            data = bytes(value)
            suffix = next((s for magic, s in MAGIC if data.startswith(magic)), None)
            if suffix is None and data[4:8] == b"ftyp":
                suffix = ".mp4"
            if suffix is None:
                raise DatasetError(f"{where}: {what}: the bytes are not a known image or "
                                   f"video format")
            return Blob(data, suffix)
        if isinstance(value, str) and value.strip():
            path = Path(value)
            path = path if path.is_absolute() else self.base / path
            if not path.is_file():
                raise DatasetError(f"{where}: {what}: file not found: {path}")
            return path
        raise DatasetError(f"{where}: {what}: expected bytes, a path, or an image struct")

    def _program(self, value: Any, where: str, what: str) -> FileSource:
        if isinstance(value, bytes | bytearray):
            try:
                value = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                raise DatasetError(f"{where}: {what}: not UTF-8 text") from None
        if not isinstance(value, str) or not value.strip():
            raise DatasetError(f"{where}: {what}: expected the program's text")
        candidate = self.base / value if len(value) < 512 and "\n" not in value else None
        if candidate is not None and mimetypes.guess_type(value)[0] is not None \
                and candidate.is_file():
            return candidate
        suffix = self.options.program_suffix or _suffix_of(value)
        return Blob(value.encode("utf-8"), suffix)


def _suffix_of(text: str) -> str:
    head = text.lstrip()[:200].lower()
    if (head.startswith("<?xml") and "<svg" in text[:2000].lower()) or head.startswith("<svg"):
        return ".svg"
    if head.startswith(("<!doctype html", "<html")):
        return ".html"
    return ".py"
