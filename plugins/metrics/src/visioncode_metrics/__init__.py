"""visioncode-metrics: scores for a round's result against its sample's references.

Pixel fidelity (`mse`, `psnr`, `ssim`), whether the program rendered at all
(`render-success`), how big the program is (`program-size`) and what it is made of
(`svg-code`: tokens under a named tokenizer, elements by primitive), whether its render
still answers the image's questions (`codevqa`), and how two renderers agree on it
(`renderer-agreement`). Each is a `visioncode.Metric` registered under the
`visioncode.metrics` entry-point group; the core loads them by entry point, so nothing
is imported here.
"""

from importlib.metadata import version as _version

__version__ = _version("visioncode-metrics")
