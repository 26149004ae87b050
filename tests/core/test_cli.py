"""The command line as a user meets it: validate, run with a summary, resume the latest
run, and errors that are one clear line, never a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..conftest import BIN


def vc(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "visioncode"), *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_validate_prints_components_and_hash(small_config: Path) -> None:
    res = vc("validate", str(small_config))
    assert res.returncode == 0, res.stderr
    assert "renderer" in res.stdout and "cairosvg" in res.stdout
    assert "config hash" in res.stdout


def test_run_then_resume_latest(small_config: Path, tmp_path: Path) -> None:
    res = vc("run", str(small_config), "--limit", "2", "--set", "run.out=runs", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "success rate 100.0% (2/2)" in res.stdout
    assert "ssim" in res.stdout
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1
    res = vc("run", str(small_config), "--resume", "--set", "run.out=runs", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "(4/4)" in res.stdout
    assert list((tmp_path / "runs").iterdir()) == runs  # the same run directory
    assert len((runs[0] / "records.jsonl").read_text().splitlines()) == 4


def test_errors_are_one_clear_message(tmp_path: Path) -> None:
    res = vc("run", str(tmp_path / "missing.toml"))
    assert res.returncode == 2
    assert "missing.toml" in res.stderr and "not found" in res.stderr
    assert "Traceback" not in res.stderr
    res = vc("run", str(tmp_path / "missing.toml"), "--set", "oops")
    assert res.returncode == 2 and "KEY=VALUE" in res.stderr


def test_bad_dataset_line_names_file_line_and_field(small_config: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "data" / "samples.jsonl"
    with manifest.open("a") as fh:
        fh.write('{"id": "x/y", "image": "nowhere.png"}\n')
    res = vc("run", str(small_config), "--out", str(tmp_path / "run"))
    assert res.returncode == 2
    assert f"{manifest}:5: field id" in res.stderr
    assert not (tmp_path / "run").exists()
