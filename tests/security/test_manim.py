"""The Manim battery: hostile scenes answered by a model (replayed) through a whole
text2video-style pipeline with the real `manim` executor and renderer (warm worker pool).

Each case must end with its sample failed for a specific recorded reason, nothing reaching
the network, nothing changed outside the scene's scratch folder, nothing left running, and
the good samples around it finished correctly. Enormous output is the one case that
renders: it is capped (and the cap recorded), not fatal."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from visioncode.records import SampleRecord

from ..conftest import ROOT
from .harness import Canary, Listener, outside_temp, run_battery, wait_gone, wait_gone_env

pytestmark = [pytest.mark.security, pytest.mark.slow]

RUN_MARKER_ENV = "VISIONCODE_BATTERY_RUN"
SLEEP_MARKER = "987.6543"


def scene(body: str) -> str:
    lines = "\n".join("        " + line for line in body.strip("\n").splitlines())
    return ("```python\nfrom manim import *\nimport os, sys, socket, subprocess\n\n"
            f"class Hostile(Scene):\n    def construct(self):\n{lines}\n"
            "        self.play(Create(Circle()))\n```\n")


GOOD = scene('self.play(Write(Text("fine")))')


@pytest.fixture
def home_with_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The real ~/.ssh is not ours to touch: point HOME at one with a key."""
    home = outside_temp() / f"home-{uuid.uuid4().hex[:8]}"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("SSH-PRIVATE-KEY-7c2e")
    monkeypatch.setenv("HOME", str(home))
    yield home
    shutil.rmtree(home, ignore_errors=True)


def config(replay: Path) -> str:
    return f"""
[task]
name = "text2video"
prompt = "Explain {{text}}"

[dataset]
path = "{{dataset}}"

[model]
use = "replay"
[model.options]
path = "{replay}"

[executor]
use = "manim"

[renderer]
use = "manim"
[renderer.options]
workers = 2
[renderer.options.limits]
wall_time_s = 15
memory_mb = 2048
output_bytes = 4096

[render]
width = 320
height = 180
fps = 10

[[metrics]]
use = "render-success"

[[metrics]]
use = "manim-sections"

[run]
workers = 1
"""


def run_text(run: Path) -> str:
    return "\n".join(p.read_bytes().decode("latin-1") for p in run.rglob("*") if p.is_file())


