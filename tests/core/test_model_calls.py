"""The core's model-call path: retries with backoff (and which errors are never retried),
the content-addressed response cache and its keys, and usage of cached answers."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from visioncode import Completion, Message, Model, ModelError, ModelRequest, Usage
from visioncode.cache_cli import cache as cache_cli
from visioncode.config import ModelCallsSpec
from visioncode.model_calls import ModelCalls
from visioncode.response_cache import ResponseCache, default_cache_path, request_key
from visioncode.retry import RetryPolicy


class Scripted(Model):
    """Raises the scripted errors in order, then answers; counts calls."""

    def __init__(self, *errors: ModelError, identity: dict[str, Any] | None = None,
                 endpoint: str | None = None) -> None:
        super().__init__()
        self.errors = list(errors)
        self.identity, self._endpoint = identity, endpoint
        self.calls = 0

    def generate(self, request: ModelRequest) -> Completion:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return Completion(text=f"answer {self.calls}", model="scripted",
                          usage=Usage(calls=1, input_tokens=100, output_tokens=20))

    def endpoint(self) -> str | None:
        return self._endpoint

    def cache_key(self) -> dict[str, Any] | None:
        return self.identity


def make_calls(tmp_path: Path, sleeps: list[float] | None = None, **spec: Any) -> ModelCalls:
    settings = {"backoff_base_s": 1.0, "backoff_max_s": 8.0, **spec}
    return ModelCalls(ModelCallsSpec(**settings), tmp_path,
                      sleep=(sleeps.append if sleeps is not None else lambda s: None))


def ask(calls: ModelCalls, model: Scripted, *parts: str | Path) -> Completion:
    request = ModelRequest(messages=[Message.of("user", *(parts or ("hi",)))])
    return calls.call(model, request, model.generate)


IDENTITY = {"provider": "test", "base_url": "http://x/v1", "model": "m", "temperature": 0.0}


# -- retries ---------------------------------------------------------------------------

def test_retryable_errors_back_off_exponentially_with_jitter(tmp_path: Path) -> None:
    sleeps: list[float] = []
    model = Scripted(*[ModelError("busy", retryable=True)] * 4)
    completion = ask(make_calls(tmp_path, sleeps), model)
    assert model.calls == 5 and completion.usage.retries == 4
    for n, wait in enumerate(sleeps):
        ceiling = min(8.0, 2.0 ** n)
        assert ceiling / 2 <= wait <= ceiling


def test_retry_after_replaces_the_backoff_and_is_capped(tmp_path: Path) -> None:
    sleeps: list[float] = []
    model = Scripted(ModelError("429", retryable=True, retry_after=3.0),
                     ModelError("429", retryable=True, retry_after=3600.0))
    ask(make_calls(tmp_path, sleeps), model)
    assert 3.0 <= sleeps[0] <= 3.3 and sleeps[1] == 8.0


def test_non_retryable_and_auth_errors_are_raised_at_once(tmp_path: Path) -> None:
    for error in (ModelError("bad request"), ModelError("401", auth=True, retryable=True)):
        sleeps: list[float] = []
        model = Scripted(error)
        with pytest.raises(ModelError) as info:
            ask(make_calls(tmp_path, sleeps), model)
        assert info.value is error and model.calls == 1 and sleeps == []


def test_giving_up_names_the_retries(tmp_path: Path) -> None:
    model = Scripted(*[ModelError("HTTP 503", retryable=True)] * 3)
    with pytest.raises(ModelError, match=r"HTTP 503 \(gave up after 2 retries\)") as info:
        ask(make_calls(tmp_path, max_retries=2), model)
    assert info.value.retryable and model.calls == 3


def test_other_exceptions_are_not_retried(tmp_path: Path) -> None:
    class Broken(Scripted):
        def generate(self, request: ModelRequest) -> Completion:
            self.calls += 1
            raise KeyError("bug")

    model = Broken()
    with pytest.raises(KeyError):
        ask(make_calls(tmp_path), model)
    assert model.calls == 1


def test_delay_bounds() -> None:
    policy = RetryPolicy(max_retries=3, backoff_base_s=0.5, backoff_max_s=3.0)
    rng = random.Random(0)
    waits = [policy.delay(ModelError("x", retryable=True), n, rng) for n in range(6)]
    assert all(min(3.0, 0.5 * 2 ** n) / 2 <= w <= min(3.0, 0.5 * 2 ** n)
               for n, w in enumerate(waits))
    assert policy.should_retry(ModelError("x", retryable=True), 2)
    assert not policy.should_retry(ModelError("x", retryable=True), 3)


def test_latency_is_measured_when_the_model_reports_none(tmp_path: Path) -> None:
    completion = ask(make_calls(tmp_path), Scripted())
    assert completion.usage.latency_s > 0


# -- the cache -------------------------------------------------------------------------

def test_cache_hit_counts_no_call_and_keeps_the_tokens_as_saved(tmp_path: Path) -> None:
    calls = make_calls(tmp_path)
    model = Scripted(identity=IDENTITY)
    first, second = ask(calls, model), ask(calls, model)
    assert model.calls == 1
    assert not first.cached and second.cached and second.text == first.text
    assert (second.usage.calls, second.usage.cache_hits) == (0, 1)
    assert (second.usage.input_tokens, second.usage.output_tokens) == (0, 0)
    assert (second.usage.saved_input_tokens, second.usage.saved_output_tokens) == (100, 20)
    total = first.usage + second.usage
    assert (total.calls, total.cache_hits, total.input_tokens) == (1, 1, 100)
    # Another process (a new ModelCalls on the same file) sees it too.
    again = make_calls(tmp_path)
    assert ask(again, Scripted(identity=IDENTITY)).cached


def draw(path: Path, colour: str) -> Path:
    Image.new("RGB", (8, 8), colour).save(path)
    return path


def test_cache_key_covers_image_bytes_not_paths(tmp_path: Path) -> None:
    a = draw(tmp_path / "a.png", "red")
    same_bytes = tmp_path / "elsewhere.png"
    same_bytes.write_bytes(a.read_bytes())
    calls, model = make_calls(tmp_path), Scripted(identity=IDENTITY)
    ask(calls, model, "draw", a)
    assert ask(calls, model, "draw", same_bytes).cached  # same bytes, other path
    draw(a, "blue")
    assert not ask(calls, model, "draw", a).cached  # same path, other bytes
    assert model.calls == 2


def test_cache_key_covers_the_model_identity_and_text(tmp_path: Path) -> None:
    req = ModelRequest(messages=[Message.of("user", "hi")])
    base = request_key(IDENTITY, req)
    assert request_key({**IDENTITY}, req) == base
    assert request_key({**IDENTITY, "model": "other"}, req) != base
    assert request_key({**IDENTITY, "base_url": "http://y/v1"}, req) != base
    assert request_key({**IDENTITY, "max_tokens": 5}, req) != base
    assert request_key(IDENTITY, ModelRequest(messages=[Message.of("user", "ho")])) != base
    assert request_key(IDENTITY, ModelRequest(messages=[Message.of("system", "hi")])) != base
    # Where in a run a request comes from is not what the provider sees.
    assert request_key(IDENTITY, req.model_copy(update={"sample_id": "x", "round": 3})) == base


@pytest.mark.parametrize(("temperature", "cache_sampled", "cached"), [
    (0.0, False, True), (0.7, False, False), (None, False, False), (0.7, True, True),
])
def test_sampling_models_are_cached_only_when_asked(
    tmp_path: Path, temperature: float | None, cache_sampled: bool, cached: bool
) -> None:
    calls = make_calls(tmp_path, cache_sampled=cache_sampled)
    model = Scripted(identity={**IDENTITY, "temperature": temperature})
    ask(calls, model)
    assert ask(calls, model).cached is cached


def test_cache_off_and_models_without_identity_always_call(tmp_path: Path) -> None:
    model = Scripted(identity=IDENTITY)
    calls = make_calls(tmp_path, cache=False)
    assert not ask(calls, model).cached and not ask(calls, model).cached
    local = Scripted()  # cache_key() None: vtracer, replay
    calls = make_calls(tmp_path)
    assert not ask(calls, local).cached and not ask(calls, local).cached
    assert model.calls == 2 and local.calls == 2


def test_errors_are_never_cached(tmp_path: Path) -> None:
    calls = make_calls(tmp_path)
    with pytest.raises(ModelError):
        ask(calls, Scripted(ModelError("no"), identity=IDENTITY))
    assert not ask(calls, Scripted(identity=IDENTITY)).cached


def test_a_missing_image_skips_the_cache_and_reaches_the_model(tmp_path: Path) -> None:
    model = Scripted(identity=IDENTITY)
    ask(make_calls(tmp_path), model, "draw", tmp_path / "missing.png")
    assert model.calls == 1


def test_cache_path_resolves_against_the_pipeline_folder(tmp_path: Path) -> None:
    calls = ModelCalls(ModelCallsSpec(cache_path=Path("cache/r.sqlite")), tmp_path)
    assert calls.cache_path == tmp_path / "cache" / "r.sqlite"
    assert ModelCalls(ModelCallsSpec(), tmp_path).cache_path == default_cache_path()


def test_a_broken_cache_file_does_not_break_calls(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    calls = ModelCalls(ModelCallsSpec(cache_path=path), tmp_path)
    model = Scripted(identity=IDENTITY)
    assert ask(calls, model).text == "answer 1"
    assert ask(calls, model).text == "answer 2"


def test_cache_cli_stats_and_clear(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    cache = ResponseCache(path)
    for i, model in enumerate(["m1", "m1", "m2"]):
        cache.put(f"k{i}", {"provider": "p", "model": model}, Completion(text=str(i)))
    assert cache.get("k0") is not None
    cache.close()
    runner = CliRunner()
    res = runner.invoke(cache_cli, ["stats", "--path", str(path)])
    assert res.exit_code == 0 and "3 entries, 1 hits" in res.output and "m1" in res.output
    res = runner.invoke(cache_cli, ["clear", "--path", str(path), "--model", "m1"])
    assert res.exit_code == 0 and "removed 2 entries" in res.output
    res = runner.invoke(cache_cli, ["clear", "--path", str(path), "--older-than", "1"])
    assert "removed 0 entries" in res.output
    res = runner.invoke(cache_cli, ["clear", "--path", str(path)])
    assert "removed 1 entries" in res.output
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM responses").fetchone() == (0,)
    res = runner.invoke(cache_cli, ["stats", "--path", str(tmp_path / "none.sqlite")])
    assert res.exit_code == 0 and "no cache yet" in res.output
