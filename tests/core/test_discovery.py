"""Discovery through real packaging: a throwaway distribution is built and pip-installed
into a temporary target, then found by entry points in a fresh process, used in a
pipeline, and a broken one is isolated to the runs that ask for it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ..conftest import BIN, ROOT, pipeline_toml, write_dataset

DOC = ROOT / "docs" / "writing-a-plugin.md"
BROKEN = "import visioncode_module_that_does_not_exist  # noqa: F401\n"


def doc_files() -> dict[str, str]:
    """The files of the example plugin, taken from the plugin-author guide."""
    text = DOC.read_text()
    return dict(re.findall(r"<!-- file: (\S+) -->\n```\w+\n(.*?)```", text, re.DOTALL))


@pytest.fixture(scope="module")
def throwaway(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build and install the throwaway distribution; return its install target."""
    root = tmp_path_factory.mktemp("throwaway")
    src = root / "src"
    (src / "vc_throwaway").mkdir(parents=True)
    files = doc_files()
    assert set(files) == {"pyproject.toml", "vc_throwaway/flat.py", "tests/test_mean_red.py"}
    assert "broken" not in files["pyproject.toml"]
    # Beside the guide's components, one that cannot be imported.
    flat = 'flat = "vc_throwaway.flat:FlatRenderer"\n'
    files["pyproject.toml"] = files["pyproject.toml"].replace(
        flat, flat + 'broken = "vc_throwaway.broken:BrokenRenderer"\n')
    files["vc_throwaway/broken.py"] = BROKEN
    files["vc_throwaway/__init__.py"] = ""
    (src / "tests").mkdir()
    for name, text in files.items():
        (src / name).write_text(text)
    target = root / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(src)], check=True, capture_output=True, timeout=300)
    assert (target / "visioncode_throwaway-9.8.7.dist-info" / "entry_points.txt").is_file()
    return target


def vc(target: Path, *args: str, env: dict[str, str] | None = None
       ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "visioncode"), *args], capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(target), **(env or {})})


def test_listing_finds_installed_plugin_without_importing_it(throwaway: Path) -> None:
    res = vc(throwaway, "plugins", "--json")
    assert res.returncode == 0, res.stderr
    entries = {(e["kind"], e["name"]): e for e in json.loads(res.stdout)}
    flat = entries[("renderer", "flat")]
    assert flat["distribution"] == "visioncode-throwaway" and flat["version"] == "9.8.7"
    assert ("metric", "mean-red") in entries
    assert flat["module"] == "vc_throwaway.flat" and flat["class"] == "FlatRenderer"
    # Listing does not import: the broken plugin is listed without an error.
    broken = entries[("renderer", "broken")]
    assert broken["error"] is None and broken["status"] == "listed" and broken["options"] is None


def test_check_reports_broken_plugin_with_distribution_and_cause(throwaway: Path) -> None:
    res = vc(throwaway, "plugins", "--json", "--check")
    assert res.returncode == 1  # a component failed to load
    entries = {(e["kind"], e["name"]): e for e in json.loads(res.stdout)}
    error = entries[("renderer", "broken")]["error"]
    assert "renderer 'broken'" in error
    assert "visioncode-throwaway 9.8.7" in error
    assert "No module named 'visioncode_module_that_does_not_exist'" in error
    assert entries[("renderer", "broken")]["status"] == "failed"
    flat = entries[("renderer", "flat")]
    assert flat["error"] is None and flat["status"] == "loaded"
    assert flat["summary"] == "Paints the whole canvas in `colour`, whatever the program says."
    assert flat["options"]["properties"]["colour"]["default"] == "#ff0000"
    assert flat["options"]["additionalProperties"] is False
    # The import failure names the plugin's file and line; -v adds the traceback.
    broken_py = throwaway / "vc_throwaway" / "broken.py"
    assert f"(at {broken_py}:1)" in error
    res = vc(throwaway, "plugins", "--check")
    assert res.returncode == 1
    assert "renderer broken: renderer 'broken'" in res.stderr
    assert f"(at {broken_py}:1)" in res.stderr and "Traceback" not in res.stderr
    res = vc(throwaway, "plugins", "--check", "-v")
    assert res.returncode == 1
    assert "Traceback (most recent call last)" in res.stderr and str(broken_py) in res.stderr


