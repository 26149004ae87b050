"""The installed distribution registers every metric under its documented name."""

from __future__ import annotations

from importlib import metadata

from visioncode import Metric

NAMES = {"mse", "psnr", "ssim", "render-success", "program-size", "svg-code", "codevqa",
         "renderer-agreement", "siglip", "dinov2", "clip", "lpips", "teachquiz", "vlm-judge",
         "frames", "motion"}
#: Options a metric cannot be built without.
REQUIRED = {"svg-code": {"tokenizer": None}, "codevqa": {"model": {"use": "replay"}},
            "renderer-agreement": {"other": {"use": "resvg"}},
            "teachquiz": {"student": {"use": "replay"}}, "vlm-judge": {"judge": {"use": "replay"}}}


def test_metrics_are_registered_and_load_as_metric_classes() -> None:
    entries = {
        ep.name: ep for ep in metadata.entry_points(group="visioncode.metrics")
        if ep.dist is not None and ep.dist.name == "visioncode-metrics"
    }
    assert set(entries) == NAMES
    for name, ep in entries.items():
        cls = ep.load()
        assert issubclass(cls, Metric)
        options = cls.Options.model_validate(REQUIRED.get(name, {}))
        assert cls(options).name == name  # default component name matches the entry point
