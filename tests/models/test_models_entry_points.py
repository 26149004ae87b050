"""The installed distribution registers both models under their documented names."""

from __future__ import annotations

from importlib import metadata

from visioncode import Model


def test_models_are_registered_and_load_as_model_classes() -> None:
    entries = {
        ep.name: ep for ep in metadata.entry_points(group="visioncode.models")
        if ep.dist is not None and ep.dist.name == "visioncode-models"
    }
    assert set(entries) == {"vtracer", "replay"}
    for ep in entries.values():
        assert issubclass(ep.load(), Model)
