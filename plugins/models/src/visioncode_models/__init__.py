"""visioncode-models: models that need no API key.

- `vtracer` (`vtracer_model.VtracerModel`): the classical image->SVG tracer StarVector
  reports as a baseline, so a pipeline can be run and scored end to end offline.
- `replay` (`replay.ReplayModel`): answers from a JSONL file of recorded responses, for
  tests and for re-scoring saved outputs with new executors, renderers or metrics.

Nothing is imported here on purpose: the core loads each component by its entry point,
so using `replay` never imports vtracer's native extension.
"""

__version__ = "0.1.0"
