"""What the HTTP providers share: one `httpx.Client` per component, the key, and the
translation of every way a request can fail into a `ModelError` the core can act on.

The providers never retry: they say whether a failure is worth retrying (`retryable`:
429, 408, 409, 5xx, timeouts, dropped connections), whether it is an authentication
failure (`auth`: 401, 403, a missing key; never retried), and how long the server asked
to wait (`retry_after`, from `Retry-After` or `retry-after-ms`). The core's
`model_calls` does the rest, identically for every provider.
"""

from __future__ import annotations

import email.utils
import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from visioncode import ComponentContext, ComponentOptions, Model, ModelError

from .keys import ApiKey, resolve_key

#: Statuses worth another attempt (what the official SDKs retry, plus Anthropic's 529).
RETRYABLE_STATUS = frozenset({408, 409, 425, 429})
AUTH_STATUS = frozenset({401, 403})
#: Options that decide how a request is sent but not what the model answers.
TRANSPORT_OPTIONS = frozenset({"api_key_env", "api_key_required", "keys_file", "timeout_s"})


def retry_after_s(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asked to wait: `retry-after-ms` (OpenAI), else `Retry-After`
    as seconds or as an HTTP date. None when absent or unreadable."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


#: How much of a server's text an error message quotes (after redaction).
QUOTED_CHARS = 300


def _api_message(response: httpx.Response, redact: Callable[[str], str]) -> str:
    """The error text a provider put in its body (`{"error": {"message": ...}}` in both
    protocols), else the start of the body. Redacted whole, then cut: a key that
    straddles the cut must not leave its first characters behind."""
    try:
        body = response.json()
    except ValueError:
        return redact(response.text).strip()[:QUOTED_CHARS].strip() or "(empty body)"
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        kind = err.get("type") or err.get("code")
        message = str(err.get("message") or err)
        text = f"{kind}: {message}" if kind else message
    elif isinstance(err, str):
        text = err
    else:
        text = str(body)
    return redact(text)[:QUOTED_CHARS]


class HttpModel(Model):
    """Base of the HTTP providers. Subclasses set `provider`, `auth_headers`, build the
    payload and read the answer; this class sends it and classifies failures.

    The key is resolved when the component is built, so a run without its key stops
    before the first sample with a message naming the variable to set."""

    provider: str = "http"

    def __init__(
        self, options: ComponentOptions | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(options, context)
        o: Any = self.options
        keys_file: Path | None = self.context.resolve_path(o.keys_file) if o.keys_file else None
        self._key: ApiKey | None = resolve_key(o.api_key_env, keys_file, provider=self.name,
                                               required=o.api_key_required)
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return str(self.options.base_url).rstrip("/")  # type: ignore[attr-defined]

    @property
    def client(self) -> httpx.Client:
        """One connection pool per component, made on first use (after the worker
        process has started: a pool must not cross a fork)."""
        with self._client_lock:
            if self._client is None:
                timeout: float = self.options.timeout_s  # type: ignore[attr-defined]
                self._client = httpx.Client(
                    timeout=httpx.Timeout(timeout, connect=min(timeout, 30.0)),
                    headers={"user-agent": "visioncode-models"})
            return self._client

    def close(self) -> None:
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # -- identity, for the core ---------------------------------------------------------

    def endpoint(self) -> str | None:
        return self.base_url

    def cache_key(self) -> dict[str, Any] | None:
        options = self.options.model_dump(mode="json", exclude=set(TRANSPORT_OPTIONS))
        return {"provider": self.provider, **options, "base_url": self.base_url}

    @abstractmethod
    def auth_headers(self) -> dict[str, str]: ...

    # -- sending ------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """`text` with the key masked. Every string that leaves a provider (error
        messages, completions: a server may echo the request's headers) passes here
        whole, before anything cuts it."""
        return self._key.redact(text) if self._key else text

    def post(self, path: str, payload: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """POST `payload` as JSON to `base_url + path`: (the decoded JSON object, seconds).
        Every failure is a ModelError, classified for the core's retry policy."""
        url = self.base_url + path
        timeout: float = self.options.timeout_s  # type: ignore[attr-defined]
        started = time.perf_counter()
        try:
            response = self.client.post(url, json=payload, headers=self.auth_headers())
        except httpx.TimeoutException:
            raise ModelError(self.redact(f"{self.name}: no answer from {url} within "
                                         f"{timeout:g} s (timeout_s)"),
                             retryable=True) from None
        except httpx.TransportError as exc:
            raise ModelError(self.redact(f"{self.name}: request to {url} failed: "
                                         f"{type(exc).__name__}: {exc}"),
                             retryable=True) from None
        latency = time.perf_counter() - started
        if response.status_code >= 400:
            raise self._status_error(response, url)
        try:
            body = response.json()
        except ValueError as exc:
            begins = self.redact(response.text)[:200]
            raise ModelError(self.redact(
                f"{self.name}: {url} answered HTTP {response.status_code} with a body that "
                f"is not valid JSON ({exc}); it begins {begins!r}. Is base_url "
                f"an API endpoint of this protocol?"), retryable=False) from None
        if not isinstance(body, dict):
            raise ModelError(self.redact(f"{self.name}: {url} answered JSON that is not an "
                                         f"object ({type(body).__name__})"), retryable=False)
        return body, latency

    def _status_error(self, response: httpx.Response, url: str) -> ModelError:
        status = response.status_code
        what = _api_message(response, self.redact)
        message = self.redact(f"{self.name}: HTTP {status} from {url}: {what}")
        if status in AUTH_STATUS:
            env = self.options.api_key_env  # type: ignore[attr-defined]
            return ModelError(f"{message} (authentication failed: check the key in {env})",
                              auth=True)
        if status in RETRYABLE_STATUS or status >= 500:
            return ModelError(message, retryable=True,
                              retry_after=retry_after_s(response.headers))
        if status == 404:
            message += " (check base_url and the model id)"
        return ModelError(message, retryable=False)
