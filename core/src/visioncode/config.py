"""Pipeline configs: TOML or YAML files validated in two passes.

Pass 1 checks the file against `PipelineConfig`; pass 2 loads each named component and
validates its `options` against the component's own `Options`. Every problem found is
reported at once, with the file, the full field path (`renderer.options.width`) and the fix.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from . import registry
from .components import Component, ComponentOptions
from .errors import ConfigError, PluginLoadError, UnknownComponentError
from .rendering import RenderSpec
from .reward.spec import RewardSpec

#: The critic's prompt: a difference analysis between the render and the reference, the
#: first half of VCoder's "thinking with revision" (the generator then rewrites from it).
DEFAULT_CRITIQUE = (
    "You are reviewing the rendering of a program against the reference image it should "
    "reproduce.\n"
    "Write a difference analysis: list every visible difference between the rendering and "
    "the reference (missing or extra elements, shapes, positions, sizes, proportions, "
    "colours, text, layout), the most important first, and for each say how the program "
    "should change to remove it. Do not write the program. {legend}"
)
DEFAULT_REVISE = (
    "Here is a difference analysis between the rendering of your previous program and "
    "the reference:\n{critique}\n"
    "Rewrite the complete program so that its rendering matches the reference, fixing "
    "every difference. Output only the program."
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComponentSpec(_Strict):
    """A stage's component: `use` is its entry-point name, `options` its Options."""

    use: str = Field(min_length=1, description="The component's name (its entry-point name, "
                     "e.g. `openai`, `replay`, `cairosvg`).")
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="That component's options.")


class VideoSpec(_Strict):
    """How a sample's `video` reaches the model. `frames`: sampled with PyAV at `fps`
    frames per second of video (evenly over the whole video when that gives more than
    `max_frames`), each an image part after the sample's images, in time order;
    `whole`: the file itself, for providers that take video (the others refuse it)."""

    mode: Literal["frames", "whole"] = "frames"
    fps: float = Field(1.0, gt=0, le=60)
    max_frames: int = Field(8, ge=1, le=256)
    #: Put a line `Frame k of n at t s:` before each frame, so the model knows when
    #: each was taken (also available to templates as `{frame_times}`).
    label_frames: bool = True


class TaskSpec(_Strict):
    """What the model is asked. Templates are `str.format` strings over the sample's
    fields: `{text}`, `{id}`, and `{meta[key]}`; `{images}` (how many images the model
    is shown: the sample's and the video's frames), `{frames}` and `{frame_times}` (the
    frames' times, `0.0 s, 1.0 s, ...`); `{plan}` is the planner's answer (when
    `plan` is set), and the critique and revise templates also get `{critique}`,
    `{legend}` (the visual prompter's) and `{feedback}` (the metrics')."""

    name: str = Field(min_length=1)
    system: str | None = None
    #: Asked once per sample before round 0 (Code2Video's planner: "outline the sections
    #: of a video on {text}"); the answer is `{plan}` in every other template.
    plan: str | None = Field(None, min_length=1)
    #: The model that answers `plan`; default: the generator (`model`).
    planner: ComponentSpec | None = None
    prompt: str = "{text}"
    critique: str = DEFAULT_CRITIQUE
    revise: str = DEFAULT_REVISE
    #: How a sample's video is shown to the model (`{fps = 1, max_frames = 8}`).
    video: VideoSpec = Field(default_factory=VideoSpec)


class DatasetSpec(_Strict):
    """A JSON Lines manifest (relative paths resolve against the config's folder)."""

    path: Path
    limit: int | None = Field(None, ge=1)


