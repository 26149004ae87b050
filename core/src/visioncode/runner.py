"""Runs a pipeline over a dataset: in this process (`workers=1`), a process pool, or a Ray
cluster (`run.backend = "ray"`, `visioncode.backends.ray`). Each worker builds its own
Pipeline once, so its components start their warm workers once (one renderer process,
Manim import, browser or Blender per worker: the pool per executor kind is the pool of
runner workers, sized by `--workers`), and returns records that only the parent writes.
With `run.samples_per_worker` above 1 a worker runs that many samples at once in threads
(`SharedPipeline`), so model calls overlap renders. Resume skips samples already
recorded; an interrupt loses at most the samples in flight."""

from __future__ import annotations

import contextvars
import os
import platform
import shutil
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context, util
from pathlib import Path
from typing import Any

import structlog

from . import logs, registry
from .config import LoadedConfig, validate
from .errors import DatasetError, RunDirError
from .pipeline import Pipeline, T
from .records import RunManifest, SampleRecord
from .samples import Sample, load_manifest
from .sandbox import hide_config_secrets, writable_folders
from .scoring import Score
from .store import RunStore
from .summary import RunSummary, summarize, to_markdown
from .tracing import TracePlugin

log = structlog.get_logger()

Progress = Callable[[SampleRecord, int, int], None]


#: Sample fields that name images: each is opened (its header read) before a run starts.
IMAGE_FIELDS = ("image", "images", "reference_image", "reference_images")


