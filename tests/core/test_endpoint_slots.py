"""The per-endpoint concurrency limit: flock'ed slot files bound the holders across
threads and across separately spawned processes, and a dead holder frees its slot."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from visioncode.endpoint_slots import EndpointSlots


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    now = best = 0
    for _, step in events:
        now += step
        best = max(best, now)
    return best


def hold_and_log(root: str, endpoint: str, limit: int, start_at: float, log: str) -> None:
    """Child process: wait for the common start, then hold a slot 4 times for 60 ms."""
    slots = EndpointSlots(endpoint, limit, root=Path(root))
    while time.time() < start_at:
        time.sleep(0.001)
    for _ in range(4):
        with slots.hold():
            began = time.time()
            time.sleep(0.06)
            ended = time.time()
        with open(log, "a") as fh:
            fh.write(f"{began} {ended}\n")


def test_threads_of_one_process_share_the_limit(tmp_path: Path) -> None:
    slots = EndpointSlots("http://api/v1", 2, root=tmp_path)
    intervals: list[tuple[float, float]] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(3):
            with slots.hold():
                began = time.monotonic()
                time.sleep(0.03)
                with lock:
                    intervals.append((began, time.monotonic()))

    threads = [threading.Thread(target=work) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(intervals) == 15 and max_overlap(intervals) == 2


def test_spawned_processes_share_the_limit(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    log = tmp_path / "log.txt"
    start_at = time.time() + 1.5  # after every child has started
    procs = [ctx.Process(target=hold_and_log,
                         args=(str(tmp_path / "slots"), "http://api/v1", 2, start_at, str(log)))
             for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    intervals = [tuple(map(float, line.split())) for line in log.read_text().splitlines()]
    assert len(intervals) == 16
    assert max_overlap(intervals) == 2  # type: ignore[arg-type]


def test_endpoints_do_not_share_slots(tmp_path: Path) -> None:
    a = EndpointSlots("http://a/v1", 1, root=tmp_path)
    b = EndpointSlots("http://b/v1", 1, root=tmp_path)
    with a.hold(), b.hold():
        pass  # would deadlock if they shared a file
    assert a.dir != b.dir


def test_a_killed_holder_frees_its_slot(tmp_path: Path) -> None:
    slots = EndpointSlots("http://api/v1", 1, root=tmp_path)
    pid = os.fork() if hasattr(os, "fork") else None
    if pid is None:
        pytest.skip("needs fork")
    if pid == 0:  # child: take the only slot and hang
        slots.acquire()
        time.sleep(60)
        os._exit(0)
    try:
        time.sleep(0.3)
        assert slots._try(0) is None  # the child holds it
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    with slots.hold() as waited:
        assert waited < 1.0


def test_limit_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        EndpointSlots("x", 0, root=tmp_path)
