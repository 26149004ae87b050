"""`design2code`: SALT-NLP's Design2Code test set (and Design2Code-HARD) as published.

Layout (github.com/NoviScl/Design2Code, README "Data"; huggingface.co/datasets/SALT-NLP/
Design2Code): one folder, `testset_final/` once unzipped, holding pairs `N.html` (the
page) and `N.png` (its screenshot), plus `rick.jpg`, the placeholder image every page's
`<img>` points at. Each pair becomes a screenshot2html sample: the screenshot is the
input and the reference image, the page the reference program; other files of the
folder are copied next to the pages so their relative references still resolve.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..errors import DatasetError
from .base import Importer, Row, safe_id


def _order(path: Path) -> tuple[int, str]:
    return (int(path.stem), "") if path.stem.isdigit() else (1 << 30, path.stem)


class Design2CodeImporter(Importer):
    format = "design2code"
    benchmark = "Design2Code"
    licence = ("ODC-By (built on C4); the authors license data and code for research "
               "use only")
    citation = ("@misc{si2024design2code, title={Design2Code: How Far Are We From "
                "Automating Front-End Engineering?}, author={Chenglei Si and Yanzhe Zhang "
                "and Zhengyuan Yang and Ruibo Liu and Diyi Yang}, year={2024}, "
                "eprint={2403.03163}, archivePrefix={arXiv}, primaryClass={cs.CL}}")
    url = "https://huggingface.co/datasets/SALT-NLP/Design2Code"
    example = "examples/screenshot2html/pipeline.toml"

    def _folder(self) -> Path:
        if not self.src.is_dir():
            raise DatasetError(f"{self.src}: expected the test set folder of N.html + "
                               f"N.png pairs (testset_final/)")
        return self.src

    def rows(self) -> Iterator[Row]:
        folder = self._folder()
        pages = sorted(folder.glob("*.html"), key=_order)
        for n, page in enumerate(pages, 1):
            where = f"{page} (pair {n})"
            shot = page.with_suffix(".png")
            if not shot.is_file():
                raise DatasetError(f"{where}: no screenshot {shot.name} beside it (each "
                                   f"page N.html needs its N.png)")
            yield Row(where=where, id=safe_id(page.stem),
                      meta={"benchmark": self.benchmark, "page": page.name},
                      files={"image": shot, "reference_program": page})
        for shot in folder.glob("*.png"):
            if not shot.with_suffix(".html").is_file():
                raise DatasetError(f"{shot}: a screenshot without its page "
                                   f"{shot.with_suffix('.html').name}")

    def extra_files(self) -> list[tuple[str, Path]]:
        # rick.jpg and any other asset: beside the pages (programs/), where they look.
        folder = self._folder()
        return [(f"programs/{p.name}", p) for p in sorted(folder.iterdir())
                if p.is_file() and p.suffix.lower() not in (".html", ".png")
                and not p.name.startswith(".")]
