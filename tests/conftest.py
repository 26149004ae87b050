"""Shared fixtures: paths of the repository, and small pipelines built on the example
dataset (real components: svg executor, cairosvg/resvg, vtracer, replay, metrics)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "img2svg"
BIN = Path(sys.executable).parent


def write_dataset(dest: Path, n: int | None = None, ids: list[str] | None = None) -> Path:
    """A manifest in `dest` with the first `n` (or the named) example samples."""
    rows = [json.loads(line) for line in (EXAMPLE / "dataset" / "samples.jsonl").open()]
    if ids is not None:
        rows = [r for r in rows if r["id"] in ids]
    rows = rows[:n] if n else rows
    for r in rows:
        for key in ("image", "reference_program"):
            r[key] = str(EXAMPLE / "dataset" / r[key])
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / "samples.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def pipeline_toml(dataset: Path, *, model: str = 'use = "vtracer"',
                  renderer: str = "cairosvg", extra: str = "", workers: int = 1,
                  metrics: tuple[str, ...] = ("render-success", "mse", "ssim")) -> str:
    metric_tables = "".join(f'\n[[metrics]]\nuse = "{m}"\n' for m in metrics)
    return f"""
[task]
name = "img2svg"
prompt = "Turn the image into SVG."

[dataset]
path = "{dataset}"

[model]
{model}

[executor]
use = "svg"

[renderer]
use = "{renderer}"

[render]
width = 128
height = 128

[run]
workers = {workers}
{extra}
{metric_tables}
"""


@pytest.fixture
def small_config(tmp_path: Path) -> Path:
    """A 4-sample vtracer pipeline in tmp_path/pipeline.toml."""
    dataset = write_dataset(tmp_path / "data", n=4)
    path = tmp_path / "pipeline.toml"
    path.write_text(pipeline_toml(dataset))
    return path


@pytest.fixture(autouse=True)
def private_model_state(tmp_path_factory: pytest.TempPathFactory,
                        monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own response cache, endpoint-slot folder and (absent) keys
    file, so no test reads or writes the user's ~/.cache or ~/.config, and a cache filled
    by one test never answers another. Worker processes inherit the variables."""
    root = tmp_path_factory.mktemp("model-state")
    monkeypatch.setenv("VISIONCODE_CACHE_DIR", str(root / "cache"))
    monkeypatch.setenv("VISIONCODE_SLOTS_DIR", str(root / "slots"))
    monkeypatch.setenv("VISIONCODE_KEYS_FILE", str(root / "keys.toml"))
    return root
