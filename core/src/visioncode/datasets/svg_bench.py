"""`svg-bench`: StarVector's SVG-Bench sets (svg-stack, svg-fonts, svg-icons, svg-emoji,
svg-diagrams and their `-simple` versions) as published on the Hugging Face hub.

Layout (huggingface.co/datasets/starvector/<set>; loaded by StarVector's
`starvector/data/*.py` with `load_dataset`): parquet files `data/<split>-NNNNN-of-NNNNN
.parquet` with the columns `Filename` (the SVG's id) and `Svg` (its text). SRC is the
set's folder (a hub snapshot) or one parquet file. Each SVG is rendered to the input
image at the benchmark's size (StarVector rasterises with cairosvg on white at 224 for
StarVector-1B, 384 for -8B: `--size`), through visioncode's own `svg` executor and
`cairosvg` renderer, and kept as the reference program.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import DatasetError
from .base import Blob, Importer, Row, safe_id
from .tables import parquet_files, read_table


class SvgBenchImporter(Importer):
    format = "svg-bench"
    benchmark = "SVG-Bench (StarVector)"
    licence = "Apache-2.0 (StarVector); each set keeps the licence on its dataset card"
    citation = ("@misc{rodriguez2024starvector, title={StarVector: Generating Scalable "
                "Vector Graphics Code from Images and Text}, author={Juan A. Rodriguez and "
                "Abhay Puri and Shubham Agarwal and Issam H. Laradji and Pau Rodriguez and "
                "Sai Rajeswar and David Vazquez and Christopher Pal and Marco Pedersoli}, "
                "year={2024}, eprint={2312.11556}, archivePrefix={arXiv}, "
                "primaryClass={cs.CV}}")
    url = "https://huggingface.co/collections/starvector/starvector-svg-datasets-svg-bench-67811204a76475be4dd66d09"
    example = "examples/img2svg/pipeline.toml"

    def card_options(self) -> dict[str, Any]:
        return {"size": self.options.size, "split": self.options.split}

    def rows(self) -> Iterator[Row]:
        from .render import SvgRasteriser

        with SvgRasteriser(self.options.size) as raster:
            for path in parquet_files(self.src, self.options.split):
                table = read_table(path, columns=("Filename", "Svg"))
                for n, rec in enumerate(table, 1):
                    where = f"{path}: row {n}"
                    name, svg = rec.get("Filename"), rec.get("Svg")
                    if not isinstance(name, str) or not name.strip():
                        raise DatasetError(f"{where}: Filename: missing or empty")
                    if not isinstance(svg, str) or "<svg" not in svg:
                        raise DatasetError(f"{where}: Svg: not SVG text")
                    png = raster.render(svg, where)
                    stem = Path(name).stem if name.lower().endswith(".svg") else name
                    yield Row(where=where, id=safe_id(stem),
                              meta={"benchmark": "svg-bench", "filename": name},
                              files={"image": Blob(png, ".png"),
                                     "reference_program": Blob(svg.encode(), ".svg")})
