"""`vcode`: VCode's data/ folder with its three subsets in their published layouts
(MM-Vet's mm-vet.json + images/, CV-Bench's <dim>/<task>/annotations.jsonl, MMMU's
<Subject>/output.json), imported into img2svg samples whose questions the `codevqa`
metric reads, and run with the VCode example pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.datasets.importing import card, do_import, run_example
from tests.datasets.media import BLUE, GREEN, RED, png
from visioncode.errors import DatasetError


def vcode_data(root: Path) -> Path:
    """data/ as in github.com/CSU-JPG/VCode (mm-vet, cv-bench, mmmu)."""
    mmvet = root / "mm-vet"
    png(mmvet / "images" / "v1_0.png", RED)
    png(mmvet / "images" / "v1_1.png", GREEN)
    (mmvet / "mm-vet.json").write_text(json.dumps({
        "v1_0": {"imagename": "v1_0.png", "capability": ["rec", "ocr"],
                 "question": "What colour is the square?", "answer": "red<OR>crimson"},
        "v1_1": {"imagename": "v1_1.png", "capability": ["rec"],
                 "question": "Is it green?", "answer": "yes"}}))
    depth = root / "cv-bench" / "3D" / "depth"
    png(depth / "images" / "omni3d_sunrgbd_169.jpg", BLUE)
    rows = [{"split": "test", "task_raw": "Depth", "task": "depth", "dimension": "3D",
             "question": f"Which object is closer to the camera, the {a} (red box) or the "
                         f"{b} (blue box)?", "answer": ans,
             "image_path": "3D/depth/images/omni3d_sunrgbd_169.jpg",
             "filename": "img/3D/depth/omni3d_sunrgbd_169.jpg", "bbox": [[1, 2, 3, 4]],
             "choices": [a, b], "source": "Omni3D"}
            for a, b, ans in (("lamp", "chair", "(A)"), ("bin", "table", "(B)"))]
    (depth / "annotations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    subject = root / "mmmu" / "mmmu_dev_processed_single_img_subset" / "Math"
    png(subject / "dev_Math_1_img1.png", GREEN)
    png(subject / "dev_Math_2_img1.png", RED)
    (subject / "output.json").write_text(json.dumps([
        {"id": "dev_Math_1", "question": "How many days? <image 1>", "question_type": "open",
         "options": [], "answer": "4", "all_choices": [], "index2ans": {},
         "image_paths": ["./mmmu_dev_processed_single_img_subset/Math/dev_Math_1_img1.png"],
         "response": ""},
        {"id": "dev_Math_2", "question": "<image 1> Which is right?",
         "question_type": "multiple-choice", "options": ["x = 1", "x = 2", "x = 3"],
         "answer": "C", "all_choices": ["A", "B", "C"],
         "index2ans": {"A": "x = 1", "B": "x = 2", "C": "x = 3"},
         "image_paths": ["./mmmu_dev_processed_single_img_subset/Math/dev_Math_2_img1.png"],
         "response": ""}]))
    return root


def test_every_subset_becomes_samples_with_questions(tmp_path: Path) -> None:
    src = vcode_data(tmp_path / "data")
    samples = {s.id: s for s in do_import("vcode", src, tmp_path / "vcode")}
    assert sorted(samples) == ["cv-bench-3D-depth-omni3d_sunrgbd_169", "dev_Math_1",
                               "dev_Math_2", "mm-vet-v1_0", "mm-vet-v1_1"]
    mmvet = samples["mm-vet-v1_0"]
    assert mmvet.meta["subset"] == "mm-vet" and mmvet.meta["capability"] == ["rec", "ocr"]
    assert mmvet.meta["questions"] == [{"id": "v1_0", "question": "What colour is the square?",
                                        "answer": ["red", "crimson"]}]
    cv = samples["cv-bench-3D-depth-omni3d_sunrgbd_169"]
    assert [q["answer"] for q in cv.meta["questions"]] == ["A", "B"]  # one image, two asks
    assert cv.meta["questions"][1]["choices"] == ["bin", "table"]
    assert cv.meta["task"] == "depth" and cv.meta["dimension"] == "3D"
    mc = samples["dev_Math_2"].meta["questions"][0]
    assert mc["choices"] == ["x = 1", "x = 2", "x = 3"] and mc["answer"] == "C"
    assert samples["dev_Math_1"].meta["questions"][0]["answer"] == "4"
    assert samples["dev_Math_1"].meta["subject"] == "Math"
    info = card(tmp_path / "vcode")
    assert info["options"]["subsets"] == ["mm-vet", "cv-bench", "mmmu"]
    assert "2511.02778" in info["citation"]


def test_one_subset_and_a_subset_folder(tmp_path: Path) -> None:
    src = vcode_data(tmp_path / "data")
    only = do_import("vcode", src, tmp_path / "a", subsets=["mmmu"])
    assert {s.meta["subset"] for s in only} == {"mmmu"}
    alone = do_import("vcode", src / "cv-bench", tmp_path / "b")
    assert [s.meta["subset"] for s in alone] == ["cv-bench"]
    with pytest.raises(DatasetError, match="not a VCode subset"):
        do_import("vcode", src, tmp_path / "c", subsets=["mmbench"])


def test_broken_rows_are_named_by_file_and_row(tmp_path: Path) -> None:
    src = vcode_data(tmp_path / "data")
    ann = src / "cv-bench" / "3D" / "depth" / "annotations.jsonl"
    lines = ann.read_text().splitlines()
    bad = json.loads(lines[1])
    bad["answer"] = "(C)"  # only two choices
    ann.write_text(lines[0] + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(DatasetError, match=r"annotations.jsonl: row 2: answer '\(C\)'"):
        do_import("vcode", src, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    ann.write_text(lines[0] + "\n{not json\n")
    with pytest.raises(DatasetError, match=r"annotations.jsonl: row 2: not valid JSON"):
        do_import("vcode", src, tmp_path / "out")
    ann.write_text(lines[0] + "\n")
    (src / "mm-vet" / "images" / "v1_1.png").unlink()
    with pytest.raises(DatasetError, match=r"mm-vet.json: row 2 \(v1_1\): imagename"):
        do_import("vcode", src, tmp_path / "out")


def test_the_import_runs_with_the_vcode_example(tmp_path: Path) -> None:
    src = vcode_data(tmp_path / "data")
    out = tmp_path / "vcode"
    samples = do_import("vcode", src, out, subsets=["mmmu", "cv-bench"])
    # The generator traces each image (vtracer); the policy model of CodeVQA is a replay
    # file that answers every question "A".
    lines = []
    for s in samples:
        for q in s.meta["questions"]:
            for purpose in ("codevqa", "codevqa-original"):
                lines.append({"sample_id": s.id, "purpose": f"{purpose}:{q['id']}",
                              "text": "A"})
    answers = tmp_path / "policy.jsonl"
    answers.write_text("".join(json.dumps(x) + "\n" for x in lines))
    records = run_example(
        "examples/img2svg/pipeline-vcode.toml", out, tmp_path / "run",
        **{"model.use": "vtracer", "model.options": {},
           "metrics": [{"use": "render-success"},
                       {"use": "codevqa", "options": {
                           "model": {"use": "replay", "options": {"path": str(answers)}}}}]})
    by_id = {r.sample_id: r for r in records}
    assert sorted(by_id) == sorted(s.id for s in samples)
    cv = by_id["cv-bench-3D-depth-omni3d_sunrgbd_169"]
    assert cv.status == "ok", cv.reason
    # Two questions, keys A and B: answering "A" to both is right once.
    assert cv.scores["codevqa"].values["accuracy"] == pytest.approx(0.5)
    assert by_id["dev_Math_2"].scores["codevqa"].values["accuracy"] == 0.0  # key is C
