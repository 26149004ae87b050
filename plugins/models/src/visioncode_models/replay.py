"""The replay model: answers from recorded responses instead of calling a provider.

Two uses: tests and demos that must run without keys or network, and re-scoring saved
model outputs with another executor, renderer or metric without paying for them again.
The file format and the lookup rule are in `replay_file`.

Pipeline use::

    [model]
    use = "replay"
    options = { path = "responses.jsonl", missing = "error" }
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Literal

from visioncode import (
    Completion,
    ComponentContext,
    ComponentOptions,
    Model,
    ModelError,
    ModelRequest,
    Usage,
)

from .replay_file import ReplayTable, load_replay_file


class ReplayOptions(ComponentOptions):
    #: The JSONL file of recorded responses, relative to the pipeline file's folder.
    path: Path
    #: A request with no recorded response: `error` raises a (non-retryable) ModelError
    #: naming the file, sample, round and purpose; `empty` answers "" so the sample
    #: continues and fails later as `no_program`, like a model that said nothing.
    missing: Literal["error", "empty"] = "error"


class ReplayModel(Model):
    """Answers each request with the recorded response for its (sample_id, round,
    purpose). The file is read and validated once, on first use; a bad file fails
    every request with the same line-numbered error."""

    Options = ReplayOptions
    options: ReplayOptions

    def __init__(
        self, options: ComponentOptions | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(options, context)
        self._table: ReplayTable | None = None
        self._lock = threading.Lock()  # samples may run on several threads

    @property
    def path(self) -> Path:
        return self.context.resolve_path(self.options.path)

    def table(self) -> ReplayTable:
        """The validated file, loaded on first call."""
        with self._lock:
            if self._table is None:
                self._table = load_replay_file(self.path)
            return self._table

    def generate(self, request: ModelRequest) -> Completion:
        started = time.perf_counter()
        table = self.table()
        entry = table.lookup(request.sample_id, request.round, request.purpose)
        if entry is None:
            if self.options.missing == "empty":
                return Completion(
                    text="",
                    model="replay",
                    usage=Usage(calls=1, latency_s=time.perf_counter() - started),
                    finish_reason="missing",
                )
            raise ModelError(self._missing_message(table, request), retryable=False)
        usage = entry.usage
        return Completion(
            text=entry.text,
            model=f"replay ({entry.model})" if entry.model else "replay",
            usage=Usage(
                calls=1,
                input_tokens=usage.input_tokens if usage else 0,
                output_tokens=usage.output_tokens if usage else 0,
                latency_s=time.perf_counter() - started,
            ),
            finish_reason="stop",
        )

    def _missing_message(self, table: ReplayTable, request: ModelRequest) -> str:
        if request.sample_id is None:
            sample = "(request has no sample_id)"
        else:
            sample = repr(request.sample_id)
        have = table.recorded_for(request.sample_id)
        if have:
            hint = f"; the file has {', '.join(have)} for this sample"
        else:
            hint = "; the file has nothing for this sample"
        return (
            f"replay file {table.path}: no recorded response for sample {sample}, "
            f"round {request.round}, purpose {request.purpose!r}{hint} "
            f"(add a line, or set missing = \"empty\")"
        )
