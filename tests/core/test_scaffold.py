"""`visioncode new-plugin`: for every kind, the generated package is pip-installed into a
temporary target (offline: no dependencies, no build isolation), its own tests (the
`visioncode.testing` contract suite of its kind and its behaviour tests) pass against the
installed package, and the example pipeline its README shows runs with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from visioncode.errors import VisioncodeError
from visioncode.scaffold import KINDS, generate
from visioncode.testing import tiny_dataset

from ..conftest import BIN


def run(args: list[str], cwd: Path, target: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One package per kind, generated and pip-installed together into one target
    (one pip start instead of five); returns (folder of the packages, target)."""
    started = time.perf_counter()
    dest = tmp_path_factory.mktemp("plugins")
    roots = [generate(f"demo-{kind}", kind, dest) for kind in KINDS]
    target = dest / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--no-build-isolation", "--target", str(target), *map(str, roots)],
                   check=True, capture_output=True, timeout=600)
    print(f"generated and installed {len(roots)} packages in "
          f"{time.perf_counter() - started:.1f}s")
    return dest, target


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
def test_generated_plugin_installs_passes_its_tests_and_runs(
    kind: str, installed: tuple[Path, Path], tmp_path: Path
) -> None:
    started = time.perf_counter()
    dest, target = installed
    name = f"demo-{kind}"
    root = dest / f"visioncode-{name}"
    package = "visioncode_" + name.replace("-", "_")
    entry_points = next(target.glob(f"{package}-*.dist-info")) / "entry_points.txt"
    assert f"{name} = {package}." in entry_points.read_text()

    # The package's own tests, against the installed copy (src/ is not on the path).
    tests = run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
                 "-W", "error::DeprecationWarning:" + package, "tests"], root, target)
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert "Contract::test_" in tests.stdout and "SKIPPED" not in tests.stdout

    # The README's commands: a tiny dataset, then the example pipeline.
    tiny_dataset(root / "example" / "dataset")
    out = tmp_path / "run"
    pipeline = run([str(BIN / "visioncode"), "run", "example/pipeline.toml", "--out",
                    str(out), "-q"], root, target)
    assert pipeline.returncode == 0, pipeline.stderr[-3000:]
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert len(records) == 3 and all(r["status"] == "ok" for r in records), records
    assert json.loads((out / "run.json").read_text())["distributions"][
        f"visioncode-{name}"] == "0.1.0"
    check_run(kind, name, records)
    print(f"{kind}: tests and pipeline in {time.perf_counter() - started:.1f}s")


def check_run(kind: str, name: str, records: list[dict]) -> None:  # type: ignore[type-arg]
    """What the pipeline's records show the plugin did."""
    last = [r["rounds"][-1] for r in records]
    if kind == "executor":
        assert all(r["execution"]["metadata"]["shapes"] == 1 for r in last)
    elif kind == "renderer":
        assert all(r["rendering"]["renderer"] == name for r in last)
    elif kind == "model":
        assert all(r["completion"]["model"] == name for r in last)
        assert all(r["scores"]["mse"]["values"]["mse"] < 0.2 for r in records)
    elif kind == "visual-prompter":
        first = [r["rounds"][0] for r in records]
        assert all("A1 (top left)" in r["prompted"]["legend"] for r in first)
        assert all(len(r["rounds"]) == 2 for r in records)
    elif kind == "metric":
        values = {r["sample_id"]: r["scores"][name]["values"]["histogram"] for r in records}
        # The answer is a red square like the first sample's: it matches that one best.
        assert max(values, key=values.__getitem__) == "0-square", values
        assert all(0.0 <= v <= 1.0 for v in values.values())


def test_command_creates_the_package(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from visioncode.cli import main

    res = CliRunner().invoke(main, ["new-plugin", "shapes", "--kind", "visual-prompter",
                                    "--dest", str(tmp_path)])
    assert res.exit_code == 0, res.output
    root = tmp_path / "visioncode-shapes"
    assert "visioncode.visual_prompters" in (root / "pyproject.toml").read_text()
    assert "class ShapesPrompter(VisualPrompter)" in (
        root / "src" / "visioncode_shapes" / "prompter.py").read_text()
    assert "class TestShapesPrompterContract(VisualPrompterContract)" in (
        root / "tests" / "test_prompter.py").read_text()
    readme = (root / "README.md").read_text()
    assert "__" not in readme.replace("__init__", "") and "a visual prompter" in readme


def test_bad_names_and_existing_folders_are_refused(tmp_path: Path) -> None:
    for bad in ("Shapes", "1shape", "a--b", "a_b", ""):
        with pytest.raises(VisioncodeError, match="lowercase"):
            generate(bad, "renderer", tmp_path)
    generate("shapes", "renderer", tmp_path)
    with pytest.raises(VisioncodeError, match="already exists"):
        generate("shapes", "renderer", tmp_path)
    with pytest.raises(VisioncodeError, match="unknown kind"):
        generate("shapes", "shader", tmp_path)