def load_dataset(path: Path, limit: int | None = None) -> list[Sample]:
    """The samples of a manifest (the first `limit`), after the checks `run` and
    `validate` share: every line parses (`load_manifest`, which stops at the first bad
    line) and every image a sample names opens as an image. Unreadable images are all
    reported at once, each as `file:line: field NAME: ...`, before any sample runs."""
    from PIL import Image, UnidentifiedImageError

    samples = list(load_manifest(path))
    samples = samples[:limit] if limit else samples
    with path.open("rb") as fh:  # the manifest line of each sample (blank lines skipped)
        lines = [n for n, data in enumerate(fh, 1) if data.strip()]
    problems = []
    for sample, lineno in zip(samples, lines, strict=False):
        for name, file in sample.file_fields():
            if name.split(".")[0] not in IMAGE_FIELDS:
                continue
            try:
                with Image.open(file) as img:
                    img.size  # noqa: B018 (the header is read; pixels are not decoded)
            except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                problems.append(f"{path}:{lineno}: field {name}: cannot be read as an "
                                f"image: {file}: {why}")
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"]
                                 if len(problems) > 20 else [])
        raise DatasetError("\n".join(shown))
    return samples


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
                 limit: int | None = None, plugins: list[Any] | None = None) -> None:
        """`plugins`: hook plugins registered with the pipelines built in this process
        (e.g. `progress.StageTracker`); worker processes and Ray actors do not get them."""
        self.loaded = loaded
        self.plugins = plugins or []
        self.store = RunStore(run_dir)
        self.workers = workers or loaded.config.run.workers
        self.per_worker = loaded.config.run.samples_per_worker
        self.limit = limit if limit is not None else loaded.config.dataset.limit
        #: The pipeline `_manifest` built, kept for an in-process run's samples.
        self._kept: Pipeline | None = None
        self._samples: list[Sample] | None = None

    def samples(self) -> list[Sample]:
        if self._samples is None:
            self._samples = load_dataset(self.loaded.config.dataset.path, self.limit)
        return self._samples

    def run(self, *, resume: bool = False, progress: Progress | None = None,
            console: str = "human", verbose: bool = False,
            retry_errors: bool = False) -> RunSummary:
        self.store.check_location()  # --out (or run.out) at or under a file
        samples = self.samples()  # a bad dataset fails here, before anything is written
        if resume:
            self.store.check_resumable(self.loaded.hash)
        elif self.store.exists():
            raise RunDirError(
                f"{self.store.dir} already holds a run; pass --resume to continue it, or "
                f"choose another --out")
        elif self.store.dir.exists() and any(self.store.dir.iterdir()):
            raise RunDirError(
                f"{self.store.dir} is a folder that is not a visioncode run (no run.json) "
                f"and is not empty; choose another --out, or a new or empty folder")
        else:
            # The kept pipeline's components may start workers now: they must be able to
            # write the artifacts folder, as those started during the run can.
            made = [d for d in (self.store.dir, self.store.artifacts) if not d.exists()]
            self.store.artifacts.mkdir(parents=True, exist_ok=True)
            try:
                with writable_folders(self.store.artifacts):
                    manifest = self._manifest()
            except BaseException:
                for d in reversed(made):  # leave no half-made run directory behind
                    shutil.rmtree(d, ignore_errors=True)
                raise
            self.store.create(manifest, self.loaded.config.model_dump(mode="json"))
        run_id = self.store.manifest().run_id
        logs.configure(self.store.dir / "log.jsonl", console=console, verbose=verbose)
        structlog.contextvars.bind_contextvars(run_id=run_id)

        done = self.store.finished(retry_errors=retry_errors)
        todo = [s for s in samples if s.id not in done]
        log.info("run.start", samples=len(samples), skipped=len(samples) - len(todo),
                 workers=self.workers, run_dir=str(self.store.dir))
        total = len(todo)
        start = time.perf_counter()
        # Keys files the config names are hidden from every sandboxed child.
        source = self.loaded.source
        hide_config_secrets(self.loaded.config.model_dump(mode="json"),
                            source.parent if source is not None else Path.cwd())
        # Sandboxed children (warm workers too) may write each sample's outputs there.
        try:
            with writable_folders(self.store.artifacts):
                for i, record in enumerate(self._execute(todo, run_id, console, verbose), 1):
                    self.store.append(record)
                    if progress:
                        progress(record, i, total)
        finally:
            self.store.sync()
            if self._kept is not None:  # an interrupted run never reached _execute
                self._kept.close()
                self._kept = None
            structlog.contextvars.unbind_contextvars("run_id")
        wanted = {s.id for s in samples}
        records = [r for r in self.store.load() if r.sample_id in wanted]
        summary = summarize(records)
        self.store.write_text("summary.json", summary.model_dump_json(indent=2))
        self.store.write_text("summary.md", to_markdown(summary, title=self.store.dir.name))
        log.info("run.done", seconds=round(time.perf_counter() - start, 3),
                 ok=summary.ok, failed=summary.failed, errors=summary.errors)
        return summary

    def _in_process(self) -> bool:
        """Whether the samples run on one Pipeline in this process."""
        return (self.loaded.config.run.backend == "local" and self.per_worker == 1
                and (self.workers == 1 or len(self.samples()) == 1))

    def _manifest(self) -> RunManifest:
        # Building the pipeline validates that every component starts. A run in this
        # process keeps it for its samples instead of starting every component twice.
        pipeline = Pipeline(self.loaded, self.plugins if self._in_process() else None)
        try:
            components = pipeline.info()
        except BaseException:
            pipeline.close()
            raise
        if self._in_process():
            self._kept = pipeline
        else:
            pipeline.close()
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
        if self.loaded.config.run.backend == "ray":
            from .backends.ray import run_on_ray

            yield from run_on_ray(self.loaded, todo, artifacts, workers=self.workers,
                                  run_id=run_id)
            return
        if self.workers == 1 or len(todo) == 1:
            if self.per_worker == 1:
                kept, self._kept = self._kept, None
                with kept or Pipeline(self.loaded, self.plugins) as pipeline:
                    for sample in todo:
                        yield pipeline.run_sample(sample, artifacts / sample.id)
            else:
                with SharedPipeline(self.loaded, self.plugins) as shared:
                    yield from run_threaded(shared, todo, artifacts, self.per_worker)
            return
        config = self.loaded.config.model_dump(mode="json")
        source = str(self.loaded.source) if self.loaded.source else None
        initargs = (config, source, str(self.store.dir / "log.jsonl"), run_id, console,
                    verbose)
        # A task is a batch of `samples_per_worker` samples, which the worker runs at once.
        batches = _batches(todo, self.per_worker)
        while True:
            lost = yield from self._pool_pass(batches, min(self.workers, len(todo)),
                                              initargs)
            if not lost:
                return
            # A worker process died (killed, out of memory): the samples it may have been
            # running run again one at a time, so one that kills its worker again is
            # recorded as an error and the others finish; then the rest go on.
            for sample in [s for batch in lost for s in batch]:
                if (yield from self._pool_pass(iter([[sample]]), 1, initargs)):
                    yield _worker_died(sample)

    def _pool_pass(self, batches: Iterator[list[Sample]], workers: int,
                   initargs: tuple[Any, ...]
                   ) -> Generator[SampleRecord, None, list[list[Sample]]]:
        """Run batches on a fresh process pool until they run out or a worker process
        dies; return the batches that were in flight when it died (none: all done)."""
        first = next(batches, None)
        if first is None:
            return []
        artifacts = self.store.artifacts
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                   initializer=_init_worker, initargs=initargs)
        pending: dict[Future[list[dict[str, Any]]], list[Sample]] = {}
        lost: list[list[Sample]] = []

        def submit(batch: list[Sample]) -> None:
            try:
                fut = pool.submit(_work, [s.model_dump(mode="json") for s in batch],
                                  [str(artifacts / s.id) for s in batch])
            except BrokenProcessPool:
                lost.append(batch)
            else:
                pending[fut] = batch

        try:
            # Keep at most 2 batches per worker in flight so an interrupt loses little.
            batch: list[Sample] | None = first
            while batch is not None:
                submit(batch)
                if len(pending) >= 2 * workers:
                    break
                batch = next(batches, None)
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    done = pending.pop(fut)
                    try:
                        results = fut.result()
                    except BrokenProcessPool:
                        lost.append(done)
                        continue
                    for data in results:
                        yield SampleRecord.model_validate(data)
                    if not lost and (nxt := next(batches, None)) is not None:
                        submit(nxt)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if lost:
            log.warning("run.worker_died", samples=[s.id for b in lost for s in b])
        return lost


