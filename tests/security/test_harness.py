"""The battery's own tools must detect what they claim to, or every "nothing arrived" and
"nothing left running" in the battery would pass vacuously."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ..conftest import EXAMPLE, pipeline_toml
from .harness import Canary, Listener, processes_matching, run_battery, wait_gone

pytestmark = pytest.mark.security


def _wait_for(cond, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.02)
    return cond()


def test_listener_records_http_and_raw_connections(listener: Listener) -> None:
    assert listener.http_url == f"http://127.0.0.1:{listener.port}/"
    assert listener.ws_url == f"ws://127.0.0.1:{listener.port}/"
    with pytest.raises(OSError):
        urllib.request.urlopen(listener.http_url + "leak?x=1", timeout=1)
    with socket.create_connection(("127.0.0.1", listener.port)) as s:
        s.sendall(b"hello")
        time.sleep(0.1)
    assert _wait_for(lambda: len(listener.hits) == 2 and all(listener.hits))
    assert any(h.startswith(b"GET /leak?x=1") for h in listener.hits)
    assert b"hello" in listener.hits


def test_processes_matching_finds_any_live_process_and_wait_gone_waits() -> None:
    marker = "harness-marker-7c1e"
    proc = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(30)  # {marker}"])
    try:
        assert _wait_for(lambda: processes_matching(marker) == [proc.pid])
        assert wait_gone(marker, timeout_s=0.2) == [proc.pid]
    finally:
        proc.kill()
        proc.wait()
    assert wait_gone(marker) == []


def test_canary_notices_reads_not_but_every_change(tmp_path: Path) -> None:
    canary = Canary(tmp_path / "c")
    assert canary.file.read_text() == canary.secret
    canary.assert_untouched()
    (canary.path / "new.txt").write_text("x")
    with pytest.raises(AssertionError, match="added"):
        canary.assert_untouched()
    (canary.path / "new.txt").unlink()
    canary.file.write_text("changed")
    with pytest.raises(AssertionError, match="changed"):
        canary.assert_untouched()


def test_run_battery_runs_a_pipeline_and_returns_records(tmp_path: Path) -> None:
    rows = [{"id": "flag", "image": str(EXAMPLE / "dataset" / "images" / "icon-flag.png")}]
    records = run_battery(pipeline_toml(Path("{dataset}"), metrics=("render-success",)),
                          tmp_path, rows)
    assert set(records) == {"flag"} and records["flag"].status == "ok"
