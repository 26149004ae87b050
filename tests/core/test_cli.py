"""The command line as a user meets it: validate, run with a summary, resume the latest
run, and errors that are one clear line, never a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..conftest import BIN
from .conftest import stage_pipeline


def vc(*args: str, cwd: Path | None = None,
       env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "visioncode"), *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env)


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


def test_exit_code_3_when_no_sample_is_scored(stage_plugin: dict[str, str],
                                              tmp_path: Path) -> None:
    cfg = stage_pipeline(tmp_path, renderer="fail = true", samples=2)
    res = vc("run", str(cfg), "--out", str(tmp_path / "run"), env=stage_plugin)
    assert res.returncode == 3, res.stderr
    assert "no sample was scored: all 2 failed or crashed" in res.stderr
    assert "Traceback" not in res.stderr
    # One sample that renders is enough for 0.
    good = stage_pipeline(tmp_path, samples=2)
    assert vc("run", str(good), "--out", str(tmp_path / "ok"), env=stage_plugin
              ).returncode == 0


def test_empty_dataset_exits_3(small_config: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    res = vc("run", str(small_config), "--set", f"dataset.path={empty}",
             "--out", str(tmp_path / "run"))
    assert res.returncode == 3
    assert f"nothing to run: the dataset {empty} has no samples" in res.stderr


def test_out_at_or_under_a_file_is_a_clean_error(small_config: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for args in (["--out", str(blocker)], ["--out", str(blocker / "run")],
                 ["--set", f"run.out={blocker}"]):
        res = vc("run", str(small_config), *args)
        assert res.returncode == 2, (args, res.stderr)
        assert "Traceback" not in res.stderr
        assert f"{blocker} " in res.stderr and "a file, not a folder" in res.stderr


def test_retry_errors_needs_resume(small_config: Path, tmp_path: Path) -> None:
    res = vc("run", str(small_config), "--retry-errors", "--out", str(tmp_path / "run"))
    assert res.returncode == 2
    assert "--retry-errors only applies to a resumed run: add --resume" in res.stderr
    assert not (tmp_path / "run").exists()


def test_a_folder_that_is_not_a_run_gets_the_right_hint(small_config: Path,
                                                        tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_text("")
    res = vc("run", str(small_config), "--out", str(folder))
    assert res.returncode == 2
    assert "is a folder that is not a visioncode run (no run.json)" in res.stderr
    assert "--resume" not in res.stderr
    res = vc("run", str(small_config), "--out", str(folder), "--resume")
    assert res.returncode == 2
    assert "not a run directory (no run.json)" in res.stderr
    assert "run without --resume" in res.stderr


def test_quiet_prints_one_result_line_and_pipes_get_progress_lines(
        small_config: Path, tmp_path: Path) -> None:
    res = vc("run", str(small_config), "-q", "--out", str(tmp_path / "q"))
    assert res.returncode == 0, res.stderr
    [line] = res.stdout.splitlines()
    assert "success rate 100.0% (4/4)" in line
    assert f"records: {tmp_path / 'q' / 'records.jsonl'}" in line
    assert res.stderr == ""
    # Not a terminal: plain progress lines (the first and the last sample at least).
    res = vc("run", str(small_config), "--out", str(tmp_path / "p"))
    assert res.returncode == 0, res.stderr
    progress = [x for x in res.stderr.splitlines() if x.startswith("progress ")]
    assert progress[0].startswith("progress 1/4 | ok 1 failed 0 error 0")
    assert progress[-1].startswith("progress 4/4 | ok 4 failed 0 error 0")
    assert "renders: 4 (" in res.stdout and "render cache" in res.stdout
