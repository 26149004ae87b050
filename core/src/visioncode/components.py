"""The five component kinds a plugin can provide.

A component is a class with a `name` (its entry-point name), an `Options` pydantic model
(`extra="forbid"`, so a typo in a config is an error, not a silently ignored field), and
the method(s) of its kind. Subclass one of `Model`, `CodeExecutor`, `Renderer`,
`VisualPrompter`, `Metric`; see docs/writing-a-plugin.md.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import structlog
from pydantic import BaseModel, ConfigDict

from .execution import Execution, Extraction
from .messages import Completion, ModelRequest
from .records import RoundRecord
from .rendering import PromptedImage, Rendering, RenderSpec
from .response_cache import default_cache_dir
from .samples import Sample
from .scoring import Score

KINDS = ("model", "executor", "renderer", "visual_prompter", "metric")


class ComponentOptions(BaseModel):
    """Base of every component's Options: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class ComponentContext:
    """What the core hands a component: who it is, where it may write, and a way to reach
    other components (a metric that needs a model gets it here, never by importing the
    model's plugin)."""

    name: str
    slot: str = ""
    version: str = ""
    distribution: str = ""
    cache_dir: Path = field(default_factory=default_cache_dir)
    #: Folder of the pipeline file: relative paths in options resolve against it.
    base_dir: Path = field(default_factory=Path.cwd)
    model_factory: Callable[[Any], Callable[[ModelRequest], Completion]] | None = None

    def resolve_path(self, path: Path | str) -> Path:
        """An option's path, relative to the pipeline file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    @property
    def log(self) -> Any:
        return structlog.get_logger().bind(component=self.name, slot=self.slot)

    def model(self, spec: Any) -> Callable[[ModelRequest], Completion]:
        """A callable that sends requests to the model a component's options name
        (a `ComponentSpec` or `{"use": ..., "options": {...}}`), through the core, so
        caching and tracing wrappers apply."""
        if self.model_factory is None:
            raise RuntimeError(f"{self.name}: models are only available inside a pipeline")
        return self.model_factory(spec)


class Component(ABC):
    """Common base. Subclasses set `kind` and `hook_methods`; plugin authors subclass a kind."""

    kind: ClassVar[str]
    #: method name -> hook name, read by VisioncodePluginManager.
    hook_methods: ClassVar[dict[str, str]]
    Options: ClassVar[type[ComponentOptions]] = ComponentOptions

    def __init__(
        self, options: ComponentOptions | None = None, context: ComponentContext | None = None
    ) -> None:
        self.options = options if options is not None else self.Options()
        self.context = context or ComponentContext(name=_default_name(type(self)))

    @property
    def name(self) -> str:
        return self.context.name

    @property
    def version(self) -> str:
        return self.context.version

    def close(self) -> None:  # noqa: B027 (optional hook, empty by default)
        """Release processes, browsers or files. Called once when the pipeline ends."""

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name!r} ({type(self).__qualname__})>"


def _default_name(cls: type) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", cls.__name__).lower()


class Model(Component):
    """Answers chat requests with text. Providers raise `ModelError` with `retryable`,
    `auth` and `retry_after` set and never retry themselves: the core owns retries,
    the concurrency limit per endpoint and the response cache (`visioncode.model_calls`),
    and asks the model what identifies it through `endpoint()` and `cache_key()`."""

    kind = "model"
    hook_methods = {"generate": "visioncode_generate"}

    @abstractmethod
    def generate(self, request: ModelRequest) -> Completion: ...

    def endpoint(self) -> str | None:
        """The service this model's calls share a concurrency limit with (a base URL),
        or None for a model that runs in-process and needs no limit. Every process of a
        run (and every run on this machine) that names the same endpoint shares the
        `model_calls.max_connections` slots."""
        return None

    def cache_key(self) -> dict[str, Any] | None:
        """What, besides the request's messages, decides this model's answer: provider,
        base URL, model id and generation options (never a key or a timeout). None (the
        default) means answers are never cached. A `temperature` entry that is None or
        above 0 marks the model as sampling: its answers are cached only when the
        pipeline sets `model_calls.cache_sampled`."""
        return None


_FENCE = re.compile(r"```[\w+-]*\s*\n(.*?)```", re.DOTALL)


class CodeExecutor(Component):
    """Extracts a program from model output and runs it in isolation."""

    kind = "executor"
    hook_methods = {"extract": "visioncode_extract", "execute": "visioncode_execute"}

    def extract(self, text: str) -> Extraction:
        """Default: the first fenced code block, else the whole text."""
        m = _FENCE.search(text)
        program = (m.group(1) if m else text).strip()
        if not program:
            return Extraction(status="no_program", program=None, notes=["empty output"])
        return Extraction(program=program, notes=["took fenced block"] if m else [])

    @abstractmethod
    def execute(self, program: str, workdir: Path) -> Execution:
        """Run `program`, writing only under `workdir`. An executor with per-sample inputs
        (GUI actions, a follow-up simulation) adds a `sample: Sample | None = None`
        parameter and the pipeline passes the sample being run."""


class Renderer(Component):
    """Turns an execution into pixels under a RenderSpec."""

    kind = "renderer"
    hook_methods = {"render": "visioncode_render"}
    #: The executor whose artifacts this renderer reads (used by `visioncode render FILE`).
    default_executor: ClassVar[str | None] = None
    #: The canvas the library itself renders when nobody says otherwise (RenderSpec
    #: fields, e.g. Manim's `{"width": 1920, "height": 1080, "fps": 60, "background":
    #: "#000000"}`): `visioncode render FILE` uses them unless its flags override them.
    render_defaults: ClassVar[dict[str, Any]] = {}

    @abstractmethod
    def render(self, execution: Execution, spec: RenderSpec, workdir: Path) -> Rendering: ...


class VisualPrompter(Component):
    """Draws visual prompts (grids, marks, ids) on a rendering for a critic."""

    kind = "visual_prompter"
    hook_methods = {"prompt": "visioncode_visual_prompt"}

    @abstractmethod
    def prompt(self, rendering: Rendering, workdir: Path) -> PromptedImage: ...


class Metric(Component):
    """Scores a round's result against the sample's references."""

    kind = "metric"
    hook_methods = {"score": "visioncode_score"}

    @abstractmethod
    def score(self, sample: Sample, result: RoundRecord) -> Score: ...


BASES: dict[str, type[Component]] = {
    "model": Model,
    "executor": CodeExecutor,
    "renderer": Renderer,
    "visual_prompter": VisualPrompter,
    "metric": Metric,
}
