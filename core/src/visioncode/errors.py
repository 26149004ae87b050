"""Errors the framework raises for bad input. Each says what is wrong, where, and the fix."""

from __future__ import annotations


class VisioncodeError(Exception):
    """Base of every error visioncode raises on purpose."""


class DatasetError(VisioncodeError):
    """A dataset manifest or one of its records is invalid."""


class PluginLoadError(VisioncodeError):
    """A component's plugin could not be imported or is not a valid component."""

    def __init__(self, kind: str, name: str, distribution: str, cause: str,
                 traceback: str = "") -> None:
        self.kind, self.name, self.distribution, self.cause = kind, name, distribution, cause
        #: The import's traceback, for `-v` (empty when nothing was raised).
        self.traceback = traceback
        super().__init__(
            f"{kind} {name!r} (distribution {distribution}) failed to load: {cause}. "
            f"Reinstall or fix that distribution, or choose another {kind} in the config."
        )


class UnknownComponentError(VisioncodeError):
    """A config names a component no installed plugin provides."""


class ConfigError(VisioncodeError):
    """A pipeline config is invalid. Carries every problem found, each with its field path."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: invalid pipeline config"]
        lines += [f"  {path}: {msg}" for path, msg in problems]
        super().__init__("\n".join(lines))


class RunDirError(VisioncodeError):
    """A run directory cannot be used as asked (exists without --resume, config changed...)."""


class ModelError(VisioncodeError):
    """A model provider failed. Providers decide `retryable` (rate limits, 5xx, timeouts)
    and `auth` (bad or missing key: never retried); the core owns retries."""

    def __init__(self, message: str, *, retryable: bool = False, auth: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable, self.auth, self.retry_after = retryable, auth, retry_after
