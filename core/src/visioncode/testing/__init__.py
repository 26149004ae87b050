"""Helpers for testing components: the ones visioncode's own tests use, made public so a
plugin author tests a new component the same way.

- `ScriptedModel`: a deterministic `Model` that answers from a list (per round) or a
  table (per sample), no provider, no keys, no network. Registered as `testing-scripted`
  so pipeline files in tests can name it; the name says it is not for real runs.
- Tiny datasets made on the fly with Pillow: `shape_image`, `tiny_dataset`,
  `rendering_of`, `round_of` (build the objects a component receives).
- Contract suites, one per kind, as classes to subclass in a test module:
  `RendererContract`, `ExecutorContract`, `ModelContract`, `VisualPrompterContract`,
  `MetricContract`. Each runs the checks every component of its kind must pass.
- pytest fixtures (`visioncode_plugin_manager`, `visioncode_tiny_dataset`, ...), loaded
  automatically through the `pytest11` entry point of the `visioncode` distribution.

See docs/writing-a-plugin.md ("Test it").
"""

from typing import TYPE_CHECKING, Any

from .datasets import (
    SHAPES,
    pixel_colours,
    rendering_of,
    round_of,
    shape_image,
    tiny_dataset,
    tiny_samples,
)
from .models import ScriptedModel, ScriptedOptions

if TYPE_CHECKING:
    from .contracts import (
        ExecutorContract,
        MetricContract,
        ModelContract,
        RendererContract,
        VisualPrompterContract,
    )

_CONTRACTS = {"ExecutorContract", "MetricContract", "ModelContract", "RendererContract",
              "VisualPrompterContract"}


def __getattr__(name: str) -> Any:
    # The suites need pytest; the scripted model and the datasets do not, so a pipeline
    # that uses `testing-scripted` works where pytest is not installed.
    if name in _CONTRACTS:
        from . import contracts

        return getattr(contracts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "SHAPES",
    "ExecutorContract",
    "MetricContract",
    "ModelContract",
    "RendererContract",
    "ScriptedModel",
    "ScriptedOptions",
    "VisualPrompterContract",
    "pixel_colours",
    "rendering_of",
    "round_of",
    "shape_image",
    "tiny_dataset",
    "tiny_samples",
]
