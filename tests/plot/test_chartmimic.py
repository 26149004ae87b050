"""ChartMimic's four scores on the example's charts: a reference scores 1.0 against
itself, a recoloured copy loses only colour, a missing panel loses layout; Plot2Code's
pass and text match."""

from __future__ import annotations

from pathlib import Path

import pytest

from visioncode import RenderSpec, Sample

from .conftest import EXAMPLE, example_module, program, round_of

drop_panel = example_module("make_dataset").drop_panel
recolour = example_module("make_dataset").recolour

KEYS = ("text_f1", "layout_f1", "type_f1", "color_f1")
#: One chart of every traced family (bars, lines, patches, collections, maps, polar, 3D,
#: grids).
CHARTS = ["grouped-bar", "line-temperature", "pie-browsers", "boxplot-groups",
          "violin-doses", "area-traffic", "heatmap-corr", "scatter-cmap", "polar-wind",
          "gridspec-dashboard", "scatter3d-cloud", "hist-scores"]


def sample(chart: str) -> Sample:
    return Sample(id=chart, reference_program=EXAMPLE / "dataset" / "programs" / f"{chart}.py")


@pytest.mark.parametrize("chart", CHARTS)
def test_a_reference_scores_one_against_itself(chart: str, run, chartmimic) -> None:  # type: ignore[no-untyped-def]
    ex = run(program(chart))
    assert ex.ok, ex.error
    trace = ex.metadata["trace"]
    assert trace["texts"] and trace["layout"] and trace["types"] and trace["colors"], trace
    score = chartmimic.score(sample(chart), round_of(ex))
    assert all(score.values[k] == pytest.approx(1.0) for k in KEYS), score.values
    assert score.values["low_level"] == pytest.approx(1.0)


@pytest.mark.parametrize("chart", ["bar-sales", "line-temperature", "pie-browsers"])
def test_a_recoloured_copy_loses_only_colour(chart: str, run, chartmimic) -> None:  # type: ignore[no-untyped-def]
    score = chartmimic.score(sample(chart), round_of(run(recolour(program(chart)))))
    values = score.values
    assert values["text_f1"] == values["layout_f1"] == values["type_f1"] == 1.0
    assert values["color_f1"] < 0.8, values
    assert score.details["color"]["precision"] == pytest.approx(values["color_f1"])


def test_a_missing_panel_loses_layout(run, chartmimic) -> None:  # type: ignore[no-untyped-def]
    chart = "subplots-2x2"
    score = chartmimic.score(sample(chart), round_of(run(drop_panel(program(chart)))))
    layout = score.details["layout"]
    assert layout["precision"] == 1.0 and layout["recall"] == 0.75
    assert score.values["layout_f1"] == pytest.approx(2 * 0.75 / 1.75)
    assert score.values["color_f1"] == pytest.approx(1.0)  # every panel was drawn


def test_a_failed_program_scores_zero_or_is_excluded(run, chartmimic) -> None:  # type: ignore[no-untyped-def]
    from visioncode_plot.chartmimic import ChartMimicMetric

    failed = round_of(run("import matplotlib.pyplot as plt\nplt.plot(nothing)\n"))
    score = chartmimic.score(sample("bar-sales"), failed)
    assert score.values == dict.fromkeys((*KEYS, "low_level"), 0.0) and not score.rendered
    excluding = ChartMimicMetric(ChartMimicMetric.Options(failure_policy="exclude"))
    assert set(excluding.score(sample("bar-sales"), failed).values.values()) == {None}
    excluding.close()  # never started a worker: the failed round needs no reference


def test_a_sample_without_a_reference_program_is_a_clear_error(run, chartmimic) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="has no reference_program"):
        chartmimic.score(Sample(id="x"), round_of(run(program("bar-sales"))))


def test_plot2code_pass_and_text_match(run, renderer, plot2code, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = RenderSpec(width=160, height=120)
    ex = run(program("line-temperature"))
    good = plot2code.score(sample("line-temperature"),
                           round_of(ex, renderer.render(ex, spec, tmp_path / "good")))
    assert good.values == {"pass": 1.0, "text_match": 1.0}
    retitled = run(program("line-temperature").replace("Mean monthly", "Average"))
    partial = plot2code.score(sample("line-temperature"), round_of(
        retitled, renderer.render(retitled, spec, tmp_path / "retitled")))
    assert 0.8 < partial.values["text_match"] < 1.0
    blank = run("import matplotlib.pyplot as plt\nplt.figure()\nplt.axis('off')\n")
    none = plot2code.score(sample("line-temperature"),
                           round_of(blank, renderer.render(blank, spec, tmp_path / "blank")))
    assert none.values == {"pass": 0.0, "text_match": None}
    assert none.details["reason"] == "the chart is blank"


GOLDEN = """import matplotlib.pyplot as plt
import numpy as np
x = np.arange(3)
fig, ax = plt.subplots(figsize=(6, 4))
ax.bar(x - 0.2, [20, 34, 30], 0.4, label="2023", color="#1f77b4")
ax.bar(x + 0.2, [25, 32, 34], 0.4, label="2024", color="#ff7f0e")
ax.set_xticks(x, ["N", "S", "E"])
ax.set_ylabel("Revenue")
ax.set_title("Revenue by region")
ax.legend()
"""


def test_a_worked_example_by_chartmimics_definitions(run, chartmimic, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """One generated chart that differs from the golden one in title, one colour and an
    extra line, with every number worked out by hand from the published evaluators."""
    from visioncode_plot.colours import similarity

    golden = tmp_path / "golden.py"
    golden.write_text(GOLDEN)
    generated = (GOLDEN.replace("Revenue by region", "Revenue per region")
                 .replace("#ff7f0e", "#2ca02c")
                 .replace("ax.legend()", "ax.plot(x, [22, 33, 32], color='#000000')\n"
                                         "ax.legend()"))
    ex = run(generated)
    trace = ex.metadata["trace"]
    # ticks are removed before the texts are logged: title, y label, two legend labels
    assert sorted(trace["texts"]) == ["2023", "2024", "Revenue", "Revenue per region"]
    assert trace["types"] == {"Axes.bar": 2, "Axes.plot": 1}
    assert sorted(trace["colors"]) == ["Axes.bar--#1F77B4", "Axes.bar--#2CA02C",
                                       "Axes.plot-line--#000000"]
    score = chartmimic.score(Sample(id="worked", reference_program=golden), round_of(ex))
    d = score.details
    assert (d["text"]["precision"], d["text"]["recall"]) == (0.75, 0.75)
    assert (d["type"]["precision"], d["type"]["recall"]) == (pytest.approx(2 / 3), 1.0)
    assert d["type"]["f1"] == pytest.approx(0.8)
    assert d["layout"]["f1"] == 1.0
    # bars: #1F77B4 pairs with itself (1.0), #2CA02C with #FF7F0E; the line has no partner
    total = 1.0 + similarity("#2CA02C", "#FF7F0E")
    assert d["color"]["precision"] == pytest.approx(total / 3)
    assert d["color"]["recall"] == pytest.approx(total / 2)
