"""`chartmimic`: ChartMimic's Direct Mimic split as published.

Layout (github.com/ChartMimic/ChartMimic, README "Data"; `test.tar.gz` from
huggingface.co/datasets/ChartMimic/ChartMimic unpacked into `dataset/`): `ori_500/`
holds, per chart, `<type>_<n>.py` (the matplotlib program), `<type>_<n>.pdf` (what it
draws) and `<type>_<n>.png` (the figure the model is shown; ChartMimic's own loader
converts the PDF when the PNG is missing); `dimentions_info.jsonl` (sic, in the
project root) gives each chart's size (`idx`, `width`, `height`) for the prompt. SRC is
`dataset/` or `ori_500/` itself. Each chart becomes a chart2code sample: the PNG is the
input, the program the reference program; `meta.chart_type` is the type prefix.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import DatasetError
from .base import Importer, Row, read_jsonl, safe_id

DIRECT = "ori_500"
SIZES = "dimentions_info.jsonl"


class ChartMimicImporter(Importer):
    format = "chartmimic"
    benchmark = "ChartMimic (Direct Mimic)"
    licence = "Apache-2.0"
    citation = ("@article{shi2024chartmimic, title={ChartMimic: Evaluating LMM's "
                "Cross-Modal Reasoning Capability via Chart-to-Code Generation}, "
                "author={Chufan Shi and Cheng Yang and Yaxin Liu and Bo Shui and Junjie "
                "Wang and Mohan Jing and Linran Xu and Xinyu Zhu and Siheng Li and "
                "Yuxiang Zhang and Gongye Liu and Xiaomei Nie and Deng Cai and Yujiu "
                "Yang}, year={2024}, journal={arXiv preprint arXiv:2406.09961}}")
    url = "https://huggingface.co/datasets/ChartMimic/ChartMimic"
    example = "examples/chart2code/pipeline.toml"

    def _folder(self) -> Path:
        folder = self.src if self.src.name == DIRECT else self.src / DIRECT
        if not folder.is_dir():
            raise DatasetError(f"{self.src}: no {DIRECT}/ folder (SRC is ChartMimic's "
                               f"dataset/ folder, or {DIRECT}/ itself)")
        return folder

    def _sizes(self, folder: Path) -> dict[str, tuple[Any, Any]]:
        for candidate in (folder.parent / SIZES, folder.parent.parent / SIZES,
                          folder / SIZES):
            if candidate.is_file():
                out = {}
                for n, rec in read_jsonl(candidate):
                    if not isinstance(rec, dict) or "idx" not in rec:
                        raise DatasetError(f"{candidate}: row {n}: expected an object "
                                           f"with idx, width and height")
                    out[str(rec["idx"])] = (rec.get("width"), rec.get("height"))
                return out
        return {}

    def rows(self) -> Iterator[Row]:
        folder = self._folder()
        sizes = self._sizes(folder)
        programs = sorted(folder.glob("*.py"), key=_order)
        for n, program in enumerate(programs, 1):
            where = f"{program} (chart {n})"
            figure = program.with_suffix(".png")
            if not figure.is_file():
                pdf = program.with_suffix(".pdf")
                hint = (f"only {pdf.name} is there: convert it to PNG first (ChartMimic "
                        f"uses pdf2image at 120 dpi)" if pdf.is_file() else "it is missing")
                raise DatasetError(f"{where}: no figure {figure.name}: {hint}")
            stem = program.stem
            meta: dict[str, Any] = {"benchmark": "chartmimic", "task": "direct_mimic",
                                    "chart_type": stem.split("_")[0], "chart": stem}
            if stem in sizes:
                meta["width"], meta["height"] = sizes[stem]
            yield Row(where=where, id=safe_id(stem), meta=meta,
                      files={"image": figure, "reference_program": program})


def _order(path: Path) -> tuple[str, int, str]:
    kind, _, number = path.stem.rpartition("_")
    return (kind, int(number), "") if number.isdigit() else (path.stem, 0, "")
