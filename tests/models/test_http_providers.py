"""The `openai` and `anthropic` providers over real HTTP against a local server that speaks
both wire protocols: multimodal requests, failures classified for the core, and the core's
retries (429 with Retry-After, 500, timeouts) on top of them."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from models_support import image_request
from provider_server import API_KEY, MODEL, Fail, Malformed, ProviderServer, Stall

from visioncode import ComponentContext, Message, ModelError, ModelRequest
from visioncode.config import ModelCallsSpec
from visioncode.model_calls import ModelCalls
from visioncode_models.anthropic_messages import AnthropicMessagesModel
from visioncode_models.http_model import HttpModel, retry_after_s
from visioncode_models.openai_chat import OpenAIChatModel

PROTOCOLS = ("openai", "anthropic")
ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


@pytest.fixture
def server() -> Any:
    with ProviderServer() as s:
        yield s


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ENV.values():
        monkeypatch.setenv(var, API_KEY)


def provider(protocol: str, base_url: str, tmp_path: Path, **options: Any) -> HttpModel:
    context = ComponentContext(name=protocol, base_dir=tmp_path)
    cls = OpenAIChatModel if protocol == "openai" else AnthropicMessagesModel
    opts = cls.Options(**{"model": MODEL, "base_url": base_url, **options})
    return cls(opts, context)


def calls(tmp_path: Path, sleeps: list[float] | None = None, **spec: Any) -> ModelCalls:
    """The core's call path with fast backoff; `sleeps` records every wait."""
    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)
        time.sleep(seconds)

    settings = {"backoff_base_s": 0.01, "backoff_max_s": 0.5, **spec}
    return ModelCalls(ModelCallsSpec(**settings), tmp_path, sleep=sleep)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_multimodal_call_sends_the_exact_image_and_reads_the_answer(
    protocol: str, server: ProviderServer, two_rectangles: Path, tmp_path: Path
) -> None:
    model = provider(protocol, server.url, tmp_path)
    request = ModelRequest(messages=[
        Message.of("system", "You write SVG."),
        Message.of("user", "Write SVG code for this image.", two_rectangles),
    ])
    completion = model.generate(request)

    (ex,) = server.exchanges
    assert ex.status == 200
    assert ex.images == [two_rectangles.read_bytes()]  # decoded server-side, byte for byte
    assert ex.texts == ["You write SVG.", "Write SVG code for this image."]
    assert completion.text == ex.text and "<svg" in completion.text
    assert completion.model == MODEL and completion.finish_reason in ("stop", "end_turn")
    assert completion.usage.input_tokens == ex.usage["input"]
    assert completion.usage.output_tokens == ex.usage["output"]
    assert completion.usage.calls == 1 and completion.usage.latency_s > 0
    assert ex.body is not None and ex.body["temperature"] == 0.0
    assert ex.body["max_tokens"] == 4096


