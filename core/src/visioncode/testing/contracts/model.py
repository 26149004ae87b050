"""What every Model promises: a Completion for a chat request with text and an image,
an endpoint (or None) for the core's concurrency limit, and a cache key that is plain
JSON and holds no secret."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import ClassVar

from ...messages import Completion, Message, ModelRequest
from ..datasets import shape_image
from .base import ComponentContract

_SECRET = re.compile(r"key|token|secret|password|credential", re.IGNORECASE)


class ModelContract(ComponentContract):
    """Subclass and set `component` and `options`. Override `request` when the model
    needs a particular request (a replay model keys on the sample id); set
    `deterministic = False` for a model that samples."""

    kind = "model"
    deterministic: ClassVar[bool] = True

    def request(self, tmp_path: Path) -> ModelRequest:
        """A request with a system prompt, text and one image."""
        image = shape_image(tmp_path / "input.png", "circle", "#1f77b4")
        return ModelRequest(
            messages=[Message.of("system", "You write SVG."),
                      Message.of("user", "Draw this image as SVG.", image)],
            purpose="generate", sample_id="0-circle", round=0)

    def generate(self, model: object, request: ModelRequest) -> Completion:
        result = self.call(model, "generate", request=request)  # type: ignore[arg-type]
        assert isinstance(result, Completion), f"generate returned {type(result).__name__}"
        return result

    def test_answers_a_request(self, subject: object, tmp_path: Path) -> None:
        completion = self.generate(subject, self.request(tmp_path))
        assert isinstance(completion.text, str)
        assert completion.usage.calls >= 1, "a completion counts the call that made it"
        assert completion.usage.input_tokens >= 0 and completion.usage.output_tokens >= 0

    def test_same_request_same_answer(self, subject: object, tmp_path: Path) -> None:
        if not self.deterministic:
            return
        request = self.request(tmp_path)
        assert self.generate(subject, request).text == self.generate(subject, request).text

    def test_endpoint_and_cache_key(self, subject: object) -> None:
        endpoint = subject.endpoint()  # type: ignore[attr-defined]
        assert endpoint is None or (isinstance(endpoint, str) and endpoint)
        key = subject.cache_key()  # type: ignore[attr-defined]
        if key is None:
            return
        text = json.dumps(key, sort_keys=True)  # must be plain JSON
        secrets = [k for k in _walk_keys(key) if _SECRET.search(k)]
        assert secrets == [], f"cache_key must not carry secrets: {secrets} in {text[:200]}"


def _walk_keys(value: object) -> list[str]:
    if isinstance(value, dict):
        return [str(k) for k in value] + [k for v in value.values() for k in _walk_keys(v)]
    if isinstance(value, list):
        return [k for v in value for k in _walk_keys(v)]
    return []
