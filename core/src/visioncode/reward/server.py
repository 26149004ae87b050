"""`visioncode serve`: a `RewardFunction` behind HTTP, for trainers that call a remote
reward (OpenRLHF's `--remote_rm_url`, or any client of `/score`).

    GET  /health      {"status": "ok" | "starting", "workers", "ready", "queued", "busy",
                       "requests"}
    POST /score       {"items": [{"sample_id", "completion"}]}
                   -> {"results": [{"sample_id", "reward", "status", "reason", "terms",
                                    ...}]}
    POST /get_reward  OpenRLHF: {"query": [...], "prompts": [...], "labels": [...]}
                   -> {"rewards": [...], "scores": [...], "extra_logs": {term: [...]}}

The completions of a request are spread over the pool's warm workers. Every request has a
deadline (`reward.request_timeout_s`: what is unfinished then gets the failure reward,
status `deadline`), and the queue is bounded (`reward.max_queue`: a request that would
overflow it gets 503 with Retry-After, and nothing of it is queued). uvicorn turns SIGTERM
into a graceful shutdown: it stops accepting, lets requests in flight finish, then the
lifespan closes the pool.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .function import RewardFunction, RewardInputError
from .pool import RewardWorkerError
from .result import RewardItem, RewardResult


class ScoreRequest(BaseModel):
    """Body of `POST /score`."""

    model_config = ConfigDict(extra="forbid")
    items: list[RewardItem]


class OpenRLHFRequest(BaseModel):
    """Body of OpenRLHF's `POST /get_reward`: `query` is prompt + response, `labels` the
    dataset's label column (here: the visioncode sample id). Other fields OpenRLHF may
    add are ignored."""

    model_config = ConfigDict(extra="ignore")
    query: list[str]
    prompts: list[str] | None = None
    labels: list[str] = Field(min_length=0)


def strip_prompt(query: str, prompt: str | None) -> str:
    """OpenRLHF sends prompt + response as `query`: the completion is what follows the
    prompt (the whole query when it does not start with the prompt)."""
    if prompt and query.startswith(prompt):
        return query[len(prompt):]
    return query


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['msg']}"
                     for e in exc.errors()[:10])


class RewardApp:
    """The Starlette application around one RewardFunction (which it closes on
    shutdown)."""

    def __init__(self, rf: RewardFunction) -> None:
        self.rf = rf
        self.requests = 0  # in flight
        self.app = Starlette(
            routes=[Route("/health", self.health, methods=["GET"]),
                    Route("/score", self.score, methods=["POST"]),
                    Route("/get_reward", self.get_reward, methods=["POST"])],
            lifespan=self._lifespan)

    @contextlib.asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            self.rf.close(drain=True)

    async def health(self, _request: Request) -> JSONResponse:
        pool = self.rf.pool
        if pool.broken:
            return JSONResponse({"status": "broken", "error": pool.broken}, status_code=500)
        return JSONResponse({
            "status": "ok" if pool.ready == pool.workers else "starting",
            "workers": pool.workers, "ready": pool.ready, "queued": pool.queued,
            "busy": pool.busy, "requests": self.requests,
            "cached": len(self.rf.cache) if self.rf.cache is not None else None})

    async def _body(self, request: Request, model: type[BaseModel]) -> Any:
        try:
            data = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return _error(400, f"the body is not JSON: {exc}")
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            return _error(400, f"invalid request: {_problems(exc)}")

    async def _run(self, items: list[RewardItem]) -> list[RewardResult] | JSONResponse:
        try:
            self.rf.check(items)
        except RewardInputError as exc:
            return _error(400, str(exc))
        pool = self.rf.pool
        if pool.queued + len(items) > self.rf.spec.max_queue:
            return _error(503, f"the queue is full ({pool.queued} completions waiting, "
                               f"at most {self.rf.spec.max_queue}); retry later",
                          **{"Retry-After": "1"})
        self.requests += 1
        try:
            return await self.rf.ascore(items)
        except RewardWorkerError as exc:  # the workers cannot start: say why
            return _error(500, str(exc))
        finally:
            self.requests -= 1

    async def score(self, request: Request) -> JSONResponse:
        body = await self._body(request, ScoreRequest)
        if isinstance(body, JSONResponse):
            return body
        results = await self._run(body.items)
        if isinstance(results, JSONResponse):
            return results
        return JSONResponse({"results": [r.model_dump(mode="json") for r in results]})

    async def get_reward(self, request: Request) -> JSONResponse:
        body = await self._body(request, OpenRLHFRequest)
        if isinstance(body, JSONResponse):
            return body
        prompts = body.prompts or [""] * len(body.query)
        if not (len(body.query) == len(prompts) == len(body.labels)):
            return _error(400, f"query, prompts and labels differ in length "
                               f"({len(body.query)}, {len(prompts)}, {len(body.labels)}): "
                               "send one prompt and one label (the sample id) per query")
        items = [RewardItem(sample_id=label, completion=strip_prompt(q, p))
                 for q, p, label in zip(body.query, prompts, body.labels, strict=True)]
        results = await self._run(items)
        if isinstance(results, JSONResponse):
            return results
        rewards = [r.reward for r in results]
        # OpenRLHF concatenates every extra_logs value as a tensor: numbers only, one per
        # sample; a term that was not computed logs 0.0 (and `failed` says which).
        extra: dict[str, list[float]] = {
            t.label: [r.terms.get(t.label) or 0.0 for r in results]
            for t in self.rf.spec.terms}
        extra["failed"] = [0.0 if r.status in {"ok", "gated"} else 1.0 for r in results]
        extra["gated"] = [1.0 if r.status == "gated" else 0.0 for r in results]
        return JSONResponse({"rewards": rewards, "scores": rewards, "extra_logs": extra})


def serve(config: Path, host: str = "127.0.0.1", port: int = 8000,
          workers: int | None = None, overrides: dict[str, Any] | None = None,
          log_level: str = "info") -> None:
    """Run the reward server until SIGTERM or SIGINT (then drain and stop)."""
    import uvicorn

    rf = RewardFunction(config, workers=workers, overrides=overrides)
    app = RewardApp(rf)
    server = uvicorn.Server(uvicorn.Config(
        app.app, host=host, port=port, log_level=log_level, lifespan="on",
        timeout_graceful_shutdown=int(rf.spec.request_timeout_s) + 5))
    try:
        server.run()
    finally:
        rf.close(drain=False)  # idempotent after the lifespan closed it
