"""Runs a pipeline over a dataset: in this process (`workers=1`) or a process pool, each
worker building its own Pipeline once (warm components) and returning records that only
the parent writes. Resume skips samples already recorded; an interrupt loses at most the
samples in flight."""

from __future__ import annotations

import os
import platform
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context, util
from pathlib import Path
from typing import Any

import structlog

from . import logs, registry
from .config import LoadedConfig, validate
from .errors import RunDirError
from .pipeline import Pipeline
from .records import RunManifest, SampleRecord
from .samples import Sample, load_manifest
from .store import RunStore
from .summary import RunSummary, summarize, to_markdown

log = structlog.get_logger()

Progress = Callable[[SampleRecord, int, int], None]


def default_run_dir(loaded: LoadedConfig) -> Path:
    stem = loaded.source.stem if loaded.source else loaded.config.task.name
    return loaded.config.run.out / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"


def latest_run_dir(loaded: LoadedConfig) -> Path | None:
    """The newest run directory made from this config, for `--resume` without `--out`."""
    root = loaded.config.run.out
    if not root.is_dir():
        return None
    candidates = []
    for d in root.iterdir():
        store = RunStore(d)
        if store.exists() and store.manifest().config_hash == loaded.hash:
            candidates.append(d)
    return max(candidates, key=lambda d: d.stat().st_mtime, default=None)


class Runner:
    def __init__(self, loaded: LoadedConfig, run_dir: Path, *, workers: int | None = None,
                 limit: int | None = None) -> None:
        self.loaded = loaded
        self.store = RunStore(run_dir)
        self.workers = workers or loaded.config.run.workers
        self.limit = limit if limit is not None else loaded.config.dataset.limit

    def samples(self) -> list[Sample]:
        samples = list(load_manifest(self.loaded.config.dataset.path))
        return samples[: self.limit] if self.limit else samples

    def run(self, *, resume: bool = False, progress: Progress | None = None,
            console: str = "human", verbose: bool = False,
            retry_errors: bool = False) -> RunSummary:
        samples = self.samples()  # a bad dataset fails here, before anything is written
        if resume:
            self.store.check_resumable(self.loaded.hash)
        elif self.store.exists() or (self.store.dir.exists() and any(self.store.dir.iterdir())):
            raise RunDirError(
                f"{self.store.dir} already exists; pass --resume to continue that run, or "
                f"choose another --out")
        else:
            self.store.create(self._manifest(), self.loaded.config.model_dump(mode="json"))
        run_id = self.store.manifest().run_id
        logs.configure(self.store.dir / "log.jsonl", console=console, verbose=verbose)
        structlog.contextvars.bind_contextvars(run_id=run_id)

        done = self.store.finished(retry_errors=retry_errors)
        todo = [s for s in samples if s.id not in done]
        log.info("run.start", samples=len(samples), skipped=len(samples) - len(todo),
                 workers=self.workers, run_dir=str(self.store.dir))
        total = len(todo)
        start = time.perf_counter()
        try:
            for i, record in enumerate(self._execute(todo, run_id, console, verbose), 1):
                self.store.append(record)
                if progress:
                    progress(record, i, total)
        finally:
            structlog.contextvars.unbind_contextvars("run_id")
        wanted = {s.id for s in samples}
        records = [r for r in self.store.load() if r.sample_id in wanted]
        summary = summarize(records)
        self.store.write_text("summary.json", summary.model_dump_json(indent=2))
        self.store.write_text("summary.md", to_markdown(summary, title=self.store.dir.name))
        log.info("run.done", seconds=round(time.perf_counter() - start, 3),
                 ok=summary.ok, failed=summary.failed, errors=summary.errors)
        return summary

    def _manifest(self) -> RunManifest:
        with Pipeline(self.loaded) as pipeline:  # validates that every component starts
            components = pipeline.info()
        return RunManifest(
            run_id=f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}",
            config_path=str(self.loaded.source or ""), config_hash=self.loaded.hash,
            created_at=time.time(), visioncode_version=registry._version("visioncode"),
            python=sys.version.split()[0], platform=platform.platform(),
            components=components, distributions=registry.distribution_versions(),
        )

    def _execute(self, todo: list[Sample], run_id: str, console: str,
                 verbose: bool) -> Iterable[SampleRecord]:
        if not todo:
            return
        artifacts = self.store.artifacts
        if self.workers == 1 or len(todo) == 1:
            with Pipeline(self.loaded) as pipeline:
                for sample in todo:
                    yield pipeline.run_sample(sample, artifacts / sample.id)
            return
        config = self.loaded.config.model_dump(mode="json")
        source = str(self.loaded.source) if self.loaded.source else None
        pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(todo)), mp_context=get_context("spawn"),
            initializer=_init_worker,
            initargs=(config, source, str(self.store.dir / "log.jsonl"), run_id, console,
                      verbose),
        )
        pending: set[Future[dict[str, Any]]] = set()
        queue = iter(todo)
        try:
            # Keep at most 2 samples per worker in flight so an interrupt loses little.
            for sample in queue:
                pending.add(pool.submit(_work, sample.model_dump(mode="json"),
                                        str(artifacts / sample.id)))
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    yield SampleRecord.model_validate(fut.result())
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending.add(pool.submit(_work, nxt.model_dump(mode="json"),
                                                str(artifacts / nxt.id)))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


# -- worker-process side ----------------------------------------------------------------

_pipeline: Pipeline | None = None


def _init_worker(config: dict[str, Any], source: str | None, log_file: str, run_id: str,
                 console: str, verbose: bool) -> None:
    global _pipeline
    logs.configure(Path(log_file), console="quiet" if console == "quiet" else console,
                   verbose=verbose)
    structlog.contextvars.bind_contextvars(run_id=run_id, worker=os.getpid())
    loaded = validate(config, source=Path(source) if source else None)
    _pipeline = Pipeline(loaded)
    util.Finalize(None, _pipeline.close, exitpriority=10)


def _work(sample: dict[str, Any], workdir: str) -> dict[str, Any]:
    assert _pipeline is not None, "worker not initialised"
    record = _pipeline.run_sample(Sample.model_validate(sample), Path(workdir))
    record.worker = os.getpid()
    return record.model_dump(mode="json")
