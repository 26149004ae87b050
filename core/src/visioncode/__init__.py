"""visioncode: a model writes a program, the framework runs it safely, renders it, draws
visual prompts for a critic, loops critique into revision, and scores the result.

The names here are the public API that plugins build on; everything else is internal.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .components import (
        CodeExecutor,
        Component,
        ComponentContext,
        ComponentOptions,
        Metric,
        Model,
        Renderer,
        VisualPrompter,
    )
    from .config import ComponentSpec
    from .errors import (
        ConfigError,
        DatasetError,
        ModelError,
        PluginLoadError,
        UnknownComponentError,
        VisioncodeError,
    )
    from .execution import Execution, Extraction, ProgramError
    from .hookspecs import hookimpl, hookspec
    from .messages import Completion, ImagePart, Message, ModelRequest, TextPart, Usage
    from .records import RoundRecord, SampleRecord
    from .rendering import PromptedImage, Rendering, RenderSpec
    from .samples import Sample
    from .sandbox import (
        Limits,
        SandboxError,
        Worker,
        parse_answer,
        run_limited,
        serve,
        take_file,
    )
    from .scoring import FailurePolicy, Score

#: Public name -> the submodule that defines it. The names are imported on first use
#: (PEP 562), so that `visioncode --help` and `visioncode plugins` start without
#: pydantic models, structlog or the sandbox being imported.
_LAZY = {
    **dict.fromkeys(("CodeExecutor", "Component", "ComponentContext", "ComponentOptions",
                     "Metric", "Model", "Renderer", "VisualPrompter"), "components"),
    "ComponentSpec": "config",
    **dict.fromkeys(("ConfigError", "DatasetError", "ModelError", "PluginLoadError",
                     "UnknownComponentError", "VisioncodeError"), "errors"),
    **dict.fromkeys(("Execution", "Extraction", "ProgramError"), "execution"),
    **dict.fromkeys(("hookimpl", "hookspec"), "hookspecs"),
    **dict.fromkeys(("Completion", "ImagePart", "Message", "ModelRequest", "TextPart",
                     "Usage"), "messages"),
    **dict.fromkeys(("RoundRecord", "SampleRecord"), "records"),
    **dict.fromkeys(("PromptedImage", "Rendering", "RenderSpec"), "rendering"),
    "Sample": "samples",
    **dict.fromkeys(("Limits", "SandboxError", "Worker", "parse_answer", "run_limited", "serve",
                     "take_file"), "sandbox"),
    **dict.fromkeys(("FailurePolicy", "Score"), "scoring"),
}


def __getattr__(name: str) -> Any:
    if name == "__version__":  # the installed distribution's, never a second literal
        from importlib.metadata import version

        globals()[name] = value = version("visioncode")
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'visioncode' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "CodeExecutor",
    "Completion",
    "Component",
    "ComponentContext",
    "ComponentOptions",
    "ComponentSpec",
    "ConfigError",
    "DatasetError",
    "Execution",
    "Extraction",
    "FailurePolicy",
    "ImagePart",
    "Limits",
    "Message",
    "Metric",
    "Model",
    "ModelError",
    "ModelRequest",
    "PluginLoadError",
    "ProgramError",
    "PromptedImage",
    "RenderSpec",
    "Renderer",
    "Rendering",
    "RoundRecord",
    "Sample",
    "SampleRecord",
    "SandboxError",
    "Score",
    "TextPart",
    "UnknownComponentError",
    "Usage",
    "VisioncodeError",
    "VisualPrompter",
    "Worker",
    "hookimpl",
    "hookspec",
    "parse_answer",
    "run_limited",
    "serve",
    "take_file",
]
