"""A pipeline: the components a config names, registered with one plugin manager, and the
per-sample loop generate -> execute -> render -> (visual prompt -> critique -> revise)* ->
score.

Every component call goes through `pm.hook` (so wrappers such as `TracePlugin` or budgets
see it); single-component stages are called on a subset of the plugin manager that holds
just that stage's component, the way pluggy's `subset_hook_caller` intends. Model calls
first pass through `ModelCalls` (response cache, endpoint concurrency limit, retries), so
an answer served from the cache never reaches the hook.
"""

from __future__ import annotations

import contextlib
import shutil
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import structlog
from pluggy import HookCaller

from . import registry
from .components import Component, ComponentContext, Model
from .config import ComponentSpec, LoadedConfig, ResolvedComponent
from .early_stop import ScoreWatch
from .errors import (
    ConfigError,
    ModelError,
    PluginLoadError,
    UnknownComponentError,
    VisioncodeError,
)
from .execution import Execution, Extraction
from .inputs import SampleInputs, prepare_inputs
from .messages import Completion, ImagePart, Message, ModelRequest, TextPart, Usage, VideoPart
from .model_calls import ModelCalls
from .plugin_manager import VisioncodePluginManager
from .records import ComponentInfo, RoundRecord, SampleRecord, StopReason
from .render_cache import RenderCache
from .rendering import PromptedImage, Rendering
from .samples import Sample
from .scoring import Score
from .tracing import TracePlugin

log = structlog.get_logger()
T = TypeVar("T")


class ComponentContractError(VisioncodeError):
    """A component returned something other than its kind's result type."""


#: Attribute set on an exception by the first pipeline call it passes through: the stage
#: that raised it (`plan`, `generate`, `extract`, `execute`, `render`, `visual_prompt`,
#: `critique`, `score`), so the record and the log line blame the right component and
#: not the stage the loop happened to be in.
STAGE_ATTR = "visioncode_stage"


def _tag(exc: BaseException, stage: str) -> None:
    if getattr(exc, STAGE_ATTR, None) is None:
        # An exception type with __slots__ keeps the loop's stage.
        with contextlib.suppress(AttributeError):
            setattr(exc, STAGE_ATTR, stage)


def _model_stage(purpose: str) -> str:
    """The stage of a model call, from what it was asked for."""
    if purpose in ("generate", "revise"):
        return "generate"
    if purpose in ("plan", "critique"):
        return purpose
    return "score"  # a metric's own question (CodeVQA, TeachQuiz, a judge)