class LoopSpec(_Strict):
    """The critique->revise loop. With `rounds = 1` there is no critique; with more, the
    critic (a model; defaults to the generator) reviews each render and the generator
    revises. The loop ends after `rounds` rounds, at the first round that renders when
    `stop_when_rendered`, or when `stop_metric` has not improved by more than `min_delta`
    for `patience` rounds in a row. The sample's result is always its last round."""

    rounds: int = Field(1, ge=1, le=50)
    critic: ComponentSpec | None = None
    #: `model`: a model (the critic, else the generator) writes the critique.
    #: `feedback`: no model call; the critique is the metrics' feedback
    #: (`Score.details["feedback"]`), and the loop ends when a rendered round has none.
    critic_mode: Literal["model", "feedback"] = "model"
    stop_when_rendered: bool = False
    #: `metric.key` (e.g. `ssim.ssim`, or just `ssim` when the key is the metric's
    #: name) whose value decides early stopping; the metric must be in `metrics`.
    stop_metric: str | None = Field(None, min_length=1)
    #: Rounds in a row without improvement that end the loop.
    patience: int = Field(1, ge=1)
    #: An improvement must exceed this to count.
    min_delta: float = Field(0.0, ge=0.0)

    @model_validator(mode="after")
    def _critic_needs_model_mode(self) -> LoopSpec:
        if self.critic is not None and self.critic_mode == "feedback":
            raise ValueError("loop.critic is never asked when critic_mode = 'feedback' "
                             "(the metrics' feedback is the critique): remove one of them")
        return self

    def stop_metric_key(self) -> tuple[str, str] | None:
        """`stop_metric` split into (metric name, value key)."""
        if self.stop_metric is None:
            return None
        metric, _, key = self.stop_metric.partition(".")
        return metric, key or metric


class RunSpec(_Strict):
    """How a run executes: none of it changes what a sample computes, so only `seed` is
    part of the config hash (a run may be resumed with other workers or backend)."""

    workers: int = Field(1, ge=1, le=512)
    out: Path = Path("runs")
    seed: int = 0
    #: Samples each worker runs at once in threads: above 1, one sample's model call
    #: overlaps another's execution and render (those calls stay one at a time per worker).
    samples_per_worker: int = Field(1, ge=1, le=64)
    #: `local` (this machine: in-process or a process pool) or `ray` (a Ray cluster;
    #: install the `ray` extra).
    backend: Literal["local", "ray"] = "local"
    #: The Ray cluster to join (`ray://host:10001`, `auto`); None starts a local Ray.
    address: str | None = None
    #: Reuse renders of identical programs from the render cache
    #: (`$VISIONCODE_CACHE_DIR/renders`).
    render_cache: bool = True


class ModelCallsSpec(_Strict):
    """How the core makes every model call of a pipeline (generator, critic and the models
    metrics ask for): retries, the concurrency limit per endpoint, the response cache.
    Left out of the config hash: it changes how answers are fetched, not what is asked."""

    #: Retries of a call that failed with a retryable error (429, 5xx, timeout,
    #: connection error); 0 disables retrying. Auth failures are never retried.
    max_retries: int = Field(6, ge=0, le=100)
    #: First backoff; attempt n waits between half and all of base * 2**n seconds.
    backoff_base_s: float = Field(1.0, ge=0.0)
    #: Longest wait between attempts, also the cap on a server's Retry-After.
    backoff_max_s: float = Field(60.0, ge=0.0)
    #: Calls in flight to one endpoint (a model's base URL) at once, across all worker
    #: processes of a run and every other run on this machine.
    max_connections: int = Field(8, ge=1, le=4096)
    #: Answer repeated requests from the response cache.
    cache: bool = True
    #: Also cache models that sample (temperature unset or above 0).
    cache_sampled: bool = False
    #: The cache database; default `$VISIONCODE_CACHE_DIR/responses.sqlite`, else
    #: `$XDG_CACHE_HOME/visioncode/responses.sqlite`, else `~/.cache/visioncode/...`.
    #: Relative paths resolve against the pipeline file's folder.
    cache_path: Path | None = None


class PipelineConfig(_Strict):
    """The whole pipeline file. See docs/config.md for every field."""

    task: TaskSpec
    dataset: DatasetSpec
    model: ComponentSpec
    executor: ComponentSpec
    renderer: ComponentSpec
    render: RenderSpec = Field(default_factory=RenderSpec)
    visual_prompter: ComponentSpec | None = None
    loop: LoopSpec = Field(default_factory=LoopSpec)
    metrics: list[ComponentSpec] = Field(default_factory=list)
    run: RunSpec = Field(default_factory=RunSpec)
    model_calls: ModelCallsSpec = Field(default_factory=ModelCallsSpec)
    #: `[reward]`: how `visioncode.reward` and `visioncode serve` turn this config's
    #: metrics into one reward per completion for RL trainers (docs/rewards.md).
    reward: RewardSpec | None = None

    @field_validator("metrics")
    @classmethod
    def _unique_metrics(cls, v: list[ComponentSpec]) -> list[ComponentSpec]:
        names = [m.use for m in v]
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            raise ValueError(f"metric(s) listed twice: {', '.join(dups)}")
        return v


