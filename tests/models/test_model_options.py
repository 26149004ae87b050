"""Provider options whose effect shows only on the wire, checked against the local
protocol server in `provider_server.py`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from models_support import image_request
from provider_server import API_KEY, MODEL, ProviderServer

from visioncode import ComponentContext
from visioncode_models.anthropic_messages import AnthropicMessagesModel


@pytest.fixture
def server() -> Any:
    with ProviderServer() as s:
        yield s


def anthropic(server: ProviderServer, tmp_path: Path, **options: Any) -> AnthropicMessagesModel:
    opts = AnthropicMessagesModel.Options(model=MODEL, base_url=server.url, **options)
    return AnthropicMessagesModel(opts, ComponentContext(name="anthropic", base_dir=tmp_path))


def test_anthropic_version_is_sent_as_the_header(server: ProviderServer, two_rectangles: Path,
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    anthropic(server, tmp_path).generate(image_request(two_rectangles))
    anthropic(server, tmp_path, anthropic_version="2099-01-31").generate(
        image_request(two_rectangles))
    first, second = server.exchanges
    assert first.status == second.status == 200
    assert first.headers["anthropic-version"] == "2023-06-01"
    assert second.headers["anthropic-version"] == "2099-01-31"
