"""The OpenAI Chat Completions protocol: one provider for every server that speaks it.

`POST {base_url}/chat/completions` with text and images (base64 data URLs; a whole video,
when `task.video.mode = "whole"`, as a `video_url` part, which vLLM and SGLang take) serves OpenAI
itself and the OpenAI-compatible servers: vLLM, Ollama, LM Studio, llama.cpp's server,
OpenRouter, and Gemini's OpenAI-compatible endpoint; only `base_url`, `model` and the key
change. Spoken directly with httpx rather than through the SDK, so the code under test is
the code that runs, and no SDK-side retries compete with the core's.

Pipeline use::

    [model]
    use = "openai"
    options = { model = "gpt-4o", temperature = 0.0, max_tokens = 4096 }
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

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
from .wire_images import data_url


class OpenAIChatOptions(ComponentOptions):
    #: Model id as the server knows it (`gpt-4o`, `Qwen/Qwen2.5-VL-7B-Instruct`,
    #: `llama3.2-vision`).
    model: str = Field(min_length=1)
    #: The API root that `/chat/completions` is appended to: OpenAI
    #: `https://api.openai.com/v1`, vLLM `http://localhost:8000/v1`, Ollama
    #: `http://localhost:11434/v1`, LM Studio `http://localhost:1234/v1`, OpenRouter
    #: `https://openrouter.ai/api/v1`, Gemini
    #: `https://generativelanguage.googleapis.com/v1beta/openai`.
    base_url: str = Field("https://api.openai.com/v1", pattern=r"^https?://")
    #: Environment variable (or keys-file entry) holding the key; sent as a Bearer token.
    api_key_env: str = Field("OPENAI_API_KEY", min_length=1)
    #: False for local servers that take no key: then a missing key sends none.
    api_key_required: bool = True
    #: TOML file of `VARIABLE = "key"` lines, read when the variable is not set
    #: (default `~/.config/visioncode/keys.toml`).
    keys_file: Path | None = None
    #: Sampling temperature; 0 makes answers deterministic and cacheable. null (YAML)
    #: sends none and leaves the server's default, which samples.
    temperature: float | None = Field(0.0, ge=0.0, le=2.0)
    #: Most tokens to generate; null (YAML) sends none and leaves the server's limit.
    max_tokens: int | None = Field(4096, ge=1)
    #: The request field that carries `max_tokens`: OpenAI's reasoning models accept
    #: only `max_completion_tokens`; most compatible servers only `max_tokens`.
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    #: Sampling seed, for servers that honour one.
    seed: int | None = None
    #: Image detail for every image (`low` is cheaper); unset uses each image's own hint
    #: and sends none for `auto`.
    image_detail: Literal["auto", "low", "high"] | None = None
    #: Seconds to wait for an answer before the call fails (and is retried).
    timeout_s: float = Field(120.0, gt=0)
    #: Extra request fields passed as they are (vLLM `top_k`, OpenRouter `provider`,
    #: `reasoning_effort`); part of the cache key.
    extra_body: dict[str, Any] = Field(default_factory=dict)


class OpenAIChatModel(HttpModel):
    """Any OpenAI-compatible Chat Completions server: OpenAI, vLLM, Ollama, LM Studio,
    llama.cpp server, OpenRouter, Gemini. Images are sent as base64 data URLs of the
    files' exact bytes; usage comes from the response's `usage`."""

    Options = OpenAIChatOptions
    options: OpenAIChatOptions
    provider = "openai"

    def auth_headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self._key.reveal()}"} if self._key else {}

    def payload(self, request: ModelRequest) -> dict[str, Any]:
        o = self.options
        body: dict[str, Any] = {"model": o.model,
                                "messages": [self._message(m) for m in request.messages]}
        if o.temperature is not None:
            body["temperature"] = o.temperature
        if o.max_tokens is not None:
            body[o.max_tokens_field] = o.max_tokens
        if o.seed is not None:
            body["seed"] = o.seed
        body.update(o.extra_body)
        return body

    def _message(self, message: Message) -> dict[str, Any]:
        # Text-only turns as a plain string: every compatible server accepts that, and
        # some (older llama.cpp, Ollama) accept nothing else for system/assistant turns.
        if not message.images and not message.videos:
            return {"role": message.role, "content": message.text}
        parts: list[dict[str, Any]] = []
        for part in message.content:
            if isinstance(part, TextPart):
                parts.append({"type": "text", "text": part.text})
            elif isinstance(part, ImagePart):
                image: dict[str, Any] = {"url": data_url(part, self.name)}
                detail = self.options.image_detail or part.detail
                if self.options.image_detail or detail != "auto":
                    image["detail"] = detail
                parts.append({"type": "image_url", "image_url": image})
            elif isinstance(part, VideoPart):
                # The `video_url` part of the servers that take video (vLLM, SGLang);
                # OpenAI's own API takes none: sample frames there (task.video.mode).
                parts.append({"type": "video_url",
                              "video_url": {"url": data_url(part, self.name)}})
        return {"role": message.role, "content": parts}

    def generate(self, request: ModelRequest) -> Completion:
        body, latency = self.post("/chat/completions", self.payload(request))
        return self.parse(body, latency)

    def parse(self, body: dict[str, Any], latency: float) -> Completion:
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            if "error" in body:  # some gateways answer 200 with an error object
                err = body["error"]
                message = err.get("message") if isinstance(err, dict) else err
                code = err.get("code") if isinstance(err, dict) else None
                retryable = code in (429, 500, 502, 503, 504, "rate_limit_exceeded")
                raise ModelError(self.redact(f"{self.name}: the server answered an error: "
                                             f"{message}"), retryable=retryable)
            raise ModelError(self.redact(f"{self.name}: the response has no choices (keys: "
                                         f"{', '.join(sorted(body)) or 'none'})"),
                             retryable=False)
        choice = choices[0]
        message = choice.get("message") or {}
        content = message.get("content")
        if isinstance(content, list):  # a few servers answer with parts
            text = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        elif isinstance(content, str):
            text = content
        elif content is None:
            text = ""
        else:
            raise ModelError(f"{self.name}: message content is {type(content).__name__}, "
                             f"expected a string", retryable=False)
        usage = body.get("usage") or {}
        finish = choice.get("finish_reason") or ("refusal" if message.get("refusal") else None)
        # The answer is recorded and shown: a server that echoes the request's headers
        # must not put the key into a record.
        return Completion(
            text=self.redact(text),
            model=self.redact(str(body.get("model") or self.options.model)),
            usage=Usage(calls=1, input_tokens=_count(usage.get("prompt_tokens")),
                        output_tokens=_count(usage.get("completion_tokens")),
                        latency_s=latency),
            finish_reason=self.redact(str(finish)) if finish is not None else None,
        )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0
