"""`svg-bench` (StarVector's hub sets: `data/test-*.parquet` with `Filename` and `Svg`)
and `hf-parquet` (any parquet or Arrow export, with `--map`): fixtures written with
pyarrow in those layouts, rows validated with their numbers, and the imports run with
the img2svg example pipeline (vtracer, offline)."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from tests.conftest import BIN
from tests.datasets.importing import card, do_import, run_example
from tests.datasets.media import BLUE, GREEN, RED, colour_of, near, png
from visioncode.errors import DatasetError

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
       '<rect width="10" height="10" fill="{c}"/></svg>')


def svg_bench(root: Path, rows: list[tuple[str, str]]) -> Path:
    """A snapshot of huggingface.co/datasets/starvector/svg-icons-simple (layout)."""
    (root / "data").mkdir(parents=True)
    table = pa.table({"Filename": [f for f, _ in rows], "Svg": [s for _, s in rows]})
    pq.write_table(table, root / "data" / "test-00000-of-00001.parquet")
    pq.write_table(pa.table({"Filename": ["train-only"], "Svg": [SVG.format(c="#000")]}),
                   root / "data" / "train-00000-of-00001.parquet")
    return root


def test_svg_bench_renders_each_svg_at_the_benchmark_size(tmp_path: Path) -> None:
    src = svg_bench(tmp_path / "svg-icons-simple", [("icon_red", SVG.format(c="#e61414")),
                                                    ("icon_blue", SVG.format(c="#1e28dc"))])
    samples = do_import("svg-bench", src, tmp_path / "bench", size=64)
    assert [s.id for s in samples] == ["icon_red", "icon_blue"]  # test split only
    red = samples[0]
    assert red.image is not None and red.reference_program is not None
    with Image.open(red.image) as im:
        assert im.size == (64, 64)
    assert near(colour_of(red.image), RED)
    assert red.reference_program.read_text() == SVG.format(c="#e61414")
    info = card(tmp_path / "bench")
    assert info["options"] == {"size": 64, "split": "test"}
    assert "rodriguez2024starvector" in info["citation"]


def test_svg_bench_names_the_row_of_a_cell_that_is_no_svg(tmp_path: Path) -> None:
    src = svg_bench(tmp_path / "set", [("ok", SVG.format(c="#e61414")),
                                       ("broken", "<html><body>not a vector</body></html>")])
    with pytest.raises(DatasetError, match=r"test-00000-of-00001.parquet: row 2: Svg: not SVG"):
        do_import("svg-bench", src, tmp_path / "bench", size=32)
    assert not (tmp_path / "bench").exists()
    with pytest.raises(DatasetError, match=r"no column 'Svg' \(the file has Filename, Code\)"):
        bad = tmp_path / "bad.parquet"
        pq.write_table(pa.table({"Filename": ["a"], "Code": ["<svg/>"]}), bad)
        do_import("svg-bench", bad, tmp_path / "bench2")


def test_svg_bench_import_runs_with_the_img2svg_example(tmp_path: Path) -> None:
    src = svg_bench(tmp_path / "set", [("icon_green", SVG.format(c="#14c828"))])
    out = tmp_path / "bench"
    do_import("svg-bench", src, out, size=64)
    (record,) = run_example("examples/img2svg/pipeline.toml", out, tmp_path / "run")
    assert record.status == "ok", record.reason
    assert record.scores["ssim"].values["ssim"] > 0.9  # vtracer traces a flat square


def png_bytes(colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), colour).save(buf, format="PNG")
    return buf.getvalue()


def test_hf_parquet_maps_columns_to_fields(tmp_path: Path) -> None:
    png(tmp_path / "export" / "views" / "a.png", GREEN)
    table = pa.table({
        "name": ["one", "two"],
        "png_bytes": [png_bytes(RED), png_bytes(BLUE)],
        "extra": [{"bytes": None, "path": "views/a.png"}, {"bytes": png_bytes(GREEN),
                                                             "path": None}],
        "svg": [SVG.format(c="#e61414"), SVG.format(c="#1e28dc")],
        "caption": ["a red square", "a blue square"],
        "kind": ["square", "square"]})
    pq.write_table(table, tmp_path / "export" / "data.parquet")
    samples = do_import("hf-parquet", tmp_path / "export" / "data.parquet", tmp_path / "out",
                        field_map={"id": "name", "image": "png_bytes", "reference_image":
                                   "extra", "reference_program": "svg", "text": "caption",
                                   "meta.kind": "kind"})
    one, two = samples
    assert (one.id, one.text, one.meta) == ("one", "a red square", {"kind": "square"})
    assert one.image is not None and one.image.read_bytes() == png_bytes(RED)
    assert one.reference_image is not None
    assert one.reference_image.read_bytes() == (tmp_path / "export" / "views" / "a.png"
                                                ).read_bytes()
    assert two.reference_image is not None and near(colour_of(two.reference_image), GREEN)
    assert one.reference_program is not None and one.reference_program.suffix == ".svg"
    assert card(tmp_path / "out")["options"]["map"]["image"] == "png_bytes"


def test_hf_parquet_reads_a_datasets_arrow_export(tmp_path: Path) -> None:
    # `datasets.Dataset.save_to_disk` writes Arrow IPC streams, data-NNNNN-of-NNNNN.arrow.
    folder = tmp_path / "saved" / "test"
    folder.mkdir(parents=True)
    table = pa.table({"image": [{"bytes": png_bytes(RED), "path": None}], "label": ["r"]})
    with pa.OSFile(str(folder / "data-00000-of-00001.arrow"), "wb") as sink, \
            pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    samples = do_import("hf-parquet", tmp_path / "saved", tmp_path / "out",
                        field_map={"image": "image", "meta.label": "label"})
    assert [(s.id, s.meta) for s in samples] == [("row-00000", {"label": "r"})]


def test_hf_parquet_errors_name_the_row_and_leave_nothing(tmp_path: Path) -> None:
    table = pa.table({"png": [png_bytes(RED), b"not an image at all", png_bytes(BLUE)]})
    pq.write_table(table, tmp_path / "t.parquet")
    with pytest.raises(DatasetError, match=r"t.parquet: row 2: image \(column 'png'\): "
                                           r"the bytes are not a known image"):
        do_import("hf-parquet", tmp_path / "t.parquet", tmp_path / "out",
                  field_map={"image": "png"})
    assert not (tmp_path / "out").exists()
    with pytest.raises(DatasetError, match=r"--map colour=\.\.\.: not a sample field"):
        do_import("hf-parquet", tmp_path / "t.parquet", tmp_path / "out",
                  field_map={"colour": "png"})
    with pytest.raises(DatasetError, match=r"no column 'picture' \(the file has png\)"):
        do_import("hf-parquet", tmp_path / "t.parquet", tmp_path / "out",
                  field_map={"image": "picture"})


def test_the_command_line_import(tmp_path: Path) -> None:
    table = pa.table({"png": [png_bytes(RED)], "svg": [SVG.format(c="#e61414")]})
    pq.write_table(table, tmp_path / "t.parquet")
    out = tmp_path / "ds"
    cmd = [str(BIN / "visioncode"), "dataset", "import", "hf-parquet",
           str(tmp_path / "t.parquet"), "--out", str(out),
           "--map", "image=png,reference_program=svg"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 samples" in done.stdout and "--set dataset.path=" in done.stdout
    assert json.loads((out / "dataset.json").read_text())["samples"] == 1
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    forced = subprocess.run([*cmd, "--force"], capture_output=True, text=True, timeout=120)
    assert forced.returncode == 0, forced.stderr


def test_hf_parquet_import_runs_with_the_img2svg_example(tmp_path: Path) -> None:
    table = pa.table({"png": [png_bytes(GREEN)], "svg": [SVG.format(c="#14c828")],
                      "name": ["green"]})
    pq.write_table(table, tmp_path / "t.parquet")
    out = tmp_path / "ds"
    do_import("hf-parquet", tmp_path / "t.parquet", out,
              field_map={"id": "name", "image": "png", "reference_program": "svg"})
    (record,) = run_example("examples/img2svg/pipeline.toml", out, tmp_path / "run")
    assert record.sample_id == "green" and record.status == "ok", record.reason
    assert record.scores["ssim"].values["ssim"] > 0.9
