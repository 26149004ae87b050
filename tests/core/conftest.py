"""Fixtures of the core tests: the stage plugin (`plugin_stages`) installed as a real
distribution, and pipelines written with it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from . import plugin_stages


@pytest.fixture(scope="session")
def stage_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the stage plugin's dist-info, for sys.path and PYTHONPATH."""
    return plugin_stages.install(tmp_path_factory.mktemp("stage-site"))


def use_site(site: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Make the plugin in `site` visible to this process and the processes it starts;
    return the environment for subprocesses."""
    monkeypatch.syspath_prepend(str(site))
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    monkeypatch.setenv("PYTHONPATH", path.rstrip(os.pathsep))
    return dict(os.environ)


@pytest.fixture
def stage_plugin(stage_site: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The stage plugin, installed once per session (its code is never edited)."""
    return use_site(stage_site, monkeypatch)


def stage_pipeline(tmp_path: Path, *, model: str = "", executor: str = "",
                   renderer: str = "", extra: str = "", samples: int = 1,
                   use_executor: str = "stage-executor") -> Path:
    """A pipeline of stage components over `samples` text-only samples; the keyword
    arguments are the option lines of each table (e.g. `fail = true`)."""
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"id": f"s{i}", "text": "a square"}) + "\n"
                            for i in range(samples)))
    path = tmp_path / "pipeline.toml"
    path.write_text(f"""
[task]
name = "stages"

[dataset]
path = "{data}"

[model]
use = "stage-model"
options = {{ {model} }}

[executor]
use = "{use_executor}"
options = {{ {executor} }}

[renderer]
use = "stage-renderer"
options = {{ {renderer} }}

[render]
width = 8
height = 8

{extra}
""")
    return path
