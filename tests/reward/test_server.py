"""`visioncode serve` over real HTTP: a uvicorn server started as a process, `/score` and
OpenRLHF's `/get_reward` with hostile completions mixed in, 400/503 answers, and SIGTERM
draining a request in flight before the process and its workers stop."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from . import programs as p

VISIONCODE = Path(sys.executable).parent / "visioncode"
PORT_LINE = re.compile(rb"Uvicorn running on http://127\.0\.0\.1:(\d+)")


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    log: list[bytes]

    def post(self, path: str, body: Any, timeout: float = 60) -> httpx.Response:
        return httpx.post(self.url + path, json=body, timeout=timeout)

    def health(self) -> dict[str, Any]:
        response = httpx.get(self.url + "/health", timeout=10)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data


def start(*args: str, workers: int = 2) -> Server:
    """Start `visioncode serve` on a free port; return once uvicorn says it listens."""
    proc = subprocess.Popen(
        [str(VISIONCODE), "serve", str(p.CONFIG), "--port", "0",
         "--workers", str(workers), *args],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert proc.stderr is not None
    log: list[bytes] = []
    for line in proc.stderr:  # the condition the child signals: it is listening
        log.append(line)
        found = PORT_LINE.search(line)
        if found:
            break
    else:
        raise AssertionError(b"".join(log).decode(errors="replace"))
    threading.Thread(target=lambda: log.extend(proc.stderr or []), daemon=True).start()
    return Server(proc, f"http://127.0.0.1:{found.group(1).decode()}", log)


def stop(server: Server) -> int:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
    return server.proc.wait(timeout=60)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = start("--set", "reward.max_queue=64")
    try:
        yield srv
    finally:
        stop(srv)


def test_health(server: Server) -> None:
    health = server.health()
    assert health["workers"] == 2 and health["status"] in {"ok", "starting"}


@pytest.mark.slow
def test_score_with_hostile_items(server: Server) -> None:
    items = [{"sample_id": "icon-flag", "completion": p.reference("icon-flag")},
             {"sample_id": "icon-flag", "completion": p.HANG},
             {"sample_id": "icon-flag", "completion": p.ENTITY_BOMB},
             {"sample_id": "icon-flag", "completion": p.TEXT_CAPTION},
             {"sample_id": "icon-flag", "completion": p.BLANK},
             {"sample_id": "icon-flag", "completion": p.TINY_VIEWBOX}]
    response = server.post("/score", {"items": items})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results[:2] + results[3:]] == [
        "ok", "timeout", "gated", "gated", "gated"]
    assert results[2]["status"] in {"parse_error", "gated"}  # the entity bomb
    assert results[0]["reward"] > 0.9 and set(results[0]["terms"]) == {
        "ssim", "pixel", "length"}
    assert all(r["reward"] == -1.0 for r in results[1:])
    assert [r["gate"] for r in results[3:]] == ["format", "min-content", "viewbox"]
    assert all(r["reason"] for r in results[1:])


def test_openrlhf_get_reward(server: Server) -> None:
    prompt = "<|user|>Convert this image to SVG.<|assistant|>"
    payload = {"query": [prompt + p.reference("icon-house"), prompt + p.TEXT_CAPTION,
                         prompt + p.NO_SVG],
               "prompts": [prompt] * 3,
               "labels": ["icon-house", "icon-house", "icon-house"]}
    response = server.post("/get_reward", payload)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"rewards", "scores", "extra_logs"}
    assert body["rewards"][0] > 0.9 and body["rewards"][1:] == [-1.0, -1.0]
    assert body["scores"] == body["rewards"]
    logs = body["extra_logs"]
    assert set(logs) == {"ssim", "pixel", "length", "failed", "gated"}
    assert all(len(v) == 3 for v in logs.values())
    assert logs["gated"] == [0.0, 1.0, 0.0] and logs["failed"] == [0.0, 0.0, 1.0]
    # The prompt was stripped: scoring the bare completion gives the same reward.
    direct = server.post("/score", {"items": [
        {"sample_id": "icon-house", "completion": p.reference("icon-house")}]}).json()
    assert direct["results"][0]["reward"] == body["rewards"][0]
    assert direct["results"][0]["cached"] is True


def test_bad_requests_are_400_with_the_fix(server: Server) -> None:
    r = server.post("/score", {"items": [{"sample_id": "missing", "completion": "x"}]})
    assert r.status_code == 400 and "not in the dataset" in r.json()["error"]
    r = server.post("/score", {"itemz": []})
    assert r.status_code == 400 and "items" in r.json()["error"]
    r = httpx.post(server.url + "/score", content=b"{not json", timeout=10)
    assert r.status_code == 400 and "not JSON" in r.json()["error"]
    r = server.post("/get_reward", {"query": ["a", "b"], "prompts": ["a"], "labels": ["x"]})
    assert r.status_code == 400 and "differ in length" in r.json()["error"]


def test_full_queue_is_503_and_queues_nothing(server: Server) -> None:
    items = [{"sample_id": "icon-star", "completion": f"{p.BLANK}<!-- {i} -->"}
             for i in range(65)]
    r = server.post("/score", {"items": items})
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert "queue is full" in r.json()["error"]
    assert server.health()["queued"] == 0


@pytest.mark.slow
def test_sigterm_drains_the_request_in_flight() -> None:
    srv = start(workers=1)
    answer: dict[str, Any] = {}

    def request() -> None:
        r = srv.post("/score", {"items": [
            {"sample_id": "icon-sun", "completion": p.HANG + "<!-- drain -->"},
            {"sample_id": "icon-sun", "completion": p.reference("icon-sun")}]})
        answer["status"], answer["body"] = r.status_code, r.json()

    worker_pids: list[int] = []
    client = threading.Thread(target=request)
    client.start()
    while srv.health()["requests"] == 0:  # the condition: the request is in flight
        pass
    worker_pids = _children(srv.proc.pid)
    assert worker_pids
    # uvicorn shuts down gracefully, then re-raises the signal it caught (exit -15).
    assert stop(srv) in {0, -signal.SIGTERM}
    assert b"Application shutdown complete" in b"".join(srv.log)
    client.join(timeout=60)
    assert answer["status"] == 200
    assert [r["status"] for r in answer["body"]["results"]] == ["timeout", "ok"]
    assert not [pid for pid in worker_pids if _alive(pid)]


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_serve_is_listed_in_the_cli_help() -> None:
    out = subprocess.run([str(VISIONCODE), "serve", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "--workers" in out and "/get_reward" in out
