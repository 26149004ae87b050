"""pytest fixtures for component tests, loaded automatically in any project where
visioncode is installed (the `pytest11` entry point `visioncode`). Names start with
`visioncode_` so they never shadow a project's own fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..plugin_manager import VisioncodePluginManager
from ..samples import Sample
from .datasets import tiny_dataset, tiny_samples
from .models import ScriptedModel


@pytest.fixture
def visioncode_plugin_manager() -> VisioncodePluginManager:
    """A fresh plugin manager with visioncode's hookspecs: register a component with
    `register_component(instance, slot)` to check it against its kind's contract, then
    call it through `pm.hook` as the pipeline does."""
    return VisioncodePluginManager()


@pytest.fixture
def visioncode_tiny_samples(tmp_path: Path) -> list[Sample]:
    """Three samples (square, circle, triangle on white, 32x32 PNG) in tmp_path."""
    return tiny_samples(tmp_path / "tiny", 3)


@pytest.fixture
def visioncode_tiny_dataset(tmp_path: Path) -> Path:
    """The manifest of a three-sample dataset in tmp_path, for `[dataset] path`."""
    return tiny_dataset(tmp_path / "tiny-dataset", 3)


@pytest.fixture
def visioncode_scripted_model() -> Iterator[ScriptedModel]:
    """A `testing-scripted` model answering an empty SVG document; set
    `model.options.answers` (or build your own `ScriptedModel`) for other answers."""
    model = ScriptedModel(ScriptedModel.Options(
        answers=["<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'/>"]))
    yield model
    model.close()
