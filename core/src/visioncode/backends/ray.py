"""`run.backend = "ray"`: the samples of a run distributed over a Ray cluster.

Each worker is a Ray actor that builds the pipeline once (warm components, as a local
worker process does) and runs batches of samples in a node-local scratch folder. It sends
back each record with the files of the sample's folder, and the parent writes both into
the run directory, so a Ray run has the same layout, resume and results as a local one
and needs no shared file system. The parent alone writes records, as locally.

`run.address` names the cluster (`auto`, `ray://head:10001`); without one, a Ray
instance already initialised in this process is used, else a local one is started for the
run and stopped after it. Every node needs visioncode and the pipeline's plugins
installed, and the dataset's files at the same paths. Ray is imported only here
(`pip install 'visioncode[ray]'`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import structlog

from ..config import LoadedConfig, validate
from ..errors import VisioncodeError
from ..records import SampleRecord
from ..samples import Sample

log = structlog.get_logger()

#: CPUs a worker actor reserves on its node.
ACTOR_CPUS = 1.0


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise VisioncodeError(
            'run.backend = "ray" needs Ray: pip install "visioncode[ray]" (or '
            "bash scripts/setup, which installs it)") from None
    return ray


class SampleWorker:
    """The actor: one pipeline, built once; `run` runs a batch of samples."""

    def __init__(self, config: dict[str, Any], source: str | None, run_id: str,
                 log_file: str) -> None:
        from .. import logs
        from ..pipeline import Pipeline
        from ..runner import SharedPipeline

        path = Path(log_file)
        logs.configure(path if path.parent.is_dir() else None, console="quiet")
        structlog.contextvars.bind_contextvars(run_id=run_id, worker=os.getpid())
        loaded = validate(config, source=Path(source) if source else None)
        self.threads = loaded.config.run.samples_per_worker
        self.pipeline = SharedPipeline(loaded) if self.threads > 1 else Pipeline(loaded)
        self.scratch = Path(tempfile.mkdtemp(prefix="visioncode-ray-"))

    def run(self, samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Records (JSON) with `files`: every file of the sample's folder, by relative
        name, and `workdir`: the folder the record's paths point into."""
        from ..runner import run_threaded

        batch = [Sample.model_validate(s) for s in samples]
        if self.threads > 1 and len(batch) > 1:
            records = list(run_threaded(self.pipeline, batch, self.scratch, self.threads))
        else:
            records = [self.pipeline.run_sample(s, self.scratch / s.id) for s in batch]
        out = []
        for record in records:
            record.worker = os.getpid()
            workdir = self.scratch / record.sample_id
            files = {str(p.relative_to(workdir)): p.read_bytes()
                     for p in sorted(workdir.rglob("*")) if p.is_file()}
            shutil.rmtree(workdir, ignore_errors=True)
            out.append({"record": record.model_dump(mode="json"), "files": files,
                        "workdir": str(workdir)})
        return out

    def close(self) -> None:
        self.pipeline.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def land(result: dict[str, Any], artifacts: Path) -> SampleRecord:
    """Write a worker's files under `artifacts/<sample>` and point the record there."""
    record = result["record"]
    dest = artifacts / record["sample_id"]
    if dest.exists():  # leftovers of an interrupted attempt
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for rel, data in result["files"].items():
        target = (dest / rel).resolve()
        if not target.is_relative_to(dest.resolve()):
            raise VisioncodeError(f"worker sent a file outside its sample folder: {rel}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return SampleRecord.model_validate(_moved(record, result["workdir"], str(dest)))


def _moved(obj: Any, old: str, new: str) -> Any:
    if isinstance(obj, str):
        return new + obj[len(old):] if obj == old or obj.startswith(old + os.sep) else obj
    if isinstance(obj, dict):
        return {k: _moved(v, old, new) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_moved(v, old, new) for v in obj]
    return obj


def run_on_ray(loaded: LoadedConfig, todo: list[Sample], artifacts: Path, *, workers: int,
               run_id: str) -> Iterator[SampleRecord]:
    """Records of `todo`, as the actors finish them (at most two batches per actor in
    flight, so an interrupt loses little)."""
    ray = _ray()
    spec = loaded.config.run
    started_here = False
    if spec.address is not None or not ray.is_initialized():
        ray.init(address=spec.address, include_dashboard=False, log_to_driver=False,
                 ignore_reinit_error=True, configure_logging=False)
        started_here = True
    actor_cls = ray.remote(num_cpus=ACTOR_CPUS)(SampleWorker)
    n = min(workers, len(todo))
    config = loaded.config.model_dump(mode="json")
    source = str(loaded.source) if loaded.source else None
    log_file = str(artifacts.parent / "log.jsonl")
    actors = [actor_cls.remote(config, source, run_id, log_file) for _ in range(n)]
    size = spec.samples_per_worker
    batches = iter([todo[i:i + size] for i in range(0, len(todo), size)])
    pending: dict[Any, Any] = {}

    def submit(actor: Any) -> bool:
        batch = next(batches, None)
        if batch is None:
            return False
        pending[actor.run.remote([s.model_dump(mode="json") for s in batch])] = actor
        return True

    log.info("ray.start", actors=n, address=spec.address or "local")
    try:
        for actor in actors:
            submit(actor) and submit(actor)
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                actor = pending.pop(ref)
                for result in ray.get(ref):
                    yield land(result, artifacts)
                submit(actor)
    finally:
        for ref in pending:
            try:
                ray.cancel(ref)
            except Exception as exc:  # already finished or its actor is gone
                log.debug("ray.cancel_failed", error=str(exc))
        for actor in actors:
            try:
                ray.get(actor.close.remote(), timeout=60)
            except Exception as exc:  # a dead actor has nothing left to close
                log.debug("ray.close_failed", error=str(exc))
            ray.kill(actor)
        if started_here:
            ray.shutdown()
