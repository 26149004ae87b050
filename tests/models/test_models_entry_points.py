"""The installed distribution registers every model under its documented name."""

from __future__ import annotations

from importlib import metadata

from visioncode import Model


def test_models_are_registered_and_load_as_model_classes() -> None:
    entries = {
        ep.name: ep for ep in metadata.entry_points(group="visioncode.models")
        if ep.dist is not None and ep.dist.name == "visioncode-models"
    }
    assert set(entries) == {"vtracer", "replay", "openai", "anthropic", "command"}
    for ep in entries.values():
        assert issubclass(ep.load(), Model)
