"""`RewardFunction`: a pipeline config's `[reward]` table as a callable for RL trainers.

    rf = RewardFunction("reward.toml")
    rf(prompts=..., completions=..., sample_id=[...])   # -> list[float], TRL's shape
    rf.score([RewardItem(sample_id=..., completion=...)])  # -> list[RewardResult]

A batch is spread over warm worker processes (`pool.WorkerPool`), each holding the
config's executor, renderer and metrics; results are cached by content (the config, the
reward table, the sample id and the completion), so the same completion for the same
sample gets the same reward without being rendered again.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from pathlib import Path
from typing import Any

from ..config import LoadedConfig, load_config
from ..errors import ConfigError, VisioncodeError
from ..samples import load_manifest
from .pool import WorkerPool
from .result import RewardItem, RewardResult
from .spec import RewardSpec

#: Statuses that depend on load or luck rather than on the completion: never cached.
TRANSIENT = frozenset({"timeout", "worker_died", "deadline", "error"})
#: Seconds a pool worker gets beyond `reward.timeout_s` before it is killed (the
#: renderer's own wall time, set to `timeout_s`, normally ends a hang first).
BACKSTOP_GRACE_S = 10.0


class RewardInputError(VisioncodeError, ValueError):
    """A reward call's arguments are wrong (unknown sample id, lengths that differ)."""


def completion_text(completion: Any) -> str:
    """The text of a completion as trainers pass it: a string, or a conversation (a list
    of `{"role", "content"}` messages, content a string or a list of parts) whose
    assistant messages are joined."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if isinstance(completion, list | tuple):
        texts = []
        for message in completion:
            if not isinstance(message, dict):
                raise RewardInputError(f"a conversational completion holds "
                                       f"{type(message).__name__}, expected message dicts")
            if message.get("role", "assistant") != "assistant":
                continue
            content = message.get("content", "")
            if isinstance(content, list):
                content = "".join(p.get("text", "") for p in content
                                  if isinstance(p, dict) and p.get("type", "text") == "text")
            texts.append(str(content))
        return "\n".join(texts)
    raise RewardInputError(f"a completion must be a string or a list of messages, got "
                           f"{type(completion).__name__}")


def reward_spec(loaded: LoadedConfig) -> RewardSpec:
    """The config's `[reward]` table, checked against its metrics and dataset."""
    where = str(loaded.source or "<config>")
    spec = loaded.config.reward
    if spec is None:
        raise ConfigError(where, [("reward", "missing: add a [reward] table with at least "
                                             "one [[reward.terms]] (docs/rewards.md)")])
    metrics = [m.use for m in loaded.config.metrics]
    problems = []
    for i, term in enumerate(spec.terms):
        if term.kind == "metric" and term.metric not in metrics:
            problems.append((f"reward.terms[{i}].metric",
                             f"{term.metric!r} is not a metric of this config "
                             f"([[metrics]]: {', '.join(metrics) or 'none'}); add it to "
                             "[[metrics]] or fix the name"))
    if problems:
        raise ConfigError(where, problems)
    if any(t.kind == "length" for t in spec.terms):
        missing = [s.id for s in load_manifest(loaded.config.dataset.path)
                   if s.reference_program is None]
        if missing:
            raise ConfigError(where, [("reward.terms", (
                f"the length term needs each sample's reference_program; "
                f"{len(missing)} sample(s) have none ({', '.join(missing[:5])}): add "
                "reference_program to the dataset or remove the length term"))])
    return spec


def prepared_config(loaded: LoadedConfig, timeout_s: float) -> dict[str, Any]:
    """The config the workers build: renders are not written to the render cache (the
    result cache covers repeats), and an executor or renderer with `limits` gets
    `timeout_s` as its wall time, so a hang is killed inside the worker."""
    data = loaded.config.model_dump(mode="json")
    data["run"]["render_cache"] = False
    for slot in ("executor", "renderer"):
        rc = loaded.component(slot)
        if rc is None or "limits" not in type(rc.options).model_fields:
            continue
        limits = getattr(rc.options, "limits", None)
        current = getattr(limits, "wall_time_s", None)
        if limits is None or current is None:
            continue
        options = data[slot].setdefault("options", {})
        options["limits"] = {**limits.model_dump(mode="json"),
                             "wall_time_s": min(float(current), timeout_s)}
    return data


