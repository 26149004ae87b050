"""`visioncode compare` on two synthetic run directories with a known difference: B is
A + 0.05 SSIM on every `icon` sample and A - 0.02 on every `shape` sample, and halves
the MSE everywhere (lower is better)."""

from __future__ import annotations

import json
import random
import subprocess
import time
from pathlib import Path

import pytest

from visioncode import Score
from visioncode.records import RunManifest, SampleRecord
from visioncode.store import RunStore

from ..conftest import BIN

SUBSETS = {f"s{i:02d}": ("icon" if i < 12 else "shape") for i in range(20)}


def _write_run(path: Path, manifest: Path, values: dict[str, tuple[float, float]],
               *, with_meta: bool) -> Path:
    store = RunStore(path)
    store.create(
        RunManifest(run_id=path.name, config_path="pipeline.toml", config_hash="x",
                    created_at=time.time(), visioncode_version="0", python="3",
                    platform="test", components=[]),
        {"dataset": {"path": str(manifest)}},
    )
    for sample_id, (ssim, mse) in values.items():
        store.append(SampleRecord(
            sample_id=sample_id, status="ok",
            meta={"subset": SUBSETS[sample_id]} if with_meta else {},
            scores={
                "ssim": Score(metric="ssim", values={"ssim": ssim},
                              higher_is_better={"ssim": True}, policy="blank"),
                "mse": Score(metric="mse", values={"mse": mse},
                             higher_is_better={"mse": False}, policy="blank"),
            }))
    return path


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    manifest = tmp_path / "samples.jsonl"
    manifest.write_text("".join(json.dumps({"id": s, "meta": {"subset": sub}}) + "\n"
                                for s, sub in SUBSETS.items()))
    rng = random.Random(5)
    a = {s: (rng.uniform(0.5, 0.9), rng.uniform(0.01, 0.1)) for s in SUBSETS}
    b = {s: (ssim + (0.05 if SUBSETS[s] == "icon" else -0.02), mse / 2)
         for s, (ssim, mse) in a.items()}
    del b["s19"]  # a sample B never ran
    return (_write_run(tmp_path / "run-a", manifest, a, with_meta=False),
            _write_run(tmp_path / "run-b", manifest, b, with_meta=True))


def vc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "visioncode"), *args], capture_output=True, text=True,
                          timeout=120)


def test_paired_comparison_finds_the_known_difference(runs: tuple[Path, Path]) -> None:
    res = vc("compare", str(runs[0]), str(runs[1]), "--by", "subset", "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["common_samples"] == 19
    rows = {(c["metric"], c["key"]): c for c in report["comparisons"]}
    ssim, mse = rows[("ssim", "ssim")], rows[("mse", "mse")]
    expected = (12 * 0.05 + 7 * -0.02) / 19
    assert ssim["n"] == 19 and ssim["mean_diff"] == pytest.approx(expected)
    assert ssim["ci_low"] <= expected <= ssim["ci_high"]
    assert (ssim["wins"], ssim["ties"], ssim["losses"]) == (12, 0, 7)
    assert (mse["wins"], mse["ties"], mse["losses"]) == (19, 0, 0)  # lower is better
    assert mse["mean_diff"] < 0 and mse["ci_high"] < 0
    icon = {c["metric"]: c for c in report["groups"]["icon"]}["ssim"]
    shape = {c["metric"]: c for c in report["groups"]["shape"]}["ssim"]
    assert icon["mean_diff"] == pytest.approx(0.05)
    assert icon["ci_low"] == pytest.approx(0.05) and icon["ci_high"] == pytest.approx(0.05)
    assert (shape["n"], shape["wins"], shape["losses"]) == (7, 0, 7)
    assert shape["mean_diff"] == pytest.approx(-0.02)


def test_single_run_breakdown_and_text_output(runs: tuple[Path, Path]) -> None:
    res = vc("compare", str(runs[0]), "--by", "meta.subset", "--metric", "ssim", "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert [m["metric"] for m in report["metrics"]] == ["ssim"]
    assert report["groups"]["icon"]["samples"] == 12
    assert report["groups"]["shape"]["metrics"][0]["n"] == 8
    text = vc("compare", str(runs[0]), str(runs[1]))
    assert text.returncode == 0, text.stderr
    assert "B against A" in text.stdout and "12/0/7" in text.stdout
    assert "common samples: 19" in text.stdout


def test_compare_errors_are_one_line(tmp_path: Path, runs: tuple[Path, Path]) -> None:
    res = vc("compare", str(tmp_path))
    assert res.returncode == 2 and "not a run directory" in res.stderr
    assert "Traceback" not in res.stderr
    res = vc("compare", str(runs[0]), "--metric", "nope")
    assert res.returncode == 2 and "no such value" in res.stderr
