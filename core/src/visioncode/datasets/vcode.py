"""`vcode`: VCode's released evaluation data (github.com/CSU-JPG/VCode, `data/`), as
img2svg samples whose `meta.questions` the `codevqa` metric asks about the render.

Layout, per subset (SRC is VCode's `data/` folder, or one subset's folder):

- `mm-vet/`: MM-Vet's own `mm-vet.json` (`{"v1_0": {"imagename": "v1_0.png",
  "question": ..., "answer": ..., "capability": [...]}}`) and `images/`. MM-Vet answers
  are open; `<OR>` in an answer separates accepted alternatives (they become a list).
- `cv-bench/`: `<2D|3D>/<task>/annotations.jsonl`, one question per line (`question`,
  `choices`, `answer` as `(A)`, `image_path` relative to `cv-bench/`, or under `img/`);
  the questions of one image become one sample.
- `mmmu/`: `mmmu_dev_processed_single_img_subset/<Subject>/output.json`, a list of MMMU
  records (`id`, `question`, `question_type` `multiple-choice` or `open`, `options`,
  `answer`, `image_paths` relative to `mmmu/`).

Every sample has `meta.subset` (for per-subset breakdowns) and `meta.questions` in the
form `codevqa` reads (`id`, `question`, `choices`, `answer`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import DatasetError
from .base import Importer, Row, read_json, read_jsonl, safe_id

SUBSETS = ("mm-vet", "cv-bench", "mmmu")
MMMU_FOLDER = "mmmu_dev_processed_single_img_subset"
LETTER = re.compile(r"^\(?([A-Z])\)?$")


class VCodeImporter(Importer):
    format = "vcode"
    benchmark = "VCode"
    licence = ("VCode's code and data as released at github.com/CSU-JPG/VCode; the "
               "images and questions keep their sources' licences (MM-Vet, CV-Bench, "
               "MMMU)")
    citation = ("@misc{VCode, title={VCode: a Multimodal Coding Benchmark with SVG as "
                "Symbolic Visual Representation}, author={Kevin Qinghong Lin and Yuhao "
                "Zheng and Hangyu Ran and Dantong Zhu and Dongxing Mao and Linjie Li and "
                "Philip Torr and Alex Jinpeng Wang}, year={2025}, eprint={2511.02778}, "
                "archivePrefix={arXiv}, primaryClass={cs.CV}}")
    url = "https://github.com/CSU-JPG/VCode"
    example = "examples/img2svg/pipeline-vcode.toml"

    def _subsets(self) -> list[tuple[str, Path]]:
        wanted = self.options.subsets or list(SUBSETS)
        for name in wanted:
            if name not in SUBSETS:
                raise DatasetError(f"--subset {name!r}: not a VCode subset (one of "
                                   f"{', '.join(SUBSETS)})")
        if self.src.name in SUBSETS:  # SRC is one subset's folder
            found = [(self.src.name, self.src)]
        else:
            found = [(n, self.src / n) for n in SUBSETS if (self.src / n).is_dir()]
        chosen = [(n, p) for n, p in found if n in wanted]
        if self.options.subsets:
            missing = set(self.options.subsets) - {n for n, _ in chosen}
            if missing:
                raise DatasetError(f"{self.src}: no {', '.join(sorted(missing))} folder "
                                   f"(expected VCode's data/ with {', '.join(SUBSETS)})")
        if not chosen:
            raise DatasetError(f"{self.src}: none of VCode's subset folders "
                               f"({', '.join(SUBSETS)}) found; SRC is VCode's data/ folder")
        return chosen

    def card_options(self) -> dict[str, Any]:
        return {"subsets": [n for n, _ in self._subsets()]}

    def rows(self) -> Iterator[Row]:
        for name, folder in self._subsets():
            if name == "mm-vet":
                yield from self._mmvet(folder)
            elif name == "cv-bench":
                yield from self._cvbench(folder)
            else:
                yield from self._mmmu(folder)

    # -- MM-Vet -------------------------------------------------------------------------

    def _mmvet(self, folder: Path) -> Iterator[Row]:
        path = folder / "mm-vet.json"
        data = read_json(path)
        if not isinstance(data, dict):
            raise DatasetError(f"{path}: expected an object of question id -> record")
        images = folder / "images"
        for n, (qid, rec) in enumerate(data.items(), 1):
            where = f"{path}: row {n} ({qid})"
            if not isinstance(rec, dict):
                raise DatasetError(f"{where}: expected an object")
            question, answer = _text(rec, "question", where), _text(rec, "answer", where)
            image = _find(images, _text(rec, "imagename", where), where)
            capability = rec.get("capability") or []
            if isinstance(capability, str):
                capability = [c.strip() for c in capability.split(",") if c.strip()]
            answers = [a.strip() for a in answer.split("<OR>") if a.strip()]
            yield Row(where=where, id=safe_id(f"mm-vet-{qid}"), files={"image": image},
                      meta={"subset": "mm-vet", "capability": capability, "questions": [
                          {"id": qid, "question": question,
                           "answer": answers[0] if len(answers) == 1 else answers}]})

    # -- CV-Bench -----------------------------------------------------------------------

    def _cvbench(self, folder: Path) -> Iterator[Row]:
        files = sorted(p for p in folder.rglob("annotations.jsonl")
                       if "img" not in p.relative_to(folder).parts[:1])
        if not files:
            raise DatasetError(f"{folder}: no <dimension>/<task>/annotations.jsonl")
        grouped: dict[str, tuple[str, Path, dict[str, Any]]] = {}
        for path in files:
            for n, rec in read_jsonl(path):
                where = f"{path}: row {n}"
                if not isinstance(rec, dict):
                    raise DatasetError(f"{where}: expected an object")
                rel = _text(rec, "image_path", where)
                image = folder / rel
                if not image.is_file() and (folder / "img" / rel).is_file():
                    image = folder / "img" / rel
                if not image.is_file():
                    raise DatasetError(f"{where}: image_path {rel!r}: no such file under "
                                       f"{folder}")
                choices = rec.get("choices")
                if not isinstance(choices, list) or len(choices) < 2:
                    raise DatasetError(f"{where}: choices: expected a list of 2 or more")
                answer = _letter(_text(rec, "answer", where), len(choices), where)
                key = rel
                if key not in grouped:
                    stem = Path(rel).with_suffix("").as_posix().replace("/images/", "/")
                    grouped[key] = (where, image, {
                        "subset": "cv-bench", "dimension": rec.get("dimension"),
                        "task": rec.get("task"), "source": rec.get("source"),
                        "questions": [], "_id": safe_id(f"cv-bench-{stem}")})
                meta = grouped[key][2]
                meta["questions"].append({
                    "id": f"{rec.get('task') or 'q'}-{len(meta['questions'])}",
                    "question": _text(rec, "question", where),
                    "choices": [str(c) for c in choices], "answer": answer})
        for where, image, meta in grouped.values():
            sid = meta.pop("_id")
            yield Row(where=where, id=sid, files={"image": image},
                      meta={k: v for k, v in meta.items() if v is not None})

    # -- MMMU ---------------------------------------------------------------------------

    def _mmmu(self, folder: Path) -> Iterator[Row]:
        base = folder / MMMU_FOLDER
        if not base.is_dir():
            raise DatasetError(f"{folder}: no {MMMU_FOLDER}/ (VCode's MMMU subset)")
        outputs = sorted(base.glob("*/output.json"))
        if not outputs:
            raise DatasetError(f"{base}: no <Subject>/output.json")
        for path in outputs:
            records = read_json(path)
            if not isinstance(records, list):
                raise DatasetError(f"{path}: expected a list of MMMU records")
            for n, rec in enumerate(records, 1):
                where = f"{path}: row {n}"
                if not isinstance(rec, dict):
                    raise DatasetError(f"{where}: expected an object")
                rid = _text(rec, "id", where)
                paths = rec.get("image_paths")
                if not isinstance(paths, list) or len(paths) != 1:
                    raise DatasetError(f"{where}: image_paths: expected one image (the "
                                       f"single-image subset)")
                image = (folder / str(paths[0])).resolve()
                if not image.is_file():
                    raise DatasetError(f"{where}: image_paths[0] {paths[0]!r}: no such "
                                       f"file under {folder}")
                kind = rec.get("question_type")
                question: dict[str, Any] = {"id": rid, "question": _text(rec, "question",
                                                                         where)}
                if kind == "multiple-choice":
                    options = rec.get("options")
                    if not isinstance(options, list) or len(options) < 2:
                        raise DatasetError(f"{where}: options: a multiple-choice record "
                                           f"needs 2 or more")
                    question["choices"] = [str(o) for o in options]
                    question["answer"] = _letter(_text(rec, "answer", where), len(options),
                                                 where)
                elif kind == "open":
                    question["answer"] = _text(rec, "answer", where)
                else:
                    raise DatasetError(f"{where}: question_type {kind!r}: expected "
                                       f"'multiple-choice' or 'open'")
                yield Row(where=where, id=safe_id(rid), files={"image": image},
                          meta={"subset": "mmmu", "subject": path.parent.name,
                                "question_type": kind, "questions": [question]})


def _text(rec: dict[str, Any], key: str, where: str) -> str:
    value = rec.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(f"{where}: {key}: missing or empty")
    return value


def _letter(answer: str, n: int, where: str) -> str:
    match = LETTER.match(answer.strip())
    if not match or ord(match.group(1)) - ord("A") >= n:
        raise DatasetError(f"{where}: answer {answer!r}: expected a choice letter A.."
                           f"{chr(ord('A') + n - 1)}")
    return match.group(1)


def _find(images: Path, name: str, where: str) -> Path:
    direct = images / name
    if direct.is_file():
        return direct
    found = [p for p in images.rglob(name) if p.is_file()] if images.is_dir() else []
    if len(found) == 1:
        return found[0]
    if not found:
        raise DatasetError(f"{where}: imagename {name!r}: not found under {images}")
    raise DatasetError(f"{where}: imagename {name!r}: found more than once under {images}")
