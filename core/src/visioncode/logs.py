"""structlog set-up: every event as a JSON line in the run's `log.jsonl`, and, on a
terminal, warnings (or everything with `-v`) in human-readable form. Events carry the
context bound with `structlog.contextvars` (run_id, sample_id) plus stage and component."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import structlog

_lock = threading.Lock()


class _FileSink:
    """Writes each event as one JSON line (one write per line, so processes can share
    the file in append mode), then passes it on to the console renderer."""

    def __init__(self, path: Path | None, console_level: int) -> None:
        self.fh = path.open("a", encoding="utf-8", buffering=1) if path else None
        self.console_level = console_level

    def __call__(self, _logger: Any, _name: str,
                 event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        if self.fh is not None:
            with _lock:
                self.fh.write(json.dumps(event, default=str) + "\n")
        level = logging.getLevelName(event.get("level", "info").upper())
        if not isinstance(level, int) or level < self.console_level:
            raise structlog.DropEvent
        return event


def configure(log_file: Path | None = None, console: str = "human",
              verbose: bool = False) -> None:
    """`console`: `human` (coloured lines on stderr), `json` (JSON lines on stderr, for CI)
    or `quiet` (errors only)."""
    console_level = {"quiet": logging.ERROR}.get(
        console, logging.DEBUG if verbose else logging.WARNING)
    renderer: Any = (
        structlog.processors.JSONRenderer() if console == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _FileSink(log_file, console_level),
            renderer,
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
