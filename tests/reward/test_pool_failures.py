"""A reward worker that cannot start (here: a metrics plugin that fails to import in the
worker processes only) stops the pool with the worker's own error, instead of restarting
it forever or leaving the trainer waiting."""

from __future__ import annotations

from pathlib import Path

import pytest

from visioncode.config import load_config
from visioncode.reward import RewardFunction
from visioncode.reward.pool import RewardWorkerError

from . import programs as p


def test_worker_that_cannot_start_fails_the_call_with_its_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_config(p.CONFIG)  # this process has the real plugins imported already
    shadow = tmp_path / "shadow" / "visioncode_metrics"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        'raise ImportError("visioncode_metrics is broken for this test")\n')
    monkeypatch.setenv("PYTHONPATH", str(shadow.parent))
    with RewardFunction(p.CONFIG, workers=1) as rf:
        with pytest.raises(RewardWorkerError, match=r"(?s)could not start.*broken for this test"):
            rf.score([{"sample_id": "icon-cloud", "completion": p.reference("icon-cloud")}])
        assert rf.pool.broken is not None
        # Later calls fail at once with the same reason.
        with pytest.raises(RewardWorkerError, match="broken for this test"):
            rf.score([{"sample_id": "icon-cloud", "completion": p.BLANK}])
