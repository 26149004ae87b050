"""Every option of the plot components by its observable effect."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from visioncode import Execution, RenderSpec, Sample
from visioncode_plot.chartmimic import ChartMimicMetric
from visioncode_plot.executor import MatplotlibExecutor
from visioncode_plot.plot2code import Plot2CodeMetric
from visioncode_plot.renderer import MatplotlibRenderer

from .conftest import round_of

THREE = ("import matplotlib.pyplot as plt\nfor i in range(3):\n"
         "    plt.figure(figsize=(10, 10))\n    plt.plot([1, i])\n")


def test_max_figures_and_save_figures(tmp_path: Path) -> None:
    ex = MatplotlibExecutor(MatplotlibExecutor.Options(workers=1, max_figures=1,
                                                       save_figures=False))
    try:
        run = ex.execute(THREE, tmp_path / "a")
    finally:
        ex.close()
    assert run.ok and len(run.metadata["figures"]) == 1
    assert "3 figures drawn; the first 1 are kept" in run.notes
    assert "figure" not in run.artifacts and not list((tmp_path / "a").glob("*.png"))


def test_max_pixels_lowers_the_dpi_of_a_huge_figure(run, executor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    small = MatplotlibExecutor(MatplotlibExecutor.Options(workers=1, max_pixels=40_000))
    try:
        capped = small.execute(THREE.replace("range(3)", "range(1)"), tmp_path / "c")
    finally:
        small.close()
    figure = capped.metadata["figures"][0]
    assert figure["width"] * figure["height"] <= 40_000 and figure["dpi"] < 100
    with Image.open(capped.artifacts["figure"]) as im:
        assert im.size == (figure["width"], figure["height"]) == (200, 200)


def test_startup_timeout_s_bounds_a_workers_start(tmp_path: Path) -> None:
    """An allowance no worker can meet (importing matplotlib takes longer than 10 ms):
    each component says the worker did not start, and fails its own round."""
    options = {"workers": 1, "startup_timeout_s": 0.01}
    ex = MatplotlibExecutor(MatplotlibExecutor.Options(**options))
    renderer = MatplotlibRenderer(MatplotlibRenderer.Options(**options))
    mimic = ChartMimicMetric(ChartMimicMetric.Options(**options))
    p2c = Plot2CodeMetric(Plot2CodeMetric.Options(**options))
    try:
        execution = ex.execute("import matplotlib.pyplot as plt\nplt.plot([1])\n", tmp_path)
        assert execution.status == "timeout" and "no start within" in execution.error.message
        program = tmp_path / "p.py"
        program.write_text("import matplotlib.pyplot as plt\nplt.plot([1])\n")
        drawn = renderer.render(Execution(status="ok", program=program.read_text(),
                                          artifacts={"program": program}),
                                RenderSpec(width=32, height=32), tmp_path / "r")
        assert drawn.status == "timeout" and "no start within" in (drawn.error or "")
        for metric in (mimic, p2c):
            trace, why = metric.trace_program(program.read_text())
            assert trace is None and "no start within" in (why or "")
    finally:
        for component in (ex, renderer, mimic, p2c):
            component.close()


def test_chartmimic_blank_policy_scores_an_empty_chart(tmp_path: Path) -> None:
    reference = tmp_path / "ref.py"
    reference.write_text("import matplotlib.pyplot as plt\nplt.plot([1])\n")
    metric = ChartMimicMetric(ChartMimicMetric.Options(failure_policy="blank"))
    try:
        failed = Execution(status="error", program="x")
        score = metric.score(Sample(id="s", reference_program=reference), round_of(failed))
    finally:
        metric.close()
    assert not score.rendered and score.values["low_level"] == 0.0
    assert score.details["type"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