def test_openai_payload_options(server: ProviderServer, two_rectangles: Path,
                                tmp_path: Path) -> None:
    model = provider("openai", server.url, tmp_path, temperature=0.7, seed=11,
                     image_detail="low", max_tokens=99, max_tokens_field="max_completion_tokens",
                     extra_body={"top_k": 5})
    model.generate(image_request(two_rectangles))
    body = server.exchanges[0].body
    assert body is not None
    assert (body["temperature"], body["seed"], body["max_completion_tokens"], body["top_k"]) \
        == (0.7, 11, 99, 5)
    assert "max_tokens" not in body
    image = body["messages"][0]["content"][1]
    assert image["type"] == "image_url" and image["image_url"]["detail"] == "low"
    assert image["image_url"]["url"].startswith("data:image/png;base64,")
    assert server.exchanges[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_openai_text_only_turns_are_plain_strings(server: ProviderServer,
                                                  tmp_path: Path) -> None:
    model = provider("openai", server.url, tmp_path, temperature=None, max_tokens=None)
    model.generate(ModelRequest(messages=[Message.of("system", "s"), Message.of("user", "u"),
                                          Message.of("assistant", ""),
                                          Message.of("user", "again")]))
    body = server.exchanges[0].body
    assert body is not None
    assert [m["content"] for m in body["messages"]] == ["s", "u", "", "again"]
    assert "temperature" not in body and "max_tokens" not in body


def test_anthropic_system_field_and_image_blocks(server: ProviderServer, two_rectangles: Path,
                                                 tmp_path: Path) -> None:
    model = provider("anthropic", server.url, tmp_path, max_tokens=321)
    model.generate(ModelRequest(messages=[
        Message.of("system", "Be brief."), Message.of("user", "Draw it.", two_rectangles),
        Message.of("assistant", ""), Message.of("user", "Again.")]))
    ex = server.exchanges[0]
    assert ex.body is not None
    assert ex.body["system"] == "Be brief." and ex.body["max_tokens"] == 321
    assert [m["role"] for m in ex.body["messages"]] == ["user", "assistant", "user"]
    block = ex.body["messages"][0]["content"][1]
    assert block["type"] == "image" and block["source"]["media_type"] == "image/png"
    assert ex.body["messages"][1]["content"] == [{"type": "text", "text": "(empty)"}]
    assert ex.headers["x-api-key"] == API_KEY and ex.headers["anthropic-version"]
    assert "authorization" not in ex.headers


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("header", [{"Retry-After": "0.2"}, {"retry-after-ms": "200"}])
def test_429_with_retry_after_is_retried_after_that_wait(
    protocol: str, header: dict[str, str], server: ProviderServer, two_rectangles: Path,
    tmp_path: Path
) -> None:
    server.plan(Fail(429, header, kind="rate_limit_error", message="slow down"))
    sleeps: list[float] = []
    model = provider(protocol, server.url, tmp_path)
    completion = calls(tmp_path, sleeps).call(model, image_request(two_rectangles),
                                              model.generate)
    assert [e.status for e in server.exchanges] == [429, 200]
    assert len(sleeps) == 1 and 0.2 <= sleeps[0] <= 0.22  # the server's wait, not backoff
    assert completion.usage.retries == 1 and completion.usage.calls == 1
    assert server.exchanges[1].images == [two_rectangles.read_bytes()]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_500_then_success_backs_off_and_retries(protocol: str, server: ProviderServer,
                                                two_rectangles: Path, tmp_path: Path) -> None:
    server.plan(Fail(500), Fail(503 if protocol == "openai" else 529))
    sleeps: list[float] = []
    model = provider(protocol, server.url, tmp_path)
    completion = calls(tmp_path, sleeps).call(model, image_request(two_rectangles),
                                              model.generate)
    assert [e.status for e in server.exchanges] == [500, 503 if protocol == "openai" else 529,
                                                    200]
    assert 0.005 <= sleeps[0] <= 0.01 and 0.01 <= sleeps[1] <= 0.02  # exponential, jittered
    assert completion.usage.retries == 2 and "<svg" in completion.text


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_retries_run_out_with_a_clear_error(protocol: str, server: ProviderServer,
                                            tmp_path: Path) -> None:
    server.plan(*[Fail(502, message="bad gateway")] * 3)
    model = provider(protocol, server.url, tmp_path)
    with pytest.raises(ModelError, match=r"HTTP 502 .*bad gateway.*gave up after 2 retries"):
        calls(tmp_path, max_retries=2).call(model, ModelRequest(messages=[
            Message.of("user", "hi")]), model.generate)
    assert server.requests == 3


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_auth_failure_is_not_retried_and_hides_the_key(
    protocol: str, server: ProviderServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "sk-wrong-0000000000000000"
    monkeypatch.setenv(ENV[protocol], wrong)
    model = provider(protocol, server.url, tmp_path)
    with pytest.raises(ModelError) as info:
        calls(tmp_path).call(model, ModelRequest(messages=[Message.of("user", "hi")]),
                             model.generate)
    assert info.value.auth and not info.value.retryable
    assert server.requests == 1
    assert "HTTP 401" in str(info.value) and ENV[protocol] in str(info.value)
    assert wrong not in str(info.value) and wrong not in repr(model.__dict__)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_missing_key_names_the_variable_to_set(protocol: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV[protocol])
    with pytest.raises(ModelError, match=rf"set the environment variable {ENV[protocol]}") \
            as info:
        provider(protocol, "http://127.0.0.1:9/v1", tmp_path)
    assert info.value.auth


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_key_from_the_keys_file(protocol: str, server: ProviderServer, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV[protocol])
    keys = tmp_path / "keys.toml"
    keys.write_text(f'{ENV[protocol]} = "{API_KEY}"\n')
    keys.chmod(0o600)
    model = provider(protocol, server.url, tmp_path, keys_file="keys.toml")
    assert model.generate(ModelRequest(messages=[Message.of("user", "hi")])).text
    assert server.exchanges[0].status == 200


def test_keys_file_default_location_and_bad_files(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    default = Path(os.environ["VISIONCODE_KEYS_FILE"])
    default.write_text('OPENAI_API_KEY = "sk-from-default-file"\n')
    model = provider("openai", "http://127.0.0.1:9/v1", tmp_path)
    assert model.auth_headers() == {"authorization": "Bearer sk-from-default-file"}
    default.write_text('OPENAI_API_KEY = "sk-unterminated\n')
    with pytest.raises(ModelError, match="cannot be read as TOML") as info:
        provider("openai", "http://127.0.0.1:9/v1", tmp_path)
    assert "sk-unterminated" not in str(info.value)


def test_local_server_without_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with ProviderServer(api_key=None) as server:
        model = provider("openai", server.url, tmp_path, api_key_required=False)
        model.generate(ModelRequest(messages=[Message.of("user", "hi")]))
        assert "authorization" not in server.exchanges[0].headers


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_malformed_json_is_a_clear_error_not_retried(protocol: str, server: ProviderServer,
                                                     tmp_path: Path) -> None:
    server.plan(Malformed())
    model = provider(protocol, server.url, tmp_path)
    with pytest.raises(ModelError, match=r"not valid JSON.*begins") as info:
        calls(tmp_path).call(model, ModelRequest(messages=[Message.of("user", "hi")]),
                             model.generate)
    assert not info.value.retryable and server.requests == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_request_timeout_is_retried_then_reported(protocol: str, server: ProviderServer,
                                                  tmp_path: Path) -> None:
    server.plan(Stall(1.0), Stall(1.0))
    model = provider(protocol, server.url, tmp_path, timeout_s=0.2)
    started = time.perf_counter()
    with pytest.raises(ModelError, match=r"no answer from .* within 0.2 s") as info:
        calls(tmp_path, max_retries=1).call(model, ModelRequest(messages=[
            Message.of("user", "hi")]), model.generate)
    assert info.value.retryable
    assert server.requests == 2
    assert time.perf_counter() - started < 1.5


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_connection_refused_is_retryable(protocol: str, tmp_path: Path) -> None:
    with ProviderServer() as gone:
        url = gone.url
    model = provider(protocol, url, tmp_path)
    with pytest.raises(ModelError, match="failed: ConnectError") as info:
        model.generate(ModelRequest(messages=[Message.of("user", "hi")]))
    assert info.value.retryable


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_client_errors_are_not_retried_and_quote_the_server(
    protocol: str, server: ProviderServer, tmp_path: Path
) -> None:
    model = provider(protocol, server.url, tmp_path, model="no-such-model")
    with pytest.raises(ModelError, match=r"HTTP 404 .*no-such-model.*check base_url") as info:
        calls(tmp_path).call(model, ModelRequest(messages=[Message.of("user", "hi")]),
                             model.generate)
    assert not info.value.retryable and server.requests == 1


def test_a_missing_image_is_the_requests_fault(server: ProviderServer, tmp_path: Path) -> None:
    model = provider("openai", server.url, tmp_path)
    with pytest.raises(ModelError, match="cannot read image") as info:
        model.generate(image_request(tmp_path / "gone.png"))
    assert not info.value.retryable and server.requests == 0


def test_identity_for_the_core(tmp_path: Path) -> None:
    model = provider("openai", "http://127.0.0.1:9/v1/", tmp_path, keys_file="k.toml",
                     timeout_s=5)
    assert model.endpoint() == "http://127.0.0.1:9/v1"
    key = model.cache_key()
    assert key is not None
    assert key["provider"] == "openai" and key["model"] == MODEL
    assert key["base_url"] == "http://127.0.0.1:9/v1" and key["temperature"] == 0.0
    assert not {"api_key_env", "keys_file", "timeout_s", "api_key_required"} & set(key)
    assert API_KEY not in json.dumps(key) and API_KEY not in repr(model._key)


def test_retry_after_parsing() -> None:
    assert retry_after_s({"retry-after": "3"}) == 3.0
    assert retry_after_s({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_s({"retry-after": "Wed, 21 Oct 2015 07:28:10 GMT"},
                         now=1445412480.0) == 10.0
    assert retry_after_s({"retry-after": "soon"}) is None
    assert retry_after_s({}) is None


def test_gateway_error_inside_a_200(tmp_path: Path) -> None:
    model = OpenAIChatModel(OpenAIChatModel.Options(model=MODEL),
                            ComponentContext(name="openai", base_dir=tmp_path))
    with pytest.raises(ModelError, match="upstream overloaded") as info:
        model.parse({"error": {"message": "upstream overloaded", "code": 503}}, 0.1)
    assert info.value.retryable
    with pytest.raises(ModelError, match="no choices"):
        model.parse({"id": "x"}, 0.1)