#: slot -> component kind, for the single-component stages.
STAGE_KINDS = {
    "model": "model",
    "executor": "executor",
    "renderer": "renderer",
    "visual_prompter": "visual_prompter",
    "loop.critic": "model",
    "task.planner": "model",
}


@dataclass
class ResolvedComponent:
    slot: str
    kind: str
    spec: ComponentSpec
    cls: type[Component]
    options: ComponentOptions


@dataclass
class LoadedConfig:
    """A validated pipeline: the config, where it came from, and each component resolved."""

    config: PipelineConfig
    source: Path | None
    components: list[ResolvedComponent]

    @property
    def hash(self) -> str:
        return config_hash(self.config)

    def component(self, slot: str) -> ResolvedComponent | None:
        return next((c for c in self.components if c.slot == slot), None)


def config_hash(config: PipelineConfig) -> str:
    """Identity of what a run computes: everything but how many workers, where, and how
    model calls are made (retries, connections, cache)."""
    data = config.model_dump(mode="json",
                             exclude={"run": {"workers", "out", "samples_per_worker", "backend",
                                             "address", "render_cache"},
                                     "model_calls": True, "reward": True})
    data.get("dataset", {}).pop("limit", None)
    task = data.get("task", {})
    if task.get("video") == VideoSpec().model_dump(mode="json"):
        task.pop("video")  # the default: hashes of configs from before `task.video` hold
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def read_file(path: Path) -> dict[str, Any]:
    """Parse a TOML or YAML file into a dict, with the file named in any error."""
    if not path.is_file():
        raise ConfigError(str(path), [("(file)", "not found")])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), [("(file)", f"not UTF-8 text: {exc}")]) from None
    try:
        if path.suffix in {".yaml", ".yml"}:
            data = yaml.safe_load(text) or {}
        else:
            data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        kind = "YAML" if path.suffix in {".yaml", ".yml"} else "TOML"
        raise ConfigError(str(path), [("(file)", f"not valid {kind}: {exc}")]) from None
    if not isinstance(data, dict):
        raise ConfigError(str(path), [("(file)", "the top level must be a table/mapping")])
    return data


def load_config(
    path: Path | str, overrides: dict[str, Any] | None = None
) -> LoadedConfig:
    """Read, validate and resolve a pipeline file. `overrides` maps dotted paths
    (`renderer.use`, `run.workers`) to values applied before validation."""
    path = Path(path)
    data = read_file(path)
    for dotted, value in (overrides or {}).items():
        try:
            _set_dotted(data, dotted, value)
        except (AttributeError, TypeError):
            raise ConfigError(str(path), [(dotted, "cannot be set: a part of this path is "
                                           "a value, not a table")]) from None
    return validate(data, source=path)


def validate(data: dict[str, Any], source: Path | None = None) -> LoadedConfig:
    """Both validation passes over an already-parsed config."""
    where = str(source) if source else "<config>"
    try:
        config = PipelineConfig.model_validate(data)
    except ValidationError as exc:
        # Every problem at once: the components that can be named are checked too, so
        # an unknown metric is not hidden behind a typo in another table.
        first = _problems(exc, PipelineConfig, prefix="")
        raise ConfigError(where, first + _raw_component_problems(data)) from None

    if source is not None and not config.dataset.path.is_absolute():
        config.dataset.path = (source.parent / config.dataset.path).resolve()

    problems: list[tuple[str, str]] = _stop_metric_problems(config)
    resolved: list[ResolvedComponent] = []
    slots: list[tuple[str, str, ComponentSpec]] = []
    for slot, kind in STAGE_KINDS.items():
        spec = _get_dotted(config, slot)
        if spec is not None:
            slots.append((slot, kind, spec))
    slots += [(f"metrics[{i}]", "metric", m) for i, m in enumerate(config.metrics)]

    for slot, kind, spec in slots:
        try:
            resolved.append(validate_component(slot, kind, spec))
        except (UnknownComponentError, PluginLoadError) as exc:
            problems.append((f"{slot}.use", str(exc)))
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(where, problems)
    return LoadedConfig(config=config, source=source, components=resolved)


