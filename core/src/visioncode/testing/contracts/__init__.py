"""Contract test suites, one per component kind.

Subclass one in a test module and name your component; pytest collects the subclass (its
name must start with `Test`) and runs every check of the kind against it::

    from visioncode.testing import RendererContract

    class TestMyRenderer(RendererContract):
        component = MyRenderer
        ...  # the few inputs the suite cannot guess (see each class)

A suite only checks what every component of its kind promises (the hook's contract and
the framework's rules), so a failure means a user would hit the problem too.
"""

from .base import ComponentContract
from .executor import ExecutorContract
from .metric import MetricContract
from .model import ModelContract
from .renderer import RendererContract
from .visual_prompter import VisualPrompterContract

__all__ = [
    "ComponentContract",
    "ExecutorContract",
    "MetricContract",
    "ModelContract",
    "RendererContract",
    "VisualPrompterContract",
]
