"""Memory and time limits of the browser worker, with time to spare so that the memory
paths (not the clock) end the hogs, and the browser replaced after each."""

from __future__ import annotations

from pathlib import Path

import pytest

from visioncode_html.client import BrowserClient, BrowserLimits

from .conftest import page_job

HEAP_HOG = "<script>const a = []; for (;;) a.push(new Array(1e7).fill(1.5));</script>"
BUFFER_HOG = ("<script>const a = []; for (let i = 0; i < 1e5; i++) "
              "{ const b = new Uint8Array(64 << 20); b.fill(1); a.push(b); }</script>")


@pytest.mark.slow
def test_memory_hogs_fail_and_the_browser_is_replaced(tmp_path: Path) -> None:
    client = BrowserClient(BrowserLimits(timeout_s=60, memory_mb=1200))
    try:
        heap = page_job(client, HEAP_HOG, tmp_path / "heap", timeout_s=60)
        assert heap["status"] in ("crashed", "memory"), heap["reason"]
        assert heap["replaced"] is True
        buffers = page_job(client, BUFFER_HOG, tmp_path / "buffers", timeout_s=60)
        assert buffers["status"] in ("memory", "crashed"), buffers["reason"]
        if buffers["status"] == "memory":
            assert "more than 1200 MB" in buffers["reason"]
        after = page_job(client, "<p>still here</p>", tmp_path / "after")
        assert after["status"] == "ok" and after["restarted"] is True
        assert [t["text"] for t in after["steps"][-1]["text_blocks"]] == ["still here"]
    finally:
        client.close()


def test_endless_loop_times_out_and_next_page_renders(tmp_path: Path) -> None:
    client = BrowserClient(BrowserLimits(timeout_s=4))
    try:
        stuck = page_job(client, "<script>for (;;) {}</script>", tmp_path / "a", timeout_s=4)
        assert stuck["status"] == "timeout" and stuck["replaced"] is True
        assert "4s" in stuck["reason"]
        after = page_job(client, "<p>fine</p>", tmp_path / "b", timeout_s=20)
        assert after["status"] == "ok" and after["restarted"] is True
    finally:
        client.close()