def _raw_component_problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Pass 2 over the component tables of a config that failed pass 1: each table that
    is itself a valid `ComponentSpec` is loaded and its options validated."""
    slots: list[tuple[str, str, Any]] = []
    for slot, kind in STAGE_KINDS.items():
        node: Any = data
        for part in slot.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        slots.append((slot, kind, node))
    metrics = data.get("metrics")
    if isinstance(metrics, list):
        slots += [(f"metrics[{i}]", "metric", m) for i, m in enumerate(metrics)]
    problems: list[tuple[str, str]] = []
    for slot, kind, raw in slots:
        if not isinstance(raw, dict):
            continue
        try:
            spec = ComponentSpec.model_validate(raw)
        except ValidationError:
            continue  # pass 1 has reported it
        try:
            validate_component(slot, kind, spec)
        except (UnknownComponentError, PluginLoadError) as exc:
            problems.append((f"{slot}.use", str(exc)))
        except ConfigError as exc:
            problems += exc.problems
    return problems


def check_contracts(loaded: LoadedConfig) -> list[tuple[str, str]]:
    """The hook contract of every component (method names and signatures), as a pipeline
    checks it when it registers them, but without starting any component: each class is
    registered as a bare instance whose `__init__` never runs (no worker, browser or
    model is started). Returns (slot, problem) pairs."""
    from .components import ComponentContext
    from .plugin_manager import ContractError, VisioncodePluginManager

    pm = VisioncodePluginManager()
    problems: list[tuple[str, str]] = []
    for rc in loaded.components:
        bare = rc.cls.__new__(rc.cls)
        bare.options = rc.options
        bare.context = ComponentContext(name=rc.spec.use, slot=rc.slot)
        try:
            pm.register_component(bare, rc.slot)
        except ContractError as exc:
            problems.append((f"{rc.slot}.use", str(exc)))
    return problems


def _stop_metric_problems(config: PipelineConfig) -> list[tuple[str, str]]:
    """`loop.stop_metric` must name a metric the pipeline scores."""
    key = config.loop.stop_metric_key()
    names = [m.use for m in config.metrics]
    if key is None or key[0] in names:
        return []
    return [("loop.stop_metric",
             f"{config.loop.stop_metric!r} names metric {key[0]!r}, which is not in "
             f"[[metrics]] ({', '.join(names) or 'none'}); add it or fix the name")]


def validate_component(slot: str, kind: str, spec: ComponentSpec) -> ResolvedComponent:
    """Pass 2 for one component: load its class and validate its options.

    Raises UnknownComponentError / PluginLoadError, or ConfigError with the options'
    problems (its `source` is left for the caller to name)."""
    cls = registry.load(kind, spec.use)
    try:
        options = cls.Options.model_validate(spec.options)
    except ValidationError as exc:
        raise ConfigError("<config>", _problems(exc, cls.Options, f"{slot}.options")) from None
    return ResolvedComponent(slot, kind, spec, cls, options)


def _get_dotted(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
    return obj


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _problems(
    exc: ValidationError, model: type[BaseModel], prefix: str
) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors():
        loc = list(err["loc"])
        path = _format_loc(prefix, loc)
        out.append((path, _explain(err, model, loc)))
    return out


def _format_loc(prefix: str, loc: list[Any]) -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path or "(top level)"


def _explain(err: Any, model: type[BaseModel], loc: list[Any]) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "missing":
        return f"{msg}: add this field"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, loc[:-1])
        import difflib

        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown field: {hint}remove it; allowed fields: {', '.join(allowed)}"
    got = err.get("input")
    shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
    return f"{msg} (got {shown})"


def _allowed_fields(model: type[BaseModel], loc: list[Any]) -> list[str]:
    """Field names of the model found at `loc` inside `model` (best effort)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        current = _unwrap(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return []


def _unwrap(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(tp):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return tp
