"""API keys: from an environment variable, else from a keys file; never logged.

A pipeline file names the *variable* that holds a key (`api_key_env`), never the key,
because pipeline files are copied into run directories and shared. The keys file lets a
machine keep keys out of shell profiles; it is a TOML table keyed by the same variable
names, so one file serves every provider:

    # ~/.config/visioncode/keys.toml  (chmod 600)
    OPENAI_API_KEY = "sk-..."
    ANTHROPIC_API_KEY = "sk-ant-..."
    OPENROUTER_API_KEY = "sk-or-..."

A key is held in an `ApiKey`, whose repr and str hide it, so it cannot reach a log line,
an error message or a record by accident.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import structlog

from visioncode import ModelError

KEYS_FILE_ENV = "VISIONCODE_KEYS_FILE"

log = structlog.get_logger()


class ApiKey:
    """A secret string: `reveal()` gives it to the one place that sends it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def redact(self, text: str) -> str:
        """`text` with every occurrence of the key masked (servers sometimes echo it)."""
        return text.replace(self._value, "***") if self._value else text

    def __repr__(self) -> str:
        return "ApiKey(***)"

    __str__ = __repr__


def default_keys_file() -> Path:
    """`$VISIONCODE_KEYS_FILE`, else `$XDG_CONFIG_HOME/visioncode/keys.toml`, else
    `~/.config/visioncode/keys.toml`."""
    if os.environ.get(KEYS_FILE_ENV):
        return Path(os.environ[KEYS_FILE_ENV]).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".config"
    return base / "visioncode" / "keys.toml"


def _from_file(path: Path, env_var: str, provider: str) -> str | None:
    if not path.is_file():
        return None
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("keys_file.permissions", path=str(path),
                    advice=f"other users can read it; run: chmod 600 {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # The parser's message quotes the offending line, which may hold a key: drop it.
        raise ModelError(
            f"{provider}: keys file {path} cannot be read as TOML ({type(exc).__name__}); "
            f"it should hold lines like {env_var} = \"...\"", auth=True) from None
    value = data.get(env_var)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ModelError(f"{provider}: {env_var} in keys file {path} must be a non-empty "
                         f"string", auth=True)
    return value.strip()


def resolve_key(env_var: str, keys_file: Path | None, *, provider: str,
                required: bool = True) -> ApiKey | None:
    """The key named `env_var`, from the environment, else from the keys file (the given
    one, or the default). Missing and `required`: a ModelError (auth, never retried) that
    names the variable to set and the file that was looked at."""
    value = os.environ.get(env_var, "").strip()
    path = keys_file.expanduser() if keys_file else default_keys_file()
    if not value:
        value = _from_file(path, env_var, provider) or ""
    if value:
        return ApiKey(value)
    if not required:
        return None
    raise ModelError(
        f"{provider}: no API key: set the environment variable {env_var}, or add "
        f"{env_var} = \"...\" to the keys file {path} (a local server without keys: set "
        f"api_key_required = false)", auth=True)
