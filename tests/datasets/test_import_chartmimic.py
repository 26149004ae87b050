"""`chartmimic`: ChartMimic's dataset/ folder as `test.tar.gz` unpacks (ori_500/ with
<type>_<n>.py, .pdf and .png per chart; dimentions_info.jsonl beside it), imported into
chart2code samples and run with the chart2code example pipeline (the `plot` plugin's
matplotlib executor runs the replayed reference programs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.datasets.importing import card, do_import, replay_file, run_example
from tests.datasets.media import BLUE, RED, png
from visioncode import registry
from visioncode.errors import DatasetError

PROGRAM = """import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(4, 3))
ax.{kind}([1, 2, 3], [3, 1, 2], color="{colour}")
ax.set_title("{title}")
plt.tight_layout()
plt.savefig("{stem}.pdf")
"""


def chartmimic_dataset(root: Path) -> Path:
    """dataset/ with ori_500/ (github.com/ChartMimic/ChartMimic README, "Data")."""
    ori = root / "ori_500"
    ori.mkdir(parents=True)
    for stem, kind, colour in (("line_2", "plot", "#1f77b4"), ("bar_1", "bar", "#d62728"),
                               ("line_10", "plot", "#2ca02c")):
        (ori / f"{stem}.py").write_text(PROGRAM.format(kind=kind, colour=colour,
                                                       title=stem, stem=stem))
        (ori / f"{stem}.pdf").write_bytes(b"%PDF-1.4\n% a stand-in: the importer reads the PNG\n")
        png(ori / f"{stem}.png", RED if kind == "bar" else BLUE, size=(80, 60))
    (root.parent / "dimentions_info.jsonl").write_text("".join(
        json.dumps({"idx": stem, "width": 4, "height": 3}) + "\n"
        for stem in ("line_2", "bar_1", "line_10")))
    return root


def test_direct_mimic_charts_become_chart2code_samples(tmp_path: Path) -> None:
    src = chartmimic_dataset(tmp_path / "ChartMimic" / "dataset")
    samples = do_import("chartmimic", src, tmp_path / "cm")
    assert [s.id for s in samples] == ["bar_1", "line_2", "line_10"]
    line = samples[1]
    assert line.meta == {"benchmark": "chartmimic", "task": "direct_mimic",
                         "chart_type": "line", "chart": "line_2", "width": 4, "height": 3}
    assert line.reference_program is not None
    assert line.reference_program.read_text() == (src / "ori_500" / "line_2.py").read_text()
    assert line.image is not None and line.image.suffix == ".png"
    assert card(tmp_path / "cm")["licence"] == "Apache-2.0"
    again = do_import("chartmimic", src / "ori_500", tmp_path / "cm2")  # ori_500/ itself
    assert [s.id for s in again] == ["bar_1", "line_2", "line_10"]


def test_a_chart_with_only_its_pdf_says_to_convert_it(tmp_path: Path) -> None:
    src = chartmimic_dataset(tmp_path / "dataset")
    (src / "ori_500" / "line_2.png").unlink()
    with pytest.raises(DatasetError, match=r"line_2.py \(chart 2\): no figure line_2.png: "
                                           r"only line_2.pdf is there: convert it to PNG"):
        do_import("chartmimic", src, tmp_path / "cm")
    assert not (tmp_path / "cm").exists()


@pytest.mark.slow
@pytest.mark.skipif(not any(e.name == "matplotlib" and e.kind == "executor"
                            for e in registry.list_components()),
                    reason="the plot plugin (matplotlib executor) is not installed")
def test_the_import_runs_with_the_chart2code_example(tmp_path: Path) -> None:
    src = chartmimic_dataset(tmp_path / "dataset")
    out = tmp_path / "cm"
    samples = do_import("chartmimic", src, out, limit=1)
    assert [s.id for s in samples] == ["bar_1"]
    program = (src / "ori_500" / "bar_1.py").read_text()
    replay = replay_file(tmp_path / "answers.jsonl",
                         {"bar_1": f"```python\n{program}```"})
    (record,) = run_example("examples/chart2code/pipeline.toml", out, tmp_path / "run",
                            **{"model.options.path": str(replay)})
    assert record.status == "ok", record.reason
    assert record.scores["render-success"].values["render_success"] == 1.0
