"""Caches must not lie: the render cache is keyed by the code that renders (an edited
local plugin misses its old renders instead of serving them), and the response cache by
the contents of the files a local model names (weights, scripts), not their paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visioncode.messages import Message, ModelRequest
from visioncode.response_cache import request_key

from . import plugin_stages
from .conftest import stage_pipeline, use_site
from .test_cli import vc


def render_meta(run: Path) -> list[dict]:
    records = [json.loads(x) for x in (run / "records.jsonl").read_text().splitlines()]
    return [r["rounds"][0]["rendering"]["metadata"]["render_cache"] for r in records]


def test_an_edited_renderer_misses_the_render_cache(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    site = plugin_stages.install(tmp_path / "site")
    env = use_site(site, monkeypatch)
    cfg = stage_pipeline(tmp_path)
    res = vc("run", str(cfg), "--out", str(tmp_path / "r1"), "-q", env=env)
    assert res.returncode == 0, res.stderr
    assert [m["hit"] for m in render_meta(tmp_path / "r1")] == [False]
    res = vc("run", str(cfg), "--out", str(tmp_path / "r2"), "-q", env=env)
    assert [m["hit"] for m in render_meta(tmp_path / "r2")] == [True]
    assert "1 from the render cache" in res.stdout
    # The plugin's renderer now raises: the cache must not keep "succeeding" for it.
    code = site / plugin_stages.PACKAGE / "__init__.py"
    code.write_text(code.read_text().replace(
        '        if self.options.fail:\n            raise RuntimeError("renderer failed',
        '        if True:\n            raise RuntimeError("renderer failed'))
    res = vc("run", str(cfg), "--out", str(tmp_path / "r3"), "-q", env=env)
    assert res.returncode == 3
    [record] = [json.loads(x) for x in (tmp_path / "r3" / "records.jsonl").read_text()
                .splitlines()]
    assert record["status"] == "error"
    assert record["reason"].startswith("render: RuntimeError: renderer failed in render")


def test_a_local_model_file_is_keyed_by_its_contents(tmp_path: Path) -> None:
    weights = tmp_path / "model.bin"
    weights.write_bytes(b"weights v1")
    identity = {"provider": "local", "model": "tiny", "weights": str(weights)}
    request = ModelRequest(messages=[Message.of("user", "draw a cat")])
    first = request_key(identity, request)
    assert request_key(identity, request) == first
    weights.write_bytes(b"weights v2, retrained")
    assert request_key(identity, request) != first
    # A folder of weights counts by every file in it.
    folder = tmp_path / "checkpoint"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    identity = {"provider": "local", "model": "tiny", "path": str(folder)}
    before = request_key(identity, request)
    (folder / "shard-0.bin").write_bytes(b"\0" * 16)
    assert request_key(identity, request) != before
