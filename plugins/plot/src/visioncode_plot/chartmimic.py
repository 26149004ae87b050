"""The `chartmimic` metric: ChartMimic's four low-level scores (text, layout, chart type,
colour F1) of a generated chart program against the sample's reference program.

Both programs are run with matplotlib's drawing calls traced (the generated one by the
`matplotlib` executor, whose trace is in `execution.metadata["trace"]`; the reference by
this metric, in its own sandboxed worker, once per distinct program), and the traces are
compared by `scores` (see there for the published evaluator each score follows).

Values: `text_f1`, `layout_f1`, `type_f1`, `color_f1`, and `low_level`, their mean (the
paper's low-level score, on a 0-1 scale rather than 0-100). Details: every precision and
recall. A round whose program did not run scores 0 on all five (ChartMimic's evaluators
find nothing drawn) under the default `worst` policy, or is left out under `exclude`.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from pydantic import Field, ValidationError

from visioncode import (
    ComponentContext,
    ComponentOptions,
    FailurePolicy,
    Limits,
    Metric,
    RoundRecord,
    Sample,
    Score,
)

from . import scores
from .runtime import ChartPool, ChartTrace, default_limits

KEYS = ("text_f1", "layout_f1", "type_f1", "color_f1", "low_level")


class TracerOptions(ComponentOptions):
    """Workers and limits of the sandboxed tracer a chart metric runs programs in."""

    workers: int = Field(1, ge=1, le=16, description="sandboxed workers that trace "
                         "reference programs (and generated ones the executor did not "
                         "trace)")
    limits: Limits = Field(default_factory=default_limits, description="limits of a "
                           "traced program")
    startup_timeout_s: float = Field(120.0, gt=0, description="worker start-up allowance")


class ChartMimicOptions(TracerOptions):
    failure_policy: FailurePolicy = Field(
        FailurePolicy.worst, description="a round whose program did not run or render: "
        "`worst` scores 0 (ChartMimic), `blank` scores an empty trace (nothing drawn: 0 by "
        "ChartMimic's definitions), `exclude` leaves it out of the means")


class ReferenceProgramError(ValueError):
    """The reference program of a sample could not be traced."""


class ChartMimicMetric(Metric):
    """Text, layout, chart-type and colour F1 of the generated chart against the
    reference program, by ChartMimic's published definitions."""

    Options = ChartMimicOptions
    options: ChartMimicOptions

    def __init__(self, options: ComponentOptions | None = None,
                 context: ComponentContext | None = None) -> None:
        super().__init__(options, context)
        o = self.options
        self.pool = ChartPool(o.workers, o.limits, o.startup_timeout_s)
        self._cache: dict[str, ChartTrace] = {}
        self._lock = threading.Lock()

    def trace_program(self, program: str) -> tuple[ChartTrace | None, str | None]:
        """Trace `program` in the sandbox: (trace, None) or (None, why it failed)."""
        key = hashlib.sha256(program.encode()).hexdigest()
        with self._lock:
            if key in self._cache:
                return self._cache[key], None
        answer = self.pool.run({"program": program, "canvas": None, "trace": True,
                                "save": False})
        if not answer.ok or answer.trace is None:
            err = answer.error
            return None, (f"{err.kind}: {err.message}" if err else answer.status)
        with self._lock:
            self._cache[key] = answer.trace
        return answer.trace, None

    def _reference(self, sample: Sample) -> ChartTrace:
        if sample.reference_program is None:
            raise ReferenceProgramError(f"sample {sample.id!r} has no reference_program: the "
                                  "chartmimic metric compares against the program that drew "
                                  "the reference chart (set reference_program in the "
                                  "dataset manifest)")
        try:
            program = sample.reference_program.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ReferenceProgramError(f"{sample.reference_program}: cannot read the reference "
                                  f"program: {exc}") from None
        trace, why = self.trace_program(program)
        if trace is None:
            raise ReferenceProgramError(f"{sample.reference_program}: the reference program "
                                  f"failed: {why}")
        return trace

    def _generated(self, result: RoundRecord) -> ChartTrace | None:
        """The generated program's trace; None when it did not run or did not render."""
        execution = result.execution
        if execution is None or not execution.ok:
            return None
        if result.rendering is not None and not result.rendering.ok:
            return None
        raw = execution.metadata.get("trace")
        if raw is not None:
            try:
                return ChartTrace.model_validate(raw)
            except ValidationError:
                pass
        trace, _ = self.trace_program(execution.program)
        return trace

    def compare(self, generated: ChartTrace, golden: ChartTrace) -> dict[str, Any]:
        """All four scores of two traces: {name: PRF}."""
        return {
            "text": scores.text_score(generated.texts, golden.texts),
            "layout": scores.layout_score([c.model_dump() for c in generated.layout],
                                          [c.model_dump() for c in golden.layout]),
            "type": scores.type_score(generated.types, golden.types),
            "color": scores.colour_score(generated.colors, golden.colors),
        }

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        started = time.perf_counter()
        golden = self._reference(sample)
        generated = self._generated(result)
        higher = dict.fromkeys(KEYS, True)
        rendered = generated is not None
        if generated is None:
            policy = self.options.failure_policy
            reason = {"reason": result.reason or "the program did not run or render"}
            if policy is not FailurePolicy.blank:
                value = 0.0 if policy is FailurePolicy.worst else None
                return Score(metric=self.name, values=dict.fromkeys(KEYS, value),
                             rendered=False, policy=policy, higher_is_better=higher,
                             details=reason)
            generated = ChartTrace()  # a blank chart: nothing drawn
        parts = self.compare(generated, golden)
        values: dict[str, float | None] = {f"{k}_f1": v.f1 for k, v in parts.items()}
        f1s = [v for v in values.values() if v is not None]
        values["low_level"] = sum(f1s) / len(f1s)
        return Score(metric=self.name, values=values, rendered=rendered,
                     policy=self.options.failure_policy,
                     higher_is_better=higher,
                     details={**{k: v.as_dict() for k, v in parts.items()},
                              "seconds": round(time.perf_counter() - started, 4)})

    def close(self) -> None:
        self.pool.close()
