"""Several samples in flight per worker (`run.samples_per_worker`): the same records as
one at a time, each with its own usage and stage timings, in-process and in a pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from visioncode.config import load_config
from visioncode.runner import Runner
from visioncode.store import RunStore


def comparable(out: Path) -> dict[str, tuple]:
    return {r.sample_id: (r.status, r.rounds[0].program,
                          {k: s.values for k, s in r.scores.items()}, r.usage.calls)
            for r in RunStore(out).load()}


def run(cfg: Path, out: Path, **overrides: object) -> None:
    overrides.setdefault("run.render_cache", False)
    Runner(load_config(cfg, overrides), out).run(console="quiet")


@pytest.mark.slow
def test_threads_in_process_give_the_same_records(small_config: Path, tmp_path: Path) -> None:
    run(small_config, tmp_path / "serial")
    run(small_config, tmp_path / "threads", **{"run.samples_per_worker": 3})
    assert comparable(tmp_path / "serial") == comparable(tmp_path / "threads")
    for r in RunStore(tmp_path / "threads").load():
        # timings and usage are the sample's own, not a mix of the samples in flight
        assert r.usage.calls == 1
        assert set(r.rounds[0].timings) >= {"generate", "execute", "render", "score"}
        assert r.rounds[0].timings["render"] < r.timings["total"]


@pytest.mark.slow
def test_threads_in_a_process_pool(small_config: Path, tmp_path: Path) -> None:
    run(small_config, tmp_path / "serial")
    run(small_config, tmp_path / "pool", **{"run.workers": 2, "run.samples_per_worker": 2})
    assert comparable(tmp_path / "serial") == comparable(tmp_path / "pool")
    assert len({r.worker for r in RunStore(tmp_path / "pool").load()}) == 2


def test_execution_settings_leave_the_config_hash_alone(small_config: Path) -> None:
    base = load_config(small_config).hash
    assert load_config(small_config, {"run.backend": "ray", "run.samples_per_worker": 4,
                                      "run.render_cache": False}).hash == base


def test_every_per_sample_attribute_is_kept_per_thread() -> None:
    """Pipeline state that run_sample resets per sample must be thread-local in
    SharedPipeline, or samples in flight together would mix their usage or plans."""
    import inspect
    import re

    from visioncode.pipeline import Pipeline
    from visioncode.runner import SharedPipeline

    source = inspect.getsource(Pipeline.run_sample)
    assigned = set(re.findall(r"self\.(_\w+)\s*(?:\+)?=", source))
    assert assigned and assigned <= set(SharedPipeline.PER_SAMPLE), assigned
