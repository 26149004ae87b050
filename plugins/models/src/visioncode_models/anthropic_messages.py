"""The Anthropic Messages protocol, with images as base64 blocks.

`POST {base_url}/messages` with `x-api-key` and `anthropic-version` headers. System turns
go into the top-level `system` field (the protocol has no system role); images (a
video's sampled frames among them) become `{"type": "image", "source": {"type":
"base64", ...}}` blocks, in order. A whole video is refused: the protocol has none.
The protocol has no seed and no image-detail setting, so neither is an option here.

Pipeline use::

    [model]
    use = "anthropic"
    options = { model = "claude-sonnet-4-5", max_tokens = 4096 }
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from visioncode import (
    Completion,
    ComponentOptions,
    ImagePart,
    Message,
    ModelError,
    ModelRequest,
    TextPart,
    Usage,
)
from visioncode.messages import VideoPart

from .http_model import HttpModel
from .wire_images import image_base64

#: What an assistant or user turn with no content is sent as: the protocol rejects
#: empty turns, and a model that answered nothing is still a turn of the conversation.
EMPTY_TURN = "(empty)"


class AnthropicMessagesOptions(ComponentOptions):
    #: Model id (`claude-sonnet-4-5`, `claude-opus-4-1`, ...).
    model: str = Field(min_length=1)
    #: The API root that `/messages` is appended to.
    base_url: str = Field("https://api.anthropic.com/v1", pattern=r"^https?://")
    #: Environment variable (or keys-file entry) holding the key; sent as `x-api-key`.
    api_key_env: str = Field("ANTHROPIC_API_KEY", min_length=1)
    #: False for a gateway that takes no key: then a missing key sends none.
    api_key_required: bool = True
    #: TOML file of `VARIABLE = "key"` lines, read when the variable is not set
    #: (default `~/.config/visioncode/keys.toml`).
    keys_file: Path | None = None
    #: Sampling temperature (0 to 1); 0 makes answers deterministic and cacheable. null
    #: (YAML) sends none and leaves the API's default, which samples.
    temperature: float | None = Field(0.0, ge=0.0, le=1.0)
    #: Most tokens to generate (the protocol requires a value).
    max_tokens: int = Field(4096, ge=1)
    #: The `anthropic-version` header.
    anthropic_version: str = "2023-06-01"
    #: Seconds to wait for an answer before the call fails (and is retried).
    timeout_s: float = Field(120.0, gt=0)
    #: Extra request fields passed as they are (`top_k`, `thinking`); part of the cache
    #: key.
    extra_body: dict[str, Any] = Field(default_factory=dict)


class AnthropicMessagesModel(HttpModel):
    """Claude through the Anthropic Messages API. System turns become the `system`
    field, images base64 blocks of the files' exact bytes; usage counts every input
    token (including prompt-cache reads and writes) and the output tokens."""

    Options = AnthropicMessagesOptions
    options: AnthropicMessagesOptions
    provider = "anthropic"

    def auth_headers(self) -> dict[str, str]:
        headers = {"anthropic-version": self.options.anthropic_version}
        if self._key:
            headers["x-api-key"] = self._key.reveal()
        return headers

    def payload(self, request: ModelRequest) -> dict[str, Any]:
        o = self.options
        system = "\n\n".join(m.text for m in request.messages if m.role == "system")
        body: dict[str, Any] = {
            "model": o.model, "max_tokens": o.max_tokens,
            "messages": [self._message(m) for m in request.messages if m.role != "system"],
        }
        if system:
            body["system"] = system
        if o.temperature is not None:
            body["temperature"] = o.temperature
        body.update(o.extra_body)
        return body

    def _message(self, message: Message) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = []
        for part in message.content:
            if isinstance(part, TextPart):
                if part.text:  # the protocol rejects empty text blocks
                    blocks.append({"type": "text", "text": part.text})
            elif isinstance(part, ImagePart):
                blocks.append({"type": "image", "source": {
                    "type": "base64", "media_type": part.media_type,
                    "data": image_base64(part, self.name)}})
            elif isinstance(part, VideoPart):
                raise ModelError(f"{self.name}: the Messages API takes no video ({part.path}); "
                                 f"send its frames instead: task.video.mode = \"frames\"",
                                 retryable=False)
        if not blocks:
            blocks.append({"type": "text", "text": EMPTY_TURN})
        return {"role": message.role, "content": blocks}

    def generate(self, request: ModelRequest) -> Completion:
        body, latency = self.post("/messages", self.payload(request))
        return self.parse(body, latency)

    def parse(self, body: dict[str, Any], latency: float) -> Completion:
        if body.get("type") == "error":
            err = body.get("error") or {}
            kind = err.get("type") if isinstance(err, dict) else None
            message = err.get("message") if isinstance(err, dict) else err
            raise ModelError(self.redact(f"{self.name}: the API answered {kind}: {message}"),
                             retryable=kind in ("overloaded_error", "rate_limit_error",
                                                "api_error"))
        content = body.get("content")
        if not isinstance(content, list):
            raise ModelError(self.redact(f"{self.name}: the response has no content list "
                                         f"(keys: {', '.join(sorted(body)) or 'none'})"),
                             retryable=False)
        text = "".join(b.get("text", "") for b in content
                       if isinstance(b, dict) and b.get("type") == "text")
        usage = body.get("usage") or {}
        tokens_in = sum(_count(usage.get(k)) for k in (
            "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))
        stop = body.get("stop_reason")
        # The answer is recorded and shown: a server that echoes the request's headers
        # must not put the key into a record.
        return Completion(
            text=self.redact(text),
            model=self.redact(str(body.get("model") or self.options.model)),
            usage=Usage(calls=1, input_tokens=tokens_in,
                        output_tokens=_count(usage.get("output_tokens")), latency_s=latency),
            finish_reason=self.redact(str(stop)) if stop is not None else None,
        )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0
