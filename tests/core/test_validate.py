"""`validate` finds what `run` would hit, without running a sample: a dataset line that
is not JSON, a missing or unreadable image, a component whose method signature does not
match its kind, each named by file:line and field; and problems of both config passes
reported together."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import stage_pipeline
from .test_cli import vc


def test_a_line_that_is_not_json(small_config: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "data" / "samples.jsonl"
    with manifest.open("a") as fh:
        fh.write("{not json\n")
    res = vc("validate", str(small_config))
    assert res.returncode == 2, res.stdout
    assert f"{manifest}:5: not valid JSON" in res.stderr and "Traceback" not in res.stderr


def test_missing_and_unreadable_images(small_config: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "data" / "samples.jsonl"
    rows = [json.loads(x) for x in manifest.read_text().splitlines()]
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"this is not a PNG file")
    rows[1]["reference_image"] = str(broken)
    rows[3]["image"] = str(broken)
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for command in ("validate", "run"):
        res = vc(command, str(small_config), "--out", str(tmp_path / "run")) \
            if command == "run" else vc(command, str(small_config))
        assert res.returncode == 2, (command, res.stdout)
        assert f"{manifest}:2: field reference_image: cannot be read as an image: " \
               f"{broken}" in res.stderr
        assert f"{manifest}:4: field image: cannot be read as an image" in res.stderr
        assert "Traceback" not in res.stderr
    assert not (tmp_path / "run").exists()  # run stopped before it wrote anything
    rows[1]["reference_image"] = "nowhere.png"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = vc("validate", str(small_config))
    assert res.returncode == 2
    assert f"{manifest}:2: field reference_image: file not found" in res.stderr


def test_a_component_with_a_wrong_signature(stage_plugin: dict[str, str],
                                            tmp_path: Path) -> None:
    cfg = stage_pipeline(tmp_path, use_executor="stage-bad-signature")
    res = vc("validate", str(cfg), env=stage_plugin)
    assert res.returncode == 2, res.stdout
    assert f"{cfg}: executor.use: executor 'stage-bad-signature'" in res.stderr
    assert "does not match the executor contract" in res.stderr and "timeout" in res.stderr
    assert "Traceback" not in res.stderr
    good = stage_pipeline(tmp_path)
    res = vc("validate", str(good), env=stage_plugin)
    assert res.returncode == 0, res.stderr
    assert "1 samples" in res.stdout


def test_both_config_passes_are_reported_together(small_config: Path) -> None:
    text = small_config.read_text().replace('name = "img2svg"', 'name = "img2svg"\npromt = "x"')
    text += '\n[[metrics]]\nuse = "no-such-metric"\n'
    small_config.write_text(text)
    res = vc("validate", str(small_config))
    assert res.returncode == 2
    assert "task.promt: unknown field: did you mean 'prompt'?" in res.stderr
    assert "metrics[3].use: unknown metric 'no-such-metric'" in res.stderr
