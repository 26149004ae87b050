"""Importers of published benchmarks: `visioncode dataset import FORMAT SRC --out DIR`.

Each importer reads a benchmark's files in the layout its authors publish and writes a
dataset folder the pipelines read (`samples.jsonl`, the files, and `dataset.json` with
the licence and citation); see docs/datasets.md for each layout.
"""

from __future__ import annotations

from pathlib import Path

from .base import DatasetCard, Importer, ImportOptions, run_import
from .chartmimic import ChartMimicImporter
from .design2code import Design2CodeImporter
from .hf_parquet import HfParquetImporter
from .svg_bench import SvgBenchImporter
from .vcode import VCodeImporter

IMPORTERS: dict[str, type[Importer]] = {
    cls.format: cls for cls in (Design2CodeImporter, VCodeImporter, ChartMimicImporter,
                                SvgBenchImporter, HfParquetImporter)}


def import_dataset(fmt: str, src: Path, out: Path, options: ImportOptions | None = None, *,
                   force: bool = False, link: bool = False) -> DatasetCard:
    """Import `src` (in the layout of `fmt`) into the dataset folder `out`."""
    from ..errors import DatasetError

    if fmt not in IMPORTERS:
        raise DatasetError(f"unknown dataset format {fmt!r} (one of "
                           f"{', '.join(IMPORTERS)})")
    importer = IMPORTERS[fmt](src, options or ImportOptions())
    return run_import(importer, out, force=force, link=link)


__all__ = ["IMPORTERS", "DatasetCard", "ImportOptions", "Importer", "import_dataset"]
