"""visioncode-svg: SVG for visioncode.

- `SvgExecutor` (`svg`): finds the SVG in model output, parses it safely and strips
  scripts, event handlers and external references;
- `CairoSvgRenderer` (`cairosvg`) and `ResvgRenderer` (`resvg`): render it to a PNG of
  exactly the RenderSpec's size in a warm, sandboxed worker process;
- `svg_status`: one status per round (`ok`, `repaired`, `no_svg`, `parse_error`,
  `render_error`, `timeout`);
- `visioncode-svg-dataset` (`dataset_cli`): img2svg datasets from icon folders and npm
  packages.

Importing this package does not import cairosvg or resvg; only the worker process does.
"""

from importlib.metadata import version as _version

from .executor import SvgExecutor, SvgExecutorOptions
from .extract import extract_svg, original_program
from .renderers import CairoSvgRenderer, ResvgRenderer, SvgRendererOptions
from .sanitize import Sanitized, SanitizeError, SanitizeLimits, sanitize
from .status import STATUSES, svg_status

__version__ = _version("visioncode-svg")

__all__ = [
    "STATUSES",
    "CairoSvgRenderer",
    "ResvgRenderer",
    "SanitizeError",
    "SanitizeLimits",
    "Sanitized",
    "SvgExecutor",
    "SvgExecutorOptions",
    "SvgRendererOptions",
    "extract_svg",
    "original_program",
    "sanitize",
    "svg_status",
]
