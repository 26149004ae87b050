"""The matplotlib battery: hostile chart programs answered by a model (replayed) through a
whole chart2code pipeline with the real `matplotlib` executor and renderer.

Each case must end with its sample failed for its recorded reason, nothing reaching the
network, nothing outside the job's folder read into the run or changed, no secret of the
host's environment visible, nothing left running, and the good samples around it scoring
as they should. Blocking calls (`plt.show()`, `input()`, a GUI backend) are not hostile:
they return at once and the chart renders."""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path

import pytest

from visioncode.records import SampleRecord

from ..conftest import ROOT
from .harness import Canary, Listener, run_battery, wait_gone, wait_gone_env

pytestmark = [pytest.mark.security, pytest.mark.slow]

pytest.importorskip("matplotlib")

RUN_MARKER_ENV = "VISIONCODE_BATTERY_RUN"
SECRET_ENV = "VISIONCODE_BATTERY_API_KEY"
SLEEP_MARKER = "876.5432"
HEAD = "import os, sys, socket, subprocess, threading, time\nimport matplotlib.pyplot as plt\n"
GOOD = "```python\n" + HEAD + "plt.bar(['a', 'b'], [1, 2], color='#336699')\nplt.title('fine')\n```"


def chart(body: str) -> str:
    return f"```python\n{HEAD}{body.strip()}\nplt.plot([1, 2, 3])\nplt.title('x')\n```"


def config(replay: Path) -> str:
    return f"""
[task]
name = "chart2code"
prompt = "Draw the chart."

[dataset]
path = "{{dataset}}"

[model]
use = "replay"
[model.options]
path = "{replay}"

[executor]
use = "matplotlib"
[executor.options]
workers = 2
[executor.options.limits]
wall_time_s = 10
memory_mb = 2048
output_bytes = 4096

[renderer]
use = "matplotlib"
[renderer.options]
workers = 1

[render]
width = 160
height = 120

[[metrics]]
use = "render-success"

[[metrics]]
use = "chartmimic"

[run]
workers = 2
"""


def run_text(run: Path) -> str:
    return "\n".join(p.read_bytes().decode("latin-1") for p in run.rglob("*") if p.is_file())


