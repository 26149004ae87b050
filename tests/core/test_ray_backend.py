"""`run.backend = "ray"` on a local Ray instance the test starts: the same run directory,
records and summary as a local run (timings and worker ids aside), and resume."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from visioncode.config import load_config
from visioncode.runner import Runner
from visioncode.store import RunStore

ray = pytest.importorskip("ray", reason="the ray extra is not installed "
                                        "(scripts/setup.d/50-ray.sh installs it)")

pytestmark = pytest.mark.slow

#: Fields that differ between any two runs (when, how long, which process).
VOLATILE = {"timings", "started_at", "finished_at", "worker", "duration_s", "latency_s",
            "render_s", "worker_started"}


def stable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: stable(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [stable(v) for v in obj]
    return obj


def records(out: Path) -> dict[str, Any]:
    return {r.sample_id: stable(r.model_dump(mode="json")) for r in RunStore(out).load()}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=80 * 1024 * 1024,
             log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def run(cfg: Path, out: Path, resume: bool = False, **overrides: object):
    overrides.setdefault("run.render_cache", False)
    return Runner(load_config(cfg, overrides), out).run(resume=resume, console="quiet")


def test_ray_run_equals_local_run(local_ray: None, small_config: Path,
                                  tmp_path: Path) -> None:
    local = run(small_config, tmp_path / "local")
    remote = run(small_config, tmp_path / "ray", **{"run.backend": "ray", "run.workers": 2})
    assert records(tmp_path / "ray") == records(tmp_path / "local")
    assert remote.metrics == local.metrics and remote.ok == 4
    # the files came back into the run directory, at the paths the records name
    for r in RunStore(tmp_path / "ray").load():
        image = r.rounds[0].rendering.images[0]  # type: ignore[union-attr]
        assert not image.is_absolute() and (tmp_path / "ray" / image).is_file()
        assert (tmp_path / "ray" / "artifacts" / r.sample_id / "round-0" / "output.txt"
                ).read_bytes() == (tmp_path / "local" / "artifacts" / r.sample_id /
                                   "round-0" / "output.txt").read_bytes()
    workers = {r.worker for r in RunStore(tmp_path / "ray").load()}
    assert len(workers) == 2
    assert json.loads((tmp_path / "ray" / "summary.json").read_text())["samples"] == 4


def test_ray_run_resumes(local_ray: None, small_config: Path, tmp_path: Path) -> None:
    ray_set = {"run.backend": "ray", "run.workers": 2, "run.samples_per_worker": 2,
               "run.render_cache": False}
    first = Runner(load_config(small_config, ray_set), tmp_path / "ray", limit=2)
    assert first.run(console="quiet").samples == 2
    again = run(small_config, tmp_path / "ray", resume=True, **ray_set)
    assert again.samples == 4
    run(small_config, tmp_path / "local")
    assert records(tmp_path / "ray") == records(tmp_path / "local")
