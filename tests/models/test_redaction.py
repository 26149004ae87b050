"""The key never leaves a provider in a string: hostile servers that echo the request's
headers in the answer, in an error, in a plain-text error page with the key straddling
the length an error quotes, and in the keys of a body with no choices. Each test is the
attacker's server; each asserts the key (and every 8-character piece of it) is absent
from what the caller sees, and that the call still failed or answered as it should."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from provider_server import API_KEY, MODEL, ApiError, Exchange, ProviderServer, Raw
from test_http_providers import ENV, PROTOCOLS, calls, provider
from test_provider_pipelines import config, records, run

from visioncode import Message, ModelError, ModelRequest
from visioncode_models.http_model import QUOTED_CHARS

HI = ModelRequest(messages=[Message.of("user", "hi")])


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ENV.values():
        monkeypatch.setenv(var, API_KEY)


def leaks(text: str) -> list[str]:
    """Every 8-character piece of the key found in `text` (a cut key keeps its prefix)."""
    return [API_KEY[i:i + 8] for i in range(len(API_KEY) - 7) if API_KEY[i:i + 8] in text]


def sent_key(ex: Exchange) -> str:
    return ex.headers.get("authorization") or ex.headers.get("x-api-key") or ""


def echo_headers(ex: Exchange) -> str:
    # A misconfigured gateway that reflects the request into the completion.
    return ("```svg\n<svg xmlns='http://www.w3.org/2000/svg'/>\n```\n"
            f"debug: authorization={sent_key(ex)} headers={json.dumps(ex.headers)}")


def echo_in_error(ex: Exchange) -> str:
    raise ApiError(400, "invalid_request_error", f"bad header value {sent_key(ex)!r}")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_completion_echoing_the_key_is_redacted(protocol: str, tmp_path: Path) -> None:
    with ProviderServer(answer=echo_headers) as server:
        model = provider(protocol, server.url, tmp_path)
        completion = calls(tmp_path).call(model, HI, model.generate)
        (ex,) = server.exchanges
    assert API_KEY in (ex.text or "")  # the server did echo it
    assert "authorization=" in completion.text and "***" in completion.text
    assert not leaks(completion.text) and not leaks(completion.model_dump_json())
    # Nor does the response cache hold it.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_an_error_echoing_the_key_is_redacted(protocol: str, tmp_path: Path) -> None:
    with ProviderServer(answer=echo_in_error) as server:
        model = provider(protocol, server.url, tmp_path)
        with pytest.raises(ModelError, match=r"HTTP 400 .*bad header value") as info:
            calls(tmp_path).call(model, HI, model.generate)
        assert server.requests == 1
    assert not info.value.retryable
    assert not leaks(str(info.value)), str(info.value)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("start", [QUOTED_CHARS - 10, QUOTED_CHARS - 3, QUOTED_CHARS - 17])
def test_a_key_straddling_the_quoted_length_leaves_no_prefix(
    protocol: str, start: int, tmp_path: Path
) -> None:
    # A proxy's plain-text error page with the key placed across the cut.
    page = ("e" * start + API_KEY + " trailing text of the page").encode()
    with ProviderServer() as server:
        server.plan(Raw(400, page))
        model = provider(protocol, server.url, tmp_path)
        with pytest.raises(ModelError, match="HTTP 400") as info:
            model.generate(HI)
    message = str(info.value)
    assert "eeee" in message  # the page was quoted
    assert not leaks(message), message


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_json_body_without_an_error_object_straddling_the_cut(
    protocol: str, tmp_path: Path
) -> None:
    body = json.dumps({"detail": "d" * (QUOTED_CHARS - 20) + API_KEY}).encode()
    with ProviderServer() as server:
        server.plan(Raw(422, body))
        model = provider(protocol, server.url, tmp_path)
        with pytest.raises(ModelError, match="HTTP 422") as info:
            model.generate(HI)
    assert "ddd" in str(info.value) and not leaks(str(info.value)), str(info.value)


def test_a_body_without_choices_naming_the_key_is_redacted(tmp_path: Path) -> None:
    model = provider("openai", "http://127.0.0.1:9/v1", tmp_path)
    with pytest.raises(ModelError, match="no choices") as info:
        model.parse({"id": "x", API_KEY: {"echo": True}}, 0.1)
    assert not leaks(str(info.value))
    model = provider("anthropic", "http://127.0.0.1:9/v1", tmp_path)
    with pytest.raises(ModelError, match="no content list") as info:
        model.parse({"id": "x", f"Bearer {API_KEY}": 1}, 0.1)
    assert not leaks(str(info.value))


def test_a_200_carrying_an_error_that_echoes_the_key(tmp_path: Path) -> None:
    model = provider("openai", "http://127.0.0.1:9/v1", tmp_path)
    with pytest.raises(ModelError, match="the server answered an error") as info:
        model.parse({"error": {"message": f"header was Bearer {API_KEY}"}}, 0.1)
    assert not leaks(str(info.value))


def test_a_run_against_an_echoing_server_records_no_key(tmp_path: Path) -> None:
    with ProviderServer(answer=echo_headers) as server:
        model = (f'use = "openai"\n[model.options]\nmodel = "{MODEL}"\n'
                 f'base_url = "{server.url}"')
        cfg = config(tmp_path, model, n=1)
        run(cfg, tmp_path / "out")
        assert server.requests == 1
    (rec,) = records(tmp_path / "out").values()
    text: Any = rec.rounds[0].completion.text if rec.rounds[0].completion else ""
    assert "authorization=Bearer ***" in text
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path
