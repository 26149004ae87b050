"""A local HTTP server that speaks the OpenAI Chat Completions and Anthropic Messages
wire protocols, for testing the providers over real sockets without the internet.

It validates requests the way the real APIs do (auth header, model, message shapes,
base64 images that decode to real PNG/JPEG bytes) and answers with the real response and
error shapes (`usage`, `{"error": {...}}`, `Retry-After`). Tests script failures for the
next requests with `plan(...)`, read what arrived in `exchanges` (each image decoded back
to bytes), and read `max_in_flight` for concurrency checks.

Default answers draw an SVG from the request's first image: round 0 (no assistant turn
yet) a deliberately poor one, every later round a rectangle of the image's mean colour;
a critique request (it carries "Rendering of the program" or "did not render") gets a
short difference analysis.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image

API_KEY = "sk-test-4f1d9c0a7b2e4d55"
MODEL = "vision-test-1"
MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff",
         "image/gif": b"GIF8", "image/webp": b"RIFF", "video/mp4": b""}


class ApiError(Exception):
    """Answer with this status and body (shaped by the protocol)."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


# -- scripted behaviours for the next requests ------------------------------------------

@dataclass
class Fail:
    """Answer with an HTTP error in the protocol's error shape."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "server_error"
    message: str = "scripted failure"


@dataclass
class Malformed:
    """Answer HTTP 200 with a body that is not JSON."""

    body: bytes = b'{"choices": [{"message": {"content": "trunc'


@dataclass
class Raw:
    """Answer this status with these exact body bytes (a proxy's plain-text error page)."""

    status: int
    body: bytes


@dataclass
class Stall:
    """Wait this long before answering normally (longer than the client's timeout)."""

    seconds: float


Action = Fail | Malformed | Raw | Stall


@dataclass
class Exchange:
    """One request as the server saw it, and what it answered."""

    protocol: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    images: list[bytes] = field(default_factory=list)
    videos: list[bytes] = field(default_factory=list)
    status: int = 200
    text: str | None = None
    usage: dict[str, int] = field(default_factory=dict)

    @property
    def texts(self) -> list[str]:
        """Every text part of the request, in order (system included)."""
        out: list[str] = []
        body = self.body or {}
        if isinstance(body.get("system"), str):
            out.append(body["system"])
        for m in body.get("messages", []):
            content = m.get("content")
            if isinstance(content, str):
                out.append(content)
            else:
                out += [p["text"] for p in content if p.get("type") == "text"]
        return out


# -- default answers --------------------------------------------------------------------

def mean_colour(png: bytes) -> str:
    img = Image.open(io.BytesIO(png)).convert("RGB").resize((1, 1), Image.Resampling.BOX)
    r, g, b = img.getpixel((0, 0))  # type: ignore[misc]
    return f"#{r:02x}{g:02x}{b:02x}"


def default_answer(ex: Exchange) -> str:
    text = "\n".join(ex.texts)
    if "Rendering of the program" in text or "did not render" in text:
        return ("Difference analysis: the rendering is a single flat rectangle; the "
                "reference has its colour spread over the whole canvas. Fill the canvas.")
    rounds = sum(1 for m in (ex.body or {}).get("messages", []) if m.get("role") == "assistant")
    colour = mean_colour(ex.images[0]) if ex.images else "#808080"
    if rounds == 0:
        shape = '<rect x="0" y="0" width="8" height="8" fill="#000000"/>'
    else:
        shape = f'<rect x="0" y="0" width="64" height="64" fill="{colour}"/>'
    return ("```svg\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\">"
            f"{shape}</svg>\n```")


def count_usage(ex: Exchange, answer: str) -> dict[str, int]:
    """Deterministic token counts: the test can recompute them from the exchange."""
    words = sum(len(t.split()) for t in ex.texts)
    return {"input": 3 + words + 85 * len(ex.images), "output": 1 + len(answer) // 4}


# -- the server -------------------------------------------------------------------------

class ProviderServer:
    """`with ProviderServer() as server:` serves on `server.url` (`http://127.0.0.1:N/v1`)."""

    def __init__(self, *, api_key: str | None = API_KEY, models: tuple[str, ...] = (MODEL,),
                 delay_s: float = 0.0,
                 answer: Callable[[Exchange], str] = default_answer,
                 video: bool = False) -> None:
        self.api_key, self.models, self.delay_s, self.answer = api_key, models, delay_s, answer
        #: Take `video_url` parts (as vLLM does); off, they are a 400 like OpenAI's.
        self.video = video
        self.exchanges: list[Exchange] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._plan: list[Action] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,),
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def requests(self) -> int:
        return len(self.exchanges)

    def plan(self, *actions: Action) -> None:
        """Script the next requests, in order; later ones are answered normally."""
        with self._lock:
            self._plan.extend(actions)

    def _next_action(self) -> Action | None:
        with self._lock:
            return self._plan.pop(0) if self._plan else None

    def __enter__(self) -> ProviderServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- protocol handling (called from handler threads) --------------------------------

    def handle(self, path: str, headers: dict[str, str], raw: bytes
               ) -> tuple[int, dict[str, str], bytes]:
        protocol = {"/v1/chat/completions": "openai", "/v1/messages": "anthropic"}.get(path)
        if protocol is None:
            return 404, {}, json.dumps({"error": {"message": f"no route {path}",
                                                  "type": "not_found"}}).encode()
        ex = Exchange(protocol=protocol, path=path, headers=headers, body=None)
        with self._lock:
            self.exchanges.append(ex)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            action = self._next_action()
            if isinstance(action, Stall):
                time.sleep(action.seconds)
            elif isinstance(action, Malformed):
                return 200, {}, action.body
            elif isinstance(action, Raw):
                ex.status = action.status
                return action.status, {}, action.body
            elif isinstance(action, Fail):
                ex.status = action.status
                return action.status, action.headers, self._error_body(
                    protocol, ApiError(action.status, action.kind, action.message))
            try:
                self._validate(protocol, headers, raw, ex)
                ex.text = self.answer(ex)
                ex.usage = count_usage(ex, ex.text)
                return 200, {}, json.dumps(self._success(protocol, ex)).encode()
            except ApiError as err:
                ex.status = err.status
                return err.status, {}, self._error_body(protocol, err)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _validate(self, protocol: str, headers: dict[str, str], raw: bytes,
                  ex: Exchange) -> None:
        if protocol == "openai":
            if self.api_key and headers.get("authorization") != f"Bearer {self.api_key}":
                raise ApiError(401, "invalid_api_key", "Incorrect API key provided.")
        else:
            if self.api_key and headers.get("x-api-key") != self.api_key:
                raise ApiError(401, "authentication_error", "invalid x-api-key")
            if not headers.get("anthropic-version"):
                raise ApiError(400, "invalid_request_error",
                               "anthropic-version: header is required")
        if not headers.get("content-type", "").startswith("application/json"):
            raise ApiError(400, "invalid_request_error", "content-type must be JSON")
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, "invalid_request_error", f"body is not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_request_error", "body must be an object")
        ex.body = body
        if body.get("model") not in self.models:
            raise ApiError(404, "model_not_found",
                           f"The model `{body.get('model')}` does not exist.")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ApiError(400, "invalid_request_error", "messages: must be a non-empty list")
        if protocol == "openai":
            self._openai_messages(messages, ex)
            t = body.get("temperature")
            if t is not None and not (isinstance(t, int | float) and 0 <= t <= 2):
                raise ApiError(400, "invalid_request_error", "temperature out of range")
        else:
            if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
                raise ApiError(400, "invalid_request_error", "max_tokens: Field required")
            if "system" in body and not isinstance(body["system"], str):
                raise ApiError(400, "invalid_request_error", "system: must be a string")
            self._anthropic_messages(messages, ex)

    def _openai_messages(self, messages: list[Any], ex: Exchange) -> None:
        for i, m in enumerate(messages):
            if m.get("role") not in ("system", "user", "assistant"):
                raise ApiError(400, "invalid_request_error", f"messages[{i}].role invalid")
            content = m.get("content")
            if isinstance(content, str):
                continue
            if not isinstance(content, list):
                raise ApiError(400, "invalid_request_error", f"messages[{i}].content invalid")
            for part in content:
                if part.get("type") == "text" and isinstance(part.get("text"), str):
                    continue
                if part.get("type") == "video_url" and self.video:  # vLLM's video part
                    url = part.get("video_url", {}).get("url", "")
                    head, sep, data = url.partition(";base64,")
                    if not sep or not head.startswith("data:video/"):
                        raise ApiError(400, "invalid_request_error",
                                       "video_url must be a video data URL")
                    ex.videos.append(_decode(head.removeprefix("data:"), data))
                    continue
                if part.get("type") != "image_url":
                    raise ApiError(400, "invalid_request_error", f"bad part {part.get('type')}")
                url = part.get("image_url", {}).get("url", "")
                head, sep, data = url.partition(";base64,")
                if not sep or not head.startswith("data:"):
                    raise ApiError(400, "invalid_request_error", "image_url must be a data URL")
                ex.images.append(_decode(head.removeprefix("data:"), data))

    def _anthropic_messages(self, messages: list[Any], ex: Exchange) -> None:
        for i, m in enumerate(messages):
            if m.get("role") not in ("user", "assistant"):
                raise ApiError(400, "invalid_request_error",
                               f"messages.{i}.role: Input should be 'user' or 'assistant'")
            content = m.get("content")
            if isinstance(content, str):
                continue
            if not isinstance(content, list) or not content:
                raise ApiError(400, "invalid_request_error", f"messages.{i}.content invalid")
            for block in content:
                if block.get("type") == "text":
                    if not block.get("text"):
                        raise ApiError(400, "invalid_request_error",
                                       "text content blocks must be non-empty")
                    continue
                if block.get("type") != "image":
                    raise ApiError(400, "invalid_request_error", "unknown block type")
                source = block.get("source", {})
                if source.get("type") != "base64":
                    raise ApiError(400, "invalid_request_error", "image source must be base64")
                ex.images.append(_decode(source.get("media_type", ""), source.get("data", "")))

    def _success(self, protocol: str, ex: Exchange) -> dict[str, Any]:
        assert ex.body is not None and ex.text is not None
        if protocol == "openai":
            return {
                "id": f"chatcmpl-{len(self.exchanges)}", "object": "chat.completion",
                "created": int(time.time()), "model": ex.body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": ex.text,
                                                     "refusal": None},
                             "logprobs": None, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": ex.usage["input"],
                          "completion_tokens": ex.usage["output"],
                          "total_tokens": ex.usage["input"] + ex.usage["output"]},
            }
        return {
            "id": f"msg_{len(self.exchanges)}", "type": "message", "role": "assistant",
            "model": ex.body["model"], "content": [{"type": "text", "text": ex.text}],
            "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": ex.usage["input"], "output_tokens": ex.usage["output"]},
        }

    @staticmethod
    def _error_body(protocol: str, err: ApiError) -> bytes:
        if protocol == "openai":
            body: dict[str, Any] = {"error": {"message": err.message, "type": err.kind,
                                              "param": None, "code": err.kind}}
        else:
            body = {"type": "error", "error": {"type": err.kind, "message": err.message}}
        return json.dumps(body).encode()


def _decode(media_type: str, data: str) -> bytes:
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:
        raise ApiError(400, "invalid_request_error", "image data is not valid base64") from None
    magic = MAGIC.get(media_type)
    if magic is None:
        raise ApiError(400, "invalid_request_error", f"unsupported media type {media_type!r}")
    if media_type == "video/mp4" and raw[4:8] != b"ftyp":
        raise ApiError(400, "invalid_request_error", "video data is not an MP4 file")
    if not raw.startswith(magic):
        raise ApiError(400, "invalid_request_error",
                       f"image data does not match media type {media_type}")
    return raw


def _handler(server: ProviderServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as httpx's pool expects

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = server.handle(self.path, headers, raw)
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