def test_pipeline_uses_installed_plugin_and_broken_one_is_isolated(
    throwaway: Path, tmp_path: Path
) -> None:
    ds = write_dataset(tmp_path / "d", n=2)
    cfg = tmp_path / "p.toml"
    cfg.write_text(pipeline_toml(ds, renderer='flat"\n[renderer.options]\ncolour = "#800000',
                                 metrics=("mean-red", "render-success")))
    res = vc(throwaway, "run", str(cfg), "--out", str(tmp_path / "run"), "-q")
    assert res.returncode == 0, res.stderr
    records = [json.loads(x) for x in (tmp_path / "run" / "records.jsonl").read_text().splitlines()]
    assert len(records) == 2
    for r in records:
        assert r["status"] == "ok"
        assert r["rounds"][0]["rendering"]["renderer"] == "flat"
        assert r["scores"]["mean-red"]["values"]["red"] == pytest.approx(128 / 255, abs=1e-3)
    manifest = json.loads((tmp_path / "run" / "run.json").read_text())
    assert manifest["distributions"]["visioncode-throwaway"] == "9.8.7"

    # The same machine, a run that asks for the broken plugin: a clear error, exit 2.
    cfg.write_text(pipeline_toml(ds, renderer="broken"))
    res = vc(throwaway, "run", str(cfg), "--out", str(tmp_path / "run2"), "-q")
    assert res.returncode == 2
    assert "renderer.use: renderer 'broken' (distribution visioncode-throwaway 9.8.7) " \
           "failed to load: ModuleNotFoundError" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "run2").exists()


def test_strict_mode_makes_any_load_failure_fatal(throwaway: Path, tmp_path: Path) -> None:
    ds = write_dataset(tmp_path / "d", n=1)
    cfg = tmp_path / "p.toml"
    cfg.write_text(pipeline_toml(ds, metrics=("render-success",)))
    assert vc(throwaway, "validate", str(cfg)).returncode == 0
    res = vc(throwaway, "--strict-plugins", "validate", str(cfg))
    assert res.returncode == 2 and "renderer 'broken'" in res.stderr
    res = vc(throwaway, "validate", str(cfg), env={"VISIONCODE_STRICT_PLUGINS": "1"})
    assert res.returncode == 2
    assert vc(throwaway, "--strict-plugins", "plugins").returncode == 1


def test_render_command_uses_a_named_renderer(throwaway: Path, tmp_path: Path) -> None:
    svg = tmp_path / "a.svg"
    svg.write_text(textwrap.dedent("""\
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">
          <rect width="10" height="5" fill="#0000ff"/></svg>"""))
    for renderer in ("cairosvg", "resvg", "flat"):
        out = tmp_path / f"{renderer}.png"
        res = vc(throwaway, "render", str(svg), "--renderer", renderer, "--width", "40",
                 "--height", "20", "-o", str(out))
        assert res.returncode == 0, res.stderr
        from PIL import Image

        img = Image.open(out).convert("RGB")
        assert img.size == (40, 20)
        expected = (255, 0, 0) if renderer == "flat" else (0, 0, 255)
        assert img.getpixel((20, 2)) == expected


def test_guide_test_file_passes_against_the_installed_plugin(throwaway: Path) -> None:
    """The guide's test module (a `visioncode.testing` contract suite) passes against the
    installed package."""
    tests = throwaway.parent / "src" / "tests"
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", str(tests)],
        capture_output=True, text=True, timeout=300, cwd=tests,
        env={**os.environ, "PYTHONPATH": str(throwaway)})
    assert res.returncode == 0, res.stdout[-3000:]
    assert "PASSED test_mean_red.py::TestMeanRed::test_failed_render_follows_the_failure_policy" \
        in res.stdout
    assert "PASSED test_mean_red.py::test_a_red_render_is_all_red" in res.stdout
