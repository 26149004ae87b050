"""`ScriptedModel`: a model that answers from a script, for tests and demos.

It is a real `Model` (pluggy-registered, called through the core like any provider) whose
answers are fixed by its options, so a pipeline test is deterministic, needs no keys and
no network, and does not depend on the `visioncode-models` distribution. Registered under
the entry-point name `testing-scripted`: usable from a pipeline file, and named so that
nobody mistakes it for a model.

Lookup, for a request of round `r` and purpose `p` about sample `s`:

1. `by_sample[s]` if present, else `answers` (a list: round r gets item r, the last item
   once the list is exhausted);
2. a `critique` request gets `critique` instead of a program.
"""

from __future__ import annotations

import threading
import time

from pydantic import Field

from ..components import ComponentContext, ComponentOptions, Model
from ..messages import Completion, ModelRequest, Usage


class ScriptedOptions(ComponentOptions):
    answers: list[str] = Field(
        default_factory=lambda: [""],
        description="Answer of round r is answers[r] (the last one once exhausted).")
    by_sample: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per-sample answers (sample id -> answers by round); override `answers`.")
    critique: str = Field(
        "Looks right; keep the program as it is.",
        description="What the model says when it is asked to critique a round.")


class ScriptedModel(Model):
    """Answers from its options' script (see the module docstring): deterministic, free,
    offline. Keeps every request it was sent in `requests` for tests to inspect."""

    Options = ScriptedOptions
    options: ScriptedOptions

    def __init__(
        self, options: ComponentOptions | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(options, context)
        self.requests: list[ModelRequest] = []
        self._lock = threading.Lock()

    def answer_for(self, request: ModelRequest) -> str:
        """The scripted answer for `request`."""
        if request.purpose == "critique":
            return self.options.critique
        script = self.options.by_sample.get(request.sample_id or "", self.options.answers)
        if not script:
            return ""
        return script[min(request.round, len(script) - 1)]

    def generate(self, request: ModelRequest) -> Completion:
        started = time.perf_counter()
        with self._lock:
            self.requests.append(request)
        text = self.answer_for(request)
        usage = Usage(calls=1, input_tokens=sum(len(m.text.split()) for m in request.messages),
                      output_tokens=len(text.split()),
                      latency_s=time.perf_counter() - started)
        return Completion(text=text, model="testing-scripted", usage=usage,
                          finish_reason="stop")
