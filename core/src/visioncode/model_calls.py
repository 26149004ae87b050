"""The one way a pipeline calls a model: cache, then a slot of the endpoint's concurrency
limit, then the model, retried with backoff on retryable failures.

`Pipeline.generate` sends every model call through `ModelCalls.call` — the generator's,
the critic's and those of models that metrics ask for through `context.model` — so a
provider plugin only has to speak its protocol and classify its errors. What identifies a
model comes from the model itself (`Model.endpoint()`, `Model.cache_key()`); the policy
comes from the pipeline's `[model_calls]` table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import structlog

from .components import Model
from .config import ModelCallsSpec
from .endpoint_slots import EndpointSlots
from .errors import ModelError
from .messages import Completion, ModelRequest
from .response_cache import ResponseCache, default_cache_path, is_sampled, request_key
from .retry import RetryPolicy

log = structlog.get_logger()

Invoke = Callable[[ModelRequest], Completion]


class ModelCalls:
    """Owns the response cache and endpoint slots of one pipeline (one process)."""

    def __init__(self, spec: ModelCallsSpec, base_dir: Path,
                 sleep: Callable[[float], None] = time.sleep,
                 slots_root: Path | None = None) -> None:
        self.spec = spec
        self.policy = RetryPolicy(spec.max_retries, spec.backoff_base_s, spec.backoff_max_s)
        path = spec.cache_path
        if path is not None:
            path = path.expanduser()
            path = path if path.is_absolute() else (base_dir / path).resolve()
        self.cache_path = path or default_cache_path()
        self._cache: ResponseCache | None = None
        self._slots: dict[str, EndpointSlots] = {}
        self._sleep = sleep
        self._slots_root = slots_root

    @property
    def cache(self) -> ResponseCache:
        if self._cache is None:
            self._cache = ResponseCache(self.cache_path)
        return self._cache

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()

    # -- the call -----------------------------------------------------------------------

    def call(self, model: Model, request: ModelRequest, invoke: Invoke) -> Completion:
        """Answer `request` with `model`: from the cache when allowed and present, else by
        `invoke` (the hook call), holding an endpoint slot per attempt and retrying."""
        identity, key = self._cache_key(model, request)
        if key is not None:
            started = time.perf_counter()
            hit = self._lookup(key)
            if hit is not None:
                log.debug("model.cache_hit", key=key[:16])
                return hit.model_copy(update={
                    "cached": True,
                    "usage": hit.usage.served_from_cache(time.perf_counter() - started)})
        completion = self._call_with_retries(model, request, invoke)
        if key is not None and identity is not None:
            self._store(key, identity, completion)
        return completion

    def _call_with_retries(self, model: Model, request: ModelRequest,
                           invoke: Invoke) -> Completion:
        endpoint = model.endpoint()
        slots = self._slots_for(endpoint) if endpoint else None
        retries = 0
        while True:
            try:
                with slots.hold() if slots else nullcontext(0.0) as waited:
                    started = time.perf_counter()
                    completion = invoke(request)
                if waited and waited > 0.5:
                    log.info("model.waited_for_slot", endpoint=endpoint,
                             seconds=round(waited, 3))
            except ModelError as exc:
                if not self.policy.should_retry(exc, retries):
                    if retries == 0:
                        raise
                    raise ModelError(f"{exc} (gave up after {retries} retries)",
                                     retryable=exc.retryable, auth=exc.auth,
                                     retry_after=exc.retry_after) from exc
                delay = self.policy.delay(exc, retries)
                log.warning("model.retry", model=model.name, attempt=retries + 1,
                            of=self.policy.max_retries, delay_s=round(delay, 3),
                            error=str(exc))
                self._sleep(delay)
                retries += 1
                continue
            elapsed = time.perf_counter() - started  # of the successful attempt
            usage = completion.usage
            update: dict[str, Any] = {"retries": usage.retries + retries}
            if usage.latency_s <= 0:
                update["latency_s"] = elapsed
            return completion.model_copy(update={"usage": usage.model_copy(update=update)})

    def _slots_for(self, endpoint: str) -> EndpointSlots:
        if endpoint not in self._slots:
            self._slots[endpoint] = EndpointSlots(endpoint, self.spec.max_connections,
                                                  root=self._slots_root)
        return self._slots[endpoint]

    # -- the cache ----------------------------------------------------------------------

    def _cache_key(self, model: Model, request: ModelRequest
                   ) -> tuple[dict[str, Any] | None, str | None]:
        if not self.spec.cache:
            return None, None
        identity = model.cache_key()
        if identity is None or (is_sampled(identity) and not self.spec.cache_sampled):
            return identity, None
        try:
            return identity, request_key(identity, request)
        except OSError as exc:  # an unreadable image: the model will report it
            log.debug("model.cache_skipped", reason=str(exc))
            return identity, None

    def _lookup(self, key: str) -> Completion | None:
        try:
            return self.cache.get(key)
        except Exception as exc:  # a broken cache must not break the run
            log.warning("model.cache_unavailable", path=str(self.cache_path), error=str(exc))
            return None

    def _store(self, key: str, identity: dict[str, Any], completion: Completion) -> None:
        try:
            self.cache.put(key, identity, completion)
        except Exception as exc:
            log.warning("model.cache_write_failed", path=str(self.cache_path), error=str(exc))
