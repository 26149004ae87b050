"""Shared, warm chart components (one executor, renderer and metric pair per session: each
worker imports matplotlib once) and the example's reference programs."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from visioncode import Execution, RenderSpec, RoundRecord

from ..conftest import ROOT

EXAMPLE = ROOT / "examples" / "chart2code"


def example_module(stem: str) -> ModuleType:
    """A module of the chart2code example under a name of its own (`chart2code_<stem>`):
    other examples have `programs` and `make_dataset` modules too."""
    name = f"chart2code_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, EXAMPLE / f"{stem}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


PROGRAMS: dict[str, str] = example_module("programs").PROGRAMS
program = example_module("programs").program

pytest.importorskip("matplotlib")

from visioncode_plot.chartmimic import ChartMimicMetric  # noqa: E402
from visioncode_plot.executor import MatplotlibExecutor, MatplotlibExecutorOptions  # noqa: E402
from visioncode_plot.plot2code import Plot2CodeMetric  # noqa: E402
from visioncode_plot.renderer import MatplotlibRenderer  # noqa: E402

__all__ = ["EXAMPLE", "PROGRAMS", "example_module", "program"]


@pytest.fixture(scope="session")
def executor() -> Iterator[MatplotlibExecutor]:
    ex = MatplotlibExecutor(MatplotlibExecutorOptions(
        workers=1, limits={"wall_time_s": 15, "memory_mb": 2048, "cpu_time_s": 30}))
    yield ex
    ex.close()


@pytest.fixture(scope="session")
def renderer() -> Iterator[MatplotlibRenderer]:
    r = MatplotlibRenderer(MatplotlibRenderer.Options(workers=1))
    yield r
    r.close()


@pytest.fixture(scope="session")
def chartmimic() -> Iterator[ChartMimicMetric]:
    m = ChartMimicMetric()
    yield m
    m.close()


@pytest.fixture(scope="session")
def plot2code() -> Iterator[Plot2CodeMetric]:
    m = Plot2CodeMetric()
    yield m
    m.close()


@pytest.fixture
def run(executor: MatplotlibExecutor, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Execute a program in a fresh folder: run(program) -> Execution."""
    count = iter(range(1000))

    def go(source: str) -> Execution:
        return executor.execute(source, tmp_path / f"run-{next(count)}")

    return go


def round_of(execution: Execution, rendering=None) -> RoundRecord:  # type: ignore[no-untyped-def]
    status = "ok" if execution.ok else execution.status
    return RoundRecord(round=0, status=status, execution=execution, rendering=rendering)


SPEC = RenderSpec(width=200, height=150)