class Pipeline:
    """Owns component instances for one process; build one per worker, `close()` at the end."""

    def __init__(self, loaded: LoadedConfig, plugins: list[Any] | None = None) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.base_dir = loaded.source.parent.resolve() if loaded.source else Path.cwd()
        self.pm = VisioncodePluginManager()
        self.trace = TracePlugin()
        self.pm.register(self.trace, name="visioncode.trace")
        for plugin in plugins or []:
            self.pm.register(plugin)
        self.components: dict[str, Component] = {}
        self._callers: dict[tuple[str, str], HookCaller] = {}
        self.calls = ModelCalls(self.config.model_calls, self.base_dir)
        self._usage = Usage()  # of the sample being run
        self._plan = ""  # the planner's answer for the sample being run
        # Images and video frames of the samples being run, by id (threads run
        # different samples; the ids of a run are unique).
        self._inputs: dict[str, SampleInputs] = {}
        self.render_cache: RenderCache | None = None
        try:
            for rc in loaded.components:
                self._add(rc)
            if self.config.run.render_cache and "renderer" in self.components:
                self.render_cache = RenderCache(self.components["renderer"])
                self.pm.register(self.render_cache, name="visioncode.render_cache")
        except BaseException:
            self.close()
            raise

    # -- components -------------------------------------------------------------------

    def _add(self, rc: ResolvedComponent) -> Component:
        entry = registry.find(rc.kind, rc.spec.use)
        context = ComponentContext(
            name=rc.spec.use, slot=rc.slot, version=entry.version,
            distribution=entry.distribution, base_dir=self.base_dir,
            model_factory=lambda spec, slot=rc.slot: self._model_for(slot, spec),  # type: ignore[misc]
        )
        component = rc.cls(rc.options, context)
        self.pm.register_component(component, rc.slot)
        self.components[rc.slot] = component
        self._callers.clear()
        return component

    def _model_for(self, owner: str, spec: Any) -> Callable[[ModelRequest], Completion]:
        """A model a component asked for by spec (e.g. a metric's policy model)."""
        spec = ComponentSpec.model_validate(spec)
        slot = f"{owner}.model[{spec.use}]"
        if slot not in self.components:
            from .config import validate_component

            where = str(self.loaded.source or "<config>")
            try:
                rc = validate_component(slot, "model", spec)
            except (UnknownComponentError, PluginLoadError) as exc:
                raise ConfigError(where, [(f"{owner}.options", str(exc))]) from None
            except ConfigError as exc:
                raise ConfigError(where, exc.problems) from None
            self._add(rc)
        return lambda request: self.generate(slot, request)

    def info(self) -> list[ComponentInfo]:
        return [
            ComponentInfo(slot=slot, kind=c.kind, name=c.name,
                          distribution=c.context.distribution, version=c.version)
            for slot, c in self.components.items()
        ]

    def close(self) -> None:
        for component in self.components.values():
            try:
                component.close()
            except Exception as exc:  # closing must not hide the run's outcome
                log.warning("component.close_failed", component=component.name, error=str(exc))
        self.calls.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls --------------------------------------------------------------------------

    def _caller(self, slot: str, hook: str) -> HookCaller:
        key = (slot, hook)
        if key not in self._callers:
            if slot not in self.components:
                raise VisioncodeError(f"pipeline has no component in slot {slot!r}")
            others = [c for s, c in self.components.items() if s != slot]
            self._callers[key] = self.pm.subset_hook_caller(hook, remove_plugins=others)
        return self._callers[key]

    def _call(self, slot: str, hook: str, expected: type[T], **kwargs: Any) -> T:
        stage = hook.removeprefix("visioncode_")
        if stage == "generate":
            stage = _model_stage(kwargs["request"].purpose)
        try:
            with structlog.contextvars.bound_contextvars(stage=stage,
                                                         component=self.components[slot].name):
                result = self._caller(slot, hook)(**kwargs)
            if not isinstance(result, expected):
                c = self.components[slot]
                raise ComponentContractError(
                    f"{c.kind} {c.name!r} returned {type(result).__name__} from {hook}, "
                    f"expected {expected.__name__}"
                )
        except Exception as exc:
            _tag(exc, stage)
            raise
        return result

    def generate(self, slot: str, request: ModelRequest) -> Completion:
        """Every model call: through the response cache, the endpoint's concurrency limit
        and retries (`ModelCalls`), then the hook. Its usage counts for the sample."""
        model = self.components.get(slot)
        if not isinstance(model, Model):
            raise VisioncodeError(f"pipeline has no model in slot {slot!r}")
        try:
            completion = self.calls.call(
                model, request,
                lambda req: self._call(slot, "visioncode_generate", Completion, request=req))
        except Exception as exc:  # out of retries, or the response cache failed
            _tag(exc, _model_stage(request.purpose))
            raise
        self._usage += completion.usage
        return completion

    def extract(self, text: str) -> Extraction:
        return self._call("executor", "visioncode_extract", Extraction, text=text)

    def execute(self, program: str, workdir: Path, sample: Sample | None = None) -> Execution:
        return self._call("executor", "visioncode_execute", Execution,
                          program=program, workdir=workdir, sample=sample)

    def render(self, execution: Execution, workdir: Path) -> Rendering:
        return self._call("renderer", "visioncode_render", Rendering,
                          execution=execution, spec=self.config.render, workdir=workdir)

    def visual_prompt(self, rendering: Rendering, workdir: Path) -> PromptedImage:
        return self._call("visual_prompter", "visioncode_visual_prompt", PromptedImage,
                          rendering=rendering, workdir=workdir)

    def score(self, sample: Sample, result: RoundRecord) -> dict[str, Score]:
        try:
            with structlog.contextvars.bound_contextvars(stage="score"):
                scores = self.pm.hook.visioncode_score(sample=sample, result=result)
            out: dict[str, Score] = {}
            for s in scores:
                if not isinstance(s, Score):
                    raise ComponentContractError(
                        f"a metric returned {type(s).__name__}, expected Score")
                out[s.metric] = s
        except Exception as exc:
            _tag(exc, "score")
            raise
        return dict(sorted(out.items()))

    # -- the loop -----------------------------------------------------------------------

    def run_sample(self, sample: Sample, workdir: Path) -> SampleRecord:
        """Run one sample end to end. A failing program fails only its own record; a
        crashing component gives status `error` with the traceback. Never raises for a
        sample's own problems, so the run goes on; an authentication failure of a model
        does raise, because every later sample would fail the same way."""
        if workdir.exists():  # leftovers of an interrupted attempt
            shutil.rmtree(workdir)
        workdir.mkdir(parents=True)
        started = time.time()
        record = SampleRecord(sample_id=sample.id, status="ok", started_at=started,
                              meta=sample.meta)
        structlog.contextvars.bind_contextvars(sample_id=sample.id)
        self._usage = Usage()
        loop = self.config.loop
        watch = ScoreWatch(loop) if loop.stop_metric else None
        stage = "generate"
        self._plan = ""
        try:
            stage = "inputs"
            self._inputs[sample.id] = prepare_inputs(sample, self.config.task.video,
                                                     workdir / "inputs")
            stage = "generate"
            if self.config.task.plan:
                stage = "plan"
                record.plan = self._make_plan(sample)
                self._plan = record.plan.text
                stage = "generate"
            stage = "prompt"  # the task's templates
            messages = self._initial_messages(sample)
            for r in range(loop.rounds):
                rdir = workdir / f"round-{r}"
                rdir.mkdir()
                stage = "generate"
                request = ModelRequest(messages=messages, sample_id=sample.id, round=r,
                                       purpose="generate" if r == 0 else "revise")
                rec = self._round(sample, request, rdir, r)
                record.rounds.append(rec)
                record.stop_reason = self._stop_reason(rec, watch)
                if record.stop_reason is not None:
                    break
                stage = "critique"
                feedback = self._feedback(rec)
                if loop.critic_mode == "feedback" and rec.rendered and not feedback:
                    record.stop_reason = "no_feedback"
                    break
                critique = self._critique(sample, rec, rdir, feedback)
                rec.critique = critique
                stage = "prompt"
                messages = [
                    *messages,
                    Message.of("assistant", rec.completion.text if rec.completion else ""),
                    Message.of("user", self._format(self.config.task.revise, sample,
                                                    critique=critique.text,
                                                    feedback=feedback)),
                ]
        except ModelError as exc:
            if exc.auth:
                raise
            self._record_error(record, stage, exc)
        except Exception as exc:
            self._record_error(record, stage, exc)
        finally:
            self._inputs.pop(sample.id, None)
            structlog.contextvars.unbind_contextvars("sample_id")
            record.usage = self._usage
        if record.rounds:
            final = record.rounds[-1]
            record.final_round = final.round
            record.scores = final.scores
            if record.status != "error" and not final.rendered:
                record.status, record.reason = "failed", f"{final.status}: {final.reason}"
        record.finished_at = time.time()
        record.timings["total"] = round(record.finished_at - started, 6)
        return record

    def _stop_reason(self, rec: RoundRecord, watch: ScoreWatch | None) -> StopReason | None:
        """Why the loop ends after this round, or None to critique and revise."""
        loop = self.config.loop
        if rec.round == loop.rounds - 1:
            return "rounds"
        if loop.stop_when_rendered and rec.rendered:
            return "rendered"
        if watch is not None and watch.update(rec):
            log.info("loop.no_improvement", round=rec.round, best=watch.best)
            return "no_improvement"
        return None

    @staticmethod
    def _record_error(record: SampleRecord, stage: str, exc: Exception) -> None:
        """`stage` is where the loop was; the stage that raised (tagged by `_call`) wins."""
        stage = getattr(exc, STAGE_ATTR, None) or stage
        record.status = "error"
        record.reason = f"{stage}: {type(exc).__name__}: {exc}"
        record.error = traceback.format_exc(limit=20)
        log.error("sample.error", stage=stage, error=record.reason)

    def _round(self, sample: Sample, request: ModelRequest, rdir: Path, r: int) -> RoundRecord:
        rec = RoundRecord(round=r)
        completion = self.generate("model", request)
        rec.completion = completion
        (rdir / "output.txt").write_text(completion.text, encoding="utf-8")
        rec.extraction = self.extract(completion.text)
        if not rec.extraction.ok or rec.extraction.program is None:
            rec.status = rec.extraction.status
            rec.reason = "; ".join(rec.extraction.notes) or "no program in the output"
        else:
            rec.execution = self.execute(rec.extraction.program, rdir, sample)
            if not rec.execution.ok:
                rec.status = rec.execution.status
                err = rec.execution.error
                rec.reason = err.describe() if err else rec.execution.status
            else:
                rec.rendering = self.render(rec.execution, rdir)
                if not rec.rendering.ok:
                    rec.status = "timeout" if rec.rendering.status == "timeout" \
                        else "render_error"
                    rec.reason = rec.rendering.error or rec.rendering.status
                elif rec.extraction.status == "repaired":  # rendered, but only after a fix
                    rec.status = "repaired"
                    rec.reason = "; ".join(rec.extraction.notes) or None
        rec.scores = self.score(sample, rec)
        rec.timings = self.trace.take()
        log.info("round.done", round=r, status=rec.status, reason=rec.reason)
        return rec

    def _make_plan(self, sample: Sample) -> Completion:
        """Ask the planner (`task.planner`, else the generator) the task's plan prompt."""
        assert self.config.task.plan is not None
        messages = self._initial_messages(sample, self.config.task.plan)
        slot = "task.planner" if "task.planner" in self.components else "model"
        return self.generate(slot, ModelRequest(messages=messages, purpose="plan",
                                                sample_id=sample.id, round=0))

    @staticmethod
    def _feedback(rec: RoundRecord) -> str:
        """What the round's metrics have to say to the critic or the coder: each score's
        `details["feedback"]` (e.g. a layout checker's list of faults), by metric."""
        notes = [f"[{name}] {text.strip()}" for name, score in rec.scores.items()
                 if isinstance(text := score.details.get("feedback"), str) and text.strip()]
        return "\n".join(notes)

    def _critique(self, sample: Sample, rec: RoundRecord, rdir: Path,
                  feedback: str = "") -> Completion:
        if self.config.loop.critic_mode == "feedback":
            text = feedback or f"The program did not render: {rec.status}: {rec.reason}"
            return Completion(text=text, model="metrics-feedback", usage=Usage())
        legend = ""
        image: Path | None = rec.rendering.image if rec.rendering else None
        if rec.rendered and "visual_prompter" in self.components and rec.rendering:
            rec.prompted = self.visual_prompt(rec.rendering, rdir)
            image, legend = rec.prompted.image, rec.prompted.legend
        parts: list[str | Path] = [self._format(self.config.task.critique, sample,
                                                legend=legend, feedback=feedback)]
        if sample.target_image:
            parts += ["Reference:", sample.target_image]
        if image is not None:
            parts += ["Rendering of the program:", image]
        else:
            parts.append(f"The program did not render: {rec.status}: {rec.reason}")
        parts.append(f"Program:\n{rec.program or '(none)'}")
        slot = "loop.critic" if "loop.critic" in self.components else "model"
        request = ModelRequest(messages=[Message.of("user", *parts)], purpose="critique",
                               sample_id=sample.id, round=rec.round)
        return self.generate(slot, request)

    def _initial_messages(self, sample: Sample, template: str | None = None) -> list[Message]:
        """The system message and a user message of `template` (the task's prompt by
        default) with the sample's image: how both the planner and round 0 are asked."""
        task = self.config.task
        messages = []
        if task.system:
            messages.append(Message.of("system", self._format(task.system, sample)))
        parts: list[str | Path | TextPart | ImagePart | VideoPart] = [
            self._format(template or task.prompt, sample)]
        inputs = self._inputs.get(sample.id)
        parts += inputs.parts() if inputs else sample.input_images
        messages.append(Message.of("user", *parts))
        return messages

    def _format(self, template: str, sample: Sample, **extra: str) -> str:
        fields = {"text": sample.text or "", "id": sample.id, "meta": sample.meta,
                  "plan": self._plan, "critique": "", "legend": "",
                  "feedback": "", "images": str(len(sample.input_images)), "frames": "0",
                  "frame_times": ""}
        inputs = self._inputs.get(sample.id)
        if inputs is not None:
            fields.update(inputs.template_fields())
        fields.update(extra)
        try:
            return template.format_map(fields)
        except (KeyError, IndexError, ValueError) as exc:
            raise VisioncodeError(
                f"task template {template[:60]!r}... refers to {exc} which sample "
                f"{sample.id!r} does not have (available: text, id, meta[...], images, frames, "
                f"frame_times, plan, critique, legend, feedback)") from None
