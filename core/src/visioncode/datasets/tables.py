"""Reading parquet and Arrow files (Hugging Face hub snapshots, `datasets` exports)
with pyarrow, row by row, so a large split is never held in memory as Python objects.

pyarrow is the `datasets` extra of visioncode (`pip install visioncode[datasets]`); it
is imported only by the importers that read tables."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import DatasetError

SUFFIXES = (".parquet", ".arrow")
BATCH = 256


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.ipc
        import pyarrow.parquet
    except ImportError:
        raise DatasetError("reading parquet or Arrow files needs pyarrow: "
                           "pip install 'visioncode[datasets]'") from None
    return pyarrow


def parquet_files(src: Path, split: str) -> list[Path]:
    """The table files of `src`: the file itself, else a hub snapshot's
    `data/<split>-*.parquet` (or `<split>/*.arrow`, `*<split>*.parquet`), in name order."""
    if src.is_file():
        if src.suffix not in SUFFIXES:
            raise DatasetError(f"{src}: expected a .parquet or .arrow file")
        return [src]
    patterns = (f"data/{split}-*.parquet", f"data/{split}/*.parquet", f"{split}-*.parquet",
                f"{split}/*.parquet", f"{split}/*.arrow", f"*{split}*.parquet",
                f"*{split}*.arrow")
    for pattern in patterns:
        found = sorted(p for p in src.glob(pattern) if p.is_file())
        if found:
            return found
    raise DatasetError(f"{src}: no parquet or Arrow files of split {split!r} (looked for "
                       f"data/{split}-*.parquet and the like; --split names another)")


def read_table(path: Path, columns: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
    """Each row of a parquet or Arrow file as a dict; missing `columns` are an error
    that lists the columns the file has."""
    pa = _pyarrow()
    try:
        if path.suffix == ".parquet":
            handle = pa.parquet.ParquetFile(path)
            names = handle.schema_arrow.names
            _check(path, names, columns)
            batches = handle.iter_batches(batch_size=BATCH, columns=list(columns)
                                          if columns else None)
        else:
            try:
                reader = pa.ipc.open_stream(path)  # what `datasets` writes
            except pa.ArrowInvalid:
                reader = pa.ipc.open_file(path)
            table = reader.read_all()
            _check(path, table.schema.names, columns)
            batches = table.select(list(columns)).to_batches(BATCH) if columns \
                else table.to_batches(BATCH)
        for batch in batches:
            yield from batch.to_pylist()
    except (pa.ArrowInvalid, OSError) as exc:
        raise DatasetError(f"{path}: cannot be read as parquet/Arrow ({exc})") from None


def _check(path: Path, names: Sequence[str], columns: Sequence[str] | None) -> None:
    missing = [c for c in columns or () if c not in names]
    if missing:
        raise DatasetError(f"{path}: no column {', '.join(map(repr, missing))} (the file "
                           f"has {', '.join(names)})")