def _worker_died(sample: Sample) -> SampleRecord:
    now = time.time()
    return SampleRecord(
        sample_id=sample.id, status="error", reason="worker_died", meta=sample.meta,
        started_at=now, finished_at=now,
        error="the worker process running this sample died twice (killed by a signal or "
              "the out-of-memory killer), once with other samples in flight and once "
              "alone; the other samples were not affected. Rerun it with --resume "
              "--retry-errors.")


def _batches(todo: list[Sample], size: int) -> Iterator[list[Sample]]:
    for i in range(0, len(todo), size):
        yield todo[i:i + size]


# -- several samples at once in one process -------------------------------------------


class _ThreadTrace(TracePlugin):
    """TracePlugin whose timings belong to the thread (the sample) that made the calls."""

    def __init__(self) -> None:
        self._local = threading.local()
        super().__init__()

    @property
    def timings(self) -> dict[str, float]:
        if not hasattr(self._local, "timings"):
            self._local.timings = {}
        return self._local.timings  # type: ignore[no-any-return]

    @timings.setter
    def timings(self, value: dict[str, float]) -> None:
        self._local.timings = value


def _per_thread(name: str) -> property:
    def get(self: SharedPipeline) -> Any:
        return getattr(self._state, name, self._defaults.get(name))

    def put(self: SharedPipeline, value: Any) -> None:
        setattr(self._state, name, value)

    return property(get, put)