def test_hostile_chart_programs_fail_their_own_samples(
    tmp_path: Path, listener: Listener, canary: Canary, monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_marker = uuid.uuid4().hex
    monkeypatch.setenv(RUN_MARKER_ENV, run_marker)
    env_secret = f"sk-{uuid.uuid4().hex}"
    monkeypatch.setenv(SECRET_ENV, env_secret)
    database = f"postgres://admin:{uuid.uuid4().hex}@db/prod"
    monkeypatch.setenv("DATABASE_URL", database)
    secret = canary.file
    host_tmp = Path(tempfile.gettempdir()) / f"plot-planted-{uuid.uuid4().hex[:8]}"
    reference = tmp_path / "reference.py"
    reference.write_text("import matplotlib.pyplot as plt\nplt.bar(['a', 'b'], [1, 2], "
                         "color='#336699')\nplt.title('fine')\n")
    answers = {
        "good-first": GOOD,
        "read-canary": chart(f"plt.suptitle(open({str(secret)!r}).read())"),
        "read-project": chart(f"plt.suptitle(open({str(ROOT / 'pyproject.toml')!r}).read())"),
        "list-project": chart(f"plt.suptitle(str(os.listdir({str(ROOT)!r})))"),
        "write-host-tmp": chart(f"open({str(host_tmp)!r}, 'w').write('x')"),
        "overwrite-canary": chart(f"open({str(secret)!r}, 'w').write('owned')"),
        "env-secret": chart(f"plt.suptitle(os.environ.get({SECRET_ENV!r}, 'absent') + ' ' + "
                            "os.environ.get('DATABASE_URL', 'absent'))"),
        "http": chart("import urllib.request\n"
                      f"urllib.request.urlopen({listener.http_url + 'leak'!r}, timeout=2)"),
        "raw-socket": chart(f"socket.create_connection(('127.0.0.1', {listener.port}), 2)"),
        "daemon": chart(f"subprocess.Popen(['sleep', '{SLEEP_MARKER}'], "
                        "start_new_session=True)"),
        "fork": chart("if os.fork() == 0:\n    time.sleep(600)"),
        "native-escape": chart("import ctypes\n"
                               f"ctypes.CDLL(None).system(b'sleep {SLEEP_MARKER} &')"),
        "symlinked-output": chart(f"os.symlink({str(secret)!r}, 'figure-1.png')"),
        "endless-loop": chart("while True:\n    pass"),
        "blocking-calls": "```python\nimport matplotlib\nmatplotlib.use('TkAgg')\n" + HEAD
                          + "plt.plot([1, 2])\nplt.title(input('title? ') or 'asked')\n"
                          "plt.show(block=True)\nplt.pause(3600)\n```",
        "good-last": GOOD,
    }
    replay = tmp_path / "answers.jsonl"
    replay.write_text("".join(json.dumps({"sample_id": k, "text": v}) + "\n"
                              for k, v in answers.items()))
    records = run_battery(config(replay), tmp_path,
                          [{"id": k, "reference_program": str(reference)} for k in answers])
    run = tmp_path / "battery" / "run"
    assert set(records) == set(answers)

    def failed(sample: str, status: str, *words: str) -> SampleRecord:
        rec = records[sample]
        reason = rec.reason or ""
        assert rec.status == "failed" and rec.error is None, (sample, rec.status, rec.error)
        assert rec.rounds[0].status == status, (sample, rec.rounds[0].status, reason)
        assert all(w in reason for w in words), (sample, reason)
        assert rec.scores["render-success"].values["render_success"] == 0.0
        assert rec.scores["chartmimic"].values["low_level"] == 0.0
        return rec

    failed("read-canary", "error", "does not allow reading", str(secret))
    failed("read-project", "error", "does not allow reading", "pyproject.toml")
    failed("list-project", "error", "os.listdir", str(ROOT))
    failed("write-host-tmp", "error", "does not allow writing", str(host_tmp))
    failed("overwrite-canary", "error", "does not allow writing", str(secret))
    failed("http", "error", "network")
    failed("raw-socket", "error", "network")
    failed("daemon", "error", "starting programs")
    failed("fork", "error", "forking processes")
    failed("native-escape", "error", "ctypes")
    failed("endless-loop", "timeout", "did not finish within 10s")

    # The environment is an allow-list: the key is not there, the chart says so.
    env = records["env-secret"]
    assert env.status == "ok", env.reason
    assert env.rounds[0].execution.metadata["trace"]["texts"][-1] == "absent absent"
    # A link the program left where the job saves its figure is replaced, not followed.
    linked = records["symlinked-output"]
    assert linked.status == "ok", linked.reason
    # Blocking calls return at once and the chart renders.
    blocking = records["blocking-calls"]
    assert blocking.status == "ok", blocking.reason
    assert "show() ignored" in blocking.rounds[0].execution.notes
    for sample in ("good-first", "good-last"):
        rec = records[sample]
        assert rec.status == "ok" and rec.rounds[0].rendered, (sample, rec.reason)
        assert rec.scores["chartmimic"].values["low_level"] == pytest.approx(1.0)

    # Nothing arrived, nothing leaked into the run, nothing changed, nothing left running.
    assert listener.hits == []
    text = run_text(run)
    for leaked in (canary.secret, env_secret, database, "[tool.visioncode.workspace]"):
        assert leaked not in text
    canary.assert_untouched()
    assert not host_tmp.exists()
    assert wait_gone(SLEEP_MARKER) == []
    left = wait_gone_env(RUN_MARKER_ENV, run_marker, ignore="multiprocessing.resource_tracker")
    assert left == [], left
