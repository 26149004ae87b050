"""visioncode: a model writes a program, the framework runs it safely, renders it, draws
visual prompts for a critic, loops critique into revision, and scores the result.

The names here are the public API that plugins build on; everything else is internal.
"""

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

__version__ = "0.1.0"

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
