"""The core's contract suites run against every visioncode-plot component."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from visioncode import Execution, Sample
from visioncode.testing import (
    ExecutorContract,
    MetricContract,
    RendererContract,
)
from visioncode_plot.chartmimic import ChartMimicMetric
from visioncode_plot.executor import MatplotlibExecutor
from visioncode_plot.plot2code import Plot2CodeMetric
from visioncode_plot.renderer import MatplotlibRenderer

DRAWS = ("import matplotlib.pyplot as plt\nplt.figure(figsize=(2, 2))\n"
         "plt.bar(['a', 'b'], [1, 2], color='#1f77b4')\nplt.title('bars')\n")
EMPTY = "import matplotlib.pyplot as plt\nplt.figure(figsize=(3, 2))\nplt.axis('off')\n"


def program_execution(source: str, workdir: Path) -> Execution:
    """What the executor leaves for the renderer: the program as its artifact."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "program.py"
    path.write_text(source)
    return Execution(status="ok", program=source, artifacts={"program": path})


class TestMatplotlibExecutor(ExecutorContract):
    component = MatplotlibExecutor
    name = "matplotlib"
    options = {"workers": 1}
    program = DRAWS
    fence = "python"
    bad_programs = {"import matplotlib.pyplot as plt\nplt.plot([1, 2]\n": "syntax_error",
                    "print('no chart')\n": "no_figure",
                    "import matplotlib.pyplot as plt\nplt.plot(undefined)\n": "error"}
    slow_program = "import matplotlib.pyplot as plt\nplt.plot([1])\nwhile True:\n    pass\n"
    time_limit_options = {"workers": 1, "limits": {"wall_time_s": 2}}
    time_limit_s = 2.0

    @pytest.fixture
    def subject(self, executor: MatplotlibExecutor) -> MatplotlibExecutor:
        return executor  # the session's warm worker, instead of a new one per check


class TestMatplotlibRenderer(RendererContract):
    component = MatplotlibRenderer
    name = "matplotlib"
    artifact_roles = ("program",)

    @pytest.fixture
    def subject(self, renderer: MatplotlibRenderer) -> MatplotlibRenderer:
        return renderer

    def execution(self, workdir: Path) -> Execution:
        return program_execution(DRAWS, workdir)

    def empty_execution(self, workdir: Path) -> Execution:
        return program_execution(EMPTY, workdir)


class _ChartMetric(MetricContract):
    compares_images = False
    program = DRAWS

    def sample(self, tmp_path: Path) -> Sample:
        sample = super().sample(tmp_path)
        reference = tmp_path / "reference.py"
        reference.write_text(DRAWS)
        return sample.model_copy(update={"reference_program": reference})


class TestChartMimic(_ChartMetric):
    component = ChartMimicMetric
    name = "chartmimic"

    @pytest.fixture
    def subject(self, chartmimic: ChartMimicMetric) -> Any:
        return chartmimic


class TestPlot2Code(_ChartMetric):
    component = Plot2CodeMetric
    name = "plot2code"

    @pytest.fixture
    def subject(self, plot2code: Plot2CodeMetric) -> Any:
        return plot2code
