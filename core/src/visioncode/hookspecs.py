"""The contracts every component kind fulfils: the one place that states them.

Components do not decorate their methods: a Model's `generate`, an executor's `extract`
and `execute`, a Renderer's `render`, a VisualPrompter's `prompt` and a Metric's `score`
are mapped onto these hooks by `VisioncodePluginManager`. pluggy then checks, at
registration, that each method's parameters are a subset of the hook's, so a component
with a wrong signature is rejected before any sample runs.

Cross-cutting plugins (caching, tracing, budgets) implement the same hooks with
`@hookimpl(wrapper=True)` and see every call of that kind without touching components.
Model, executor, renderer and visual prompter hooks are `firstresult` resolvers (the
pipeline calls them on the one component of a stage); metrics are 1:N (every selected
metric answers).
"""

from __future__ import annotations

from pathlib import Path

import pluggy

from .execution import Execution, Extraction
from .messages import Completion, ModelRequest
from .records import RoundRecord
from .rendering import PromptedImage, Rendering, RenderSpec
from .samples import Sample
from .scoring import Score

PROJECT = "visioncode"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def visioncode_generate(request: ModelRequest) -> Completion:  # type: ignore[empty-body]
    """Model: answer a chat request (text and images) with a Completion.

    Raise `ModelError` (retryable or not) for provider failures; return text only."""


@hookspec(firstresult=True)
def visioncode_extract(text: str) -> Extraction:  # type: ignore[empty-body]
    """CodeExecutor: find the program in a model's raw output (strip fences, pick the
    right block, repair what is safe to repair) and say what was done."""


@hookspec(firstresult=True)
def visioncode_execute(  # type: ignore[empty-body]
    program: str, workdir: Path, sample: Sample | None
) -> Execution:
    """CodeExecutor: run an untrusted program in isolation, writing only under `workdir`.

    `sample` is the sample being run (None outside a pipeline, e.g. `visioncode render`),
    for executors with per-sample inputs such as GUI actions in `sample.meta`; an executor
    that needs none leaves the parameter out of its method. Never raise for a bad program:
    return an Execution whose status and error say why."""


@hookspec(firstresult=True)
def visioncode_render(  # type: ignore[empty-body]
    execution: Execution, spec: RenderSpec, workdir: Path
) -> Rendering:
    """Renderer: turn an execution's artifacts into pixels under `spec`, files in `workdir`.

    Never raise for a bad program: return a Rendering with status `error` or `timeout`."""


@hookspec(firstresult=True)
def visioncode_visual_prompt(  # type: ignore[empty-body]
    rendering: Rendering, workdir: Path
) -> PromptedImage:
    """VisualPrompter: draw visual prompts on the rendering and return the annotated
    image with a legend a model can cite."""


@hookspec
def visioncode_score(sample: Sample, result: RoundRecord) -> Score:  # type: ignore[empty-body]
    """Metric: score one round's result against the sample's references.

    A failed render is scored by the metric's failure policy, never by raising."""


#: Hook name -> (component kind, method name), used by the plugin manager and the docs.
HOOKS: dict[str, tuple[str, str]] = {
    "visioncode_generate": ("model", "generate"),
    "visioncode_extract": ("executor", "extract"),
    "visioncode_execute": ("executor", "execute"),
    "visioncode_render": ("renderer", "render"),
    "visioncode_visual_prompt": ("visual_prompter", "prompt"),
    "visioncode_score": ("metric", "score"),
}