class SharedPipeline(Pipeline):
    """A Pipeline several threads run samples on at once: the per-sample state (usage,
    plan, stage timings) is kept per thread, and every component call but a model's is
    made one at a time per stage, because renderers, executors and metrics own single
    warm workers and are not required to be thread-safe. Model calls (the slow, I/O-bound
    part) run concurrently; `ModelCalls` and its cache are thread-safe."""

    #: Attributes `Pipeline.run_sample` sets for the sample it runs.
    PER_SAMPLE = ("_usage", "_plan")

    def __init__(self, loaded: LoadedConfig, plugins: list[Any] | None = None) -> None:
        self._state = threading.local()
        self._defaults: dict[str, Any] = {}
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._locks_lock = threading.Lock()
        super().__init__(loaded, plugins)
        for name in self.PER_SAMPLE:
            self._defaults[name] = getattr(self, name, None)
        self.pm.unregister(self.trace)
        self.trace = _ThreadTrace()
        self.pm.register(self.trace, name="visioncode.trace")

    def _lock(self, stage: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks[stage]

    def _call(self, slot: str, hook: str, expected: type[T], **kwargs: Any) -> T:
        if hook == "visioncode_generate":
            return super()._call(slot, hook, expected, **kwargs)
        with self._lock(slot):
            return super()._call(slot, hook, expected, **kwargs)

    def score(self, sample: Sample, result: Any) -> dict[str, Score]:
        with self._lock("metrics"):
            return super().score(sample, result)


for _name in SharedPipeline.PER_SAMPLE:
    setattr(SharedPipeline, _name, _per_thread(_name))


def run_threaded(pipeline: Pipeline, samples: list[Sample], artifacts: Path,
                 threads: int) -> Iterator[SampleRecord]:
    """Run `samples` on `pipeline` with `threads` in flight, yielding records as they
    finish. Each sample runs in a copy of the caller's log context (run id, worker)."""
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sample") as pool:
        pending = set()
        queue = iter(samples)

        def submit(sample: Sample) -> None:
            ctx = contextvars.copy_context()
            pending.add(pool.submit(ctx.run, pipeline.run_sample, sample,
                                    artifacts / sample.id))

        for sample in queue:
            submit(sample)
            if len(pending) >= threads:
                break
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    yield fut.result()
                    nxt = next(queue, None)
                    if nxt is not None:
                        submit(nxt)
        finally:
            for fut in pending:
                fut.cancel()


# -- worker-process side ----------------------------------------------------------------

_pipeline: Pipeline | None = None
_threads = 1


def _init_worker(config: dict[str, Any], source: str | None, log_file: str, run_id: str,
                 console: str, verbose: bool) -> None:
    global _pipeline, _threads
    logs.configure(Path(log_file), console="quiet" if console == "quiet" else console,
                   verbose=verbose)
    structlog.contextvars.bind_contextvars(run_id=run_id, worker=os.getpid())
    loaded = validate(config, source=Path(source) if source else None)
    _threads = loaded.config.run.samples_per_worker
    _pipeline = SharedPipeline(loaded) if _threads > 1 else Pipeline(loaded)
    util.Finalize(None, _pipeline.close, exitpriority=10)


def _work(samples: list[dict[str, Any]], workdirs: list[str]) -> list[dict[str, Any]]:
    """Run a batch of samples (at once when the pipeline is shared by threads)."""
    assert _pipeline is not None, "worker not initialised"
    batch = [Sample.model_validate(s) for s in samples]
    if _threads > 1 and len(batch) > 1:
        by_id = {s.id: Path(w) for s, w in zip(batch, workdirs, strict=True)}
        records = _run_with_dirs(_pipeline, batch, by_id)
    else:
        records = [_pipeline.run_sample(s, Path(w))
                   for s, w in zip(batch, workdirs, strict=True)]
    out = []
    for record in records:
        record.worker = os.getpid()
        out.append(record.model_dump(mode="json"))
    return out


def _run_with_dirs(pipeline: Pipeline, batch: list[Sample],
                   dirs: dict[str, Path]) -> list[SampleRecord]:
    with ThreadPoolExecutor(max_workers=len(batch), thread_name_prefix="sample") as pool:
        futures = [pool.submit(contextvars.copy_context().run, pipeline.run_sample, s,
                               dirs[s.id]) for s in batch]
        return [f.result() for f in futures]
