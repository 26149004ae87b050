"""A feature metric (DINOv2, a tiny random model built here, `device = "auto"`) as a
reward term in the reward workers: on a machine without an accelerator it runs on the
CPU and gives real similarities."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from visioncode.reward import RewardFunction

from . import programs as p

pytestmark = pytest.mark.slow
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "metrics"))


def test_dinov2_term_on_auto_device(tmp_path: Path) -> None:
    from features_support import make_dinov2

    model = make_dinov2(tmp_path / "dinov2")
    config = tmp_path / "reward.toml"
    body = p.CONFIG.read_text().split("[[metrics]]")[0].replace(
        'path = "dataset/samples.jsonl"',
        f'path = "{p.EXAMPLE / "dataset" / "samples.jsonl"}"')
    config.write_text(body + f"""
[[metrics]]
use = "dinov2"
[metrics.options]
local_path = "{model}"
device = "auto"

[reward]
[[reward.terms]]
metric = "dinov2"
clip = [0.0, 1.0]

[[reward.gates]]
gate = "min-content"
""")
    with RewardFunction(config, workers=1) as rf:
        same, other, blank = rf.score([
            {"sample_id": "icon-heart", "completion": p.reference("icon-heart")},
            {"sample_id": "icon-heart", "completion": p.reference("shapes-07")},
            {"sample_id": "icon-heart", "completion": p.BLANK}])
    assert same.status == other.status == "ok", (same.reason, other.reason)
    assert same.terms["dinov2"] is not None and other.terms["dinov2"] is not None
    assert same.terms["dinov2"] > other.terms["dinov2"]
    assert blank.status == "gated"