class _ResultCache:
    """Least-recently-used map from a content key to a result (thread-safe)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[str, RewardResult] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str) -> RewardResult | None:
        with self._lock:
            found = self._data.get(key)
            if found is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: str, result: RewardResult) -> None:
        with self._lock:
            self._data[key] = result
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


class RewardFunction:
    """Rewards from a pipeline config with a `[reward]` table. Start once, call per step.

    `workers` overrides `reward.workers` (default: every core); `overrides` are dotted
    config paths, as `--set` gives them. Close it (or use `with`) to stop its workers."""

    def __init__(self, path: str | Path, *, workers: int | None = None,
                 overrides: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.loaded = load_config(self.path, overrides)
        self.spec = reward_spec(self.loaded)
        self.sample_ids = frozenset(s.id for s in load_manifest(
            self.loaded.config.dataset.path))
        #: TRL logs a reward function by its `__name__`.
        self.__name__ = "visioncode_reward"
        self.workers = workers or self.spec.workers or os.cpu_count() or 1
        data = prepared_config(self.loaded, self.spec.timeout_s)
        self._identity = hashlib.sha256(json.dumps(
            {"config": self.loaded.hash, "reward": self.spec.model_dump(mode="json")},
            sort_keys=True).encode()).hexdigest()
        self.cache = _ResultCache(self.spec.cache_size) if self.spec.cache else None
        self._inflight: dict[str, Future[RewardResult]] = {}
        # Re-entrant: a future that is already done runs its callback (`_settle`, which
        # takes this lock) inside `add_done_callback`, under `submit`'s hold.
        self._lock = threading.RLock()
        source = str(self.loaded.source.resolve()) if self.loaded.source else None
        self.pool = WorkerPool(data, source, workers=self.workers,
                               timeout_s=self.spec.timeout_s,
                               backstop_s=self.spec.timeout_s + BACKSTOP_GRACE_S)

    # -- lifecycle ----------------------------------------------------------------------

    def close(self, drain: bool = True) -> None:
        self.pool.close(drain=drain)

    def __enter__(self) -> RewardFunction:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- items --------------------------------------------------------------------------

    def key(self, item: RewardItem) -> str:
        h = hashlib.sha256(self._identity.encode())
        h.update(b"\0" + item.sample_id.encode() + b"\0" + item.completion.encode())
        return h.hexdigest()

    def check(self, items: Sequence[RewardItem]) -> None:
        unknown = sorted({i.sample_id for i in items} - self.sample_ids)
        if unknown:
            shown = ", ".join(repr(u) for u in unknown[:5])
            raise RewardInputError(
                f"sample id(s) not in the dataset {self.loaded.config.dataset.path}: {shown}"
                + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
                + "; pass the dataset's `id` of the sample each completion answers")

    def submit(self, items: Iterable[RewardItem | dict[str, Any]]
               ) -> list[Future[RewardResult]]:
        """Queue items; one Future each (a cache hit is already done)."""
        parsed = [i if isinstance(i, RewardItem) else RewardItem.model_validate(i)
                  for i in items]
        self.check(parsed)
        futures: list[Future[RewardResult]] = []
        for item in parsed:
            key = self.key(item)
            hit = self.cache.get(key) if self.cache is not None else None
            if hit is not None:
                done: Future[RewardResult] = Future()
                done.set_result(hit.model_copy(update={"cached": True, "duration_s": 0.0}))
                futures.append(done)
                continue
            with self._lock:
                future = self._inflight.get(key)
                if future is None:
                    future = self.pool.submit(item)
                    self._inflight[key] = future
                    future.add_done_callback(functools.partial(self._settle, key))
            futures.append(future)
        return futures

    def _settle(self, key: str, future: Future[RewardResult]) -> None:
        with self._lock:
            self._inflight.pop(key, None)
        if self.cache is None or future.cancelled() or future.exception() is not None:
            return
        result = future.result()
        if result.status not in TRANSIENT:
            self.cache.put(key, result)

    def collect(self, items: Sequence[RewardItem], futures: Sequence[Future[RewardResult]],
                done: set[Future[RewardResult]]) -> list[RewardResult]:
        """Results in item order; items whose future is not in `done` get the failure
        reward with status `deadline` and leave the queue."""
        out = []
        for item, future in zip(items, futures, strict=True):
            if future in done and future.done():
                out.append(future.result())
                continue
            self.pool.withdraw(future)
            out.append(RewardResult(
                sample_id=item.sample_id, reward=self.spec.failure, status="deadline",
                reason=f"not scored within the request's {self.spec.request_timeout_s:g}s",
                terms={t.label: None for t in self.spec.terms}))
        return out

    def score(self, items: Iterable[RewardItem | dict[str, Any]],
              timeout: float | None = None) -> list[RewardResult]:
        """Score items: one RewardResult each, in order, within `timeout` seconds
        (default `reward.request_timeout_s`)."""
        parsed = [i if isinstance(i, RewardItem) else RewardItem.model_validate(i)
                  for i in items]
        futures = self.submit(parsed)
        done, _ = wait_futures(futures, timeout=timeout or self.spec.request_timeout_s)
        return self.collect(parsed, futures, done)

    async def ascore(self, items: Iterable[RewardItem | dict[str, Any]],
                     timeout: float | None = None) -> list[RewardResult]:
        """`score` for an event loop: waits without blocking it."""
        parsed = [i if isinstance(i, RewardItem) else RewardItem.model_validate(i)
                  for i in items]
        futures = self.submit(parsed)
        wrapped = {asyncio.wrap_future(f): f for f in futures}
        finished: set[Future[RewardResult]] = set()
        if wrapped:
            done, _ = await asyncio.wait(list(wrapped),
                                         timeout=timeout or self.spec.request_timeout_s)
            finished = {wrapped[d] for d in done}
        return self.collect(parsed, futures, finished)

    # -- the trainer's shape ------------------------------------------------------------

    def items(self, completions: Sequence[Any] | None, sample_id: Sequence[Any] | None,
              ) -> list[RewardItem]:
        if completions is None:
            raise RewardInputError("completions=... is required")
        if sample_id is None:
            raise RewardInputError(
                "sample_id=[...] is required: add a `sample_id` column to the training "
                "dataset holding each row's sample id in the visioncode dataset "
                f"({self.loaded.config.dataset.path}); trainers pass columns by name")
        if isinstance(sample_id, str):
            raise RewardInputError("sample_id must be a list with one id per completion")
        if len(sample_id) != len(completions):
            raise RewardInputError(f"{len(completions)} completions but {len(sample_id)} "
                                   "sample ids; pass one id per completion")
        return [RewardItem(sample_id=str(s), completion=completion_text(c))
                for s, c in zip(sample_id, completions, strict=True)]

    def __call__(self, prompts: Sequence[Any] | None = None,
                 completions: Sequence[Any] | None = None,
                 sample_id: Sequence[Any] | None = None, **columns: Any) -> list[float]:
        """TRL's reward-function call: one float per completion. `log_metric`, when the
        trainer passes it, receives the mean of each term over the batch and the share of
        completions that failed or were gated."""
        results = self.score(self.items(completions, sample_id))
        self._log(results, columns.get("log_metric"))
        return [r.reward for r in results]

    def _log(self, results: list[RewardResult], log_metric: Any) -> None:
        if not callable(log_metric) or not results:
            return
        for term in self.spec.terms:
            values = [r.terms.get(term.label) for r in results]
            present = [v for v in values if v is not None]
            if present:
                log_metric(f"visioncode/{term.label}", sum(present) / len(present))
        log_metric("visioncode/failed",
                   sum(1 for r in results if r.status not in {"ok", "gated"}) / len(results))
        log_metric("visioncode/gated",
                   sum(1 for r in results if r.status == "gated") / len(results))


class AsyncRewardFunction(RewardFunction):
    """The same rewards with an `async __call__`: TRL runs async reward functions
    concurrently on its event loop, so other reward functions overlap this one."""

    async def __call__(self, prompts: Sequence[Any] | None = None,  # type: ignore[override]
                       completions: Sequence[Any] | None = None,
                       sample_id: Sequence[Any] | None = None, **columns: Any) -> list[float]:
        results = await self.ascore(self.items(completions, sample_id))
        self._log(results, columns.get("log_metric"))
        return [r.reward for r in results]