def test_hostile_scenes_fail_their_own_samples(
    tmp_path: Path, listener: Listener, canary: Canary, home_with_key: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_marker = uuid.uuid4().hex
    monkeypatch.setenv(RUN_MARKER_ENV, run_marker)
    key = home_with_key / ".ssh" / "id_rsa"
    secret = canary.file
    port = listener.port
    answers = {
        "good-first": GOOD,
        "endless-loop": scene("while True:\n    pass"),
        "fork-bomb": scene("while True:\n    os.fork()"),
        "memory-hog": scene("hog = bytearray(64 * 1024 ** 3)"),
        "read-passwd": scene('self.add(Text(open("/etc/passwd").read()[:40]))'),
        "read-ssh-key": scene(f'self.add(Text(open("{key}").read()))'),
        "read-project": scene(f'self.add(Text(open("{ROOT / "pyproject.toml"}").read()[:40]))'),
        "read-canary": scene(f'self.add(Text(open("{secret}").read()))'),
        "list-project": scene(f'self.add(Text(str(os.listdir("{ROOT}"))[:40]))'),
        "other-scenes": scene('self.add(Text(str(os.listdir(".."))))'),
        "write-outside": scene(f'open("{canary.path / "planted.txt"}", "w").write("x")'),
        "overwrite-canary": scene(f'open("{secret}", "w").write("owned")'),
        "delete-canary": scene(f'os.remove("{secret}")'),
        "rmtree-canary": scene(f'import shutil\nshutil.rmtree("{canary.path}")'),
        "http": scene("import urllib.request\n"
                      f'urllib.request.urlopen("{listener.http_url}leak", timeout=2)'),
        "websocket": scene(
            "s = socket.create_connection(('127.0.0.1', " + str(port) + "), timeout=2)\n"
            "s.sendall(b'GET /ws HTTP/1.1\\r\\nHost: x\\r\\nUpgrade: websocket\\r\\n"
            "Connection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZQ==\\r\\n"
            "Sec-WebSocket-Version: 13\\r\\n\\r\\n')"),
        "background-process": scene(
            f'subprocess.Popen(["sleep", "{SLEEP_MARKER}"], start_new_session=True)'),
        "native-escape": scene(
            f'import ctypes\nctypes.CDLL(None).system(b"sleep {SLEEP_MARKER} &")'),
        "enormous-output": scene("for i in range(20000):\n"
                                 "    print('o' * 200)\n    print('e' * 200, file=sys.stderr)"),
        "good-last": GOOD,
    }
    replay = tmp_path / "answers.jsonl"
    replay.write_text("".join(json.dumps({"sample_id": k, "text": v}) + "\n"
                              for k, v in answers.items()))
    records = run_battery(config(replay), tmp_path,
                          [{"id": k, "text": "a hostile scene"} for k in answers])
    run = tmp_path / "battery" / "run"
    assert set(records) == set(answers)

    def failed(sample: str, status: str, *words: str) -> SampleRecord:
        rec = records[sample]
        reason = rec.reason or ""
        assert rec.status == "failed" and rec.error is None, (sample, rec.status, rec.error)
        assert rec.rounds[0].status == status, (sample, rec.rounds[0].status, reason)
        assert all(w in reason for w in words), (sample, reason)
        assert rec.scores["render-success"].values["render_success"] == 0.0
        assert rec.scores["manim-sections"].values["sections_ok"] == 0.0
        return rec

    failed("endless-loop", "timeout", "did not finish within 15s")
    failed("fork-bomb", "render_error", "forking processes", "(line 7)")
    failed("memory-hog", "render_error", "MemoryError", "(line 6)")
    for sample, path in [("read-passwd", "/etc/passwd"), ("read-ssh-key", str(key)),
                         ("read-project", str(ROOT / "pyproject.toml")),
                         ("read-canary", str(secret))]:
        failed(sample, "render_error", "does not allow reading", path)
    failed("list-project", "render_error", "os.listdir", str(ROOT))
    failed("other-scenes", "render_error", "os.listdir")  # the worker's other scene folders
    failed("write-outside", "render_error", "does not allow writing")
    failed("overwrite-canary", "render_error", "does not allow writing", str(secret))
    failed("delete-canary", "render_error", "os.remove")
    failed("rmtree-canary", "render_error", "shutil.rmtree")
    failed("http", "render_error", "network")
    failed("websocket", "render_error", "does not allow network")
    failed("background-process", "render_error", "starting programs", "'sleep'")
    failed("native-escape", "render_error", "ctypes")

    loud = records["enormous-output"]
    assert loud.status == "ok", loud.reason
    section = loud.rounds[0].rendering.metadata["sections"][0]
    assert section["output_truncated"] is True
    assert len(section["stdout"]) < 6000 and len(section["stderr"]) < 6000

    for sample in ("good-first", "good-last"):
        rec = records[sample]
        assert rec.status == "ok" and rec.rounds[0].rendered, (sample, rec.reason)
        assert rec.scores["manim-sections"].values["sections_ok"] == 1.0

    # Nothing arrived, nothing leaked into the run, nothing changed, nothing left running.
    assert listener.hits == []
    text = run_text(run)
    for leaked in (canary.secret, "SSH-PRIVATE-KEY", "root:x:0:0"):
        assert leaked not in text
    canary.assert_untouched()
    assert wait_gone(SLEEP_MARKER) == []
    left = wait_gone_env(RUN_MARKER_ENV, run_marker, ignore="multiprocessing.resource_tracker")
    assert left == [], left
