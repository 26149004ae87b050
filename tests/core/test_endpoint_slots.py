"""The per-endpoint concurrency limit: flock'ed slot files bound the holders across
threads and across separately spawned processes, and a dead holder frees its slot."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from visioncode.endpoint_slots import EndpointSlots


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    now = best = 0
    for _, step in events:
        now += step
        best = max(best, now)
    return best


def hold_and_log(root: str, endpoint: str, limit: int, log: str, counter: Any,
                 together: Any) -> None:
    """Child process: hold a slot 4 times. The first two holders of all children meet at
    `together` while both hold theirs, so two holders at once is certain, not a matter
    of timing; the limit must keep it at two."""
    slots = EndpointSlots(endpoint, limit, root=Path(root))
    for _ in range(4):
        with slots.hold():
            began = time.time()
            with counter.get_lock():
                first_two = counter.value < 2
                counter.value += 1
            if first_two:
                together.wait(timeout=120)
            ended = time.time()
        with open(log, "a") as fh:
            fh.write(f"{began} {ended}\n")


def test_threads_of_one_process_share_the_limit(tmp_path: Path) -> None:
    slots = EndpointSlots("http://api/v1", 2, root=tmp_path)
    intervals: list[tuple[float, float]] = []
    lock = threading.Lock()
    together = threading.Barrier(2, timeout=120)  # the first two holders meet, holding
    held = iter(range(10**6))

    def work() -> None:
        for _ in range(3):
            with slots.hold():
                began = time.monotonic()
                with lock:
                    first_two = next(held) < 2
                if first_two:
                    together.wait()
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
    counter, together = ctx.Value("i", 0), ctx.Barrier(2)
    procs = [ctx.Process(target=hold_and_log,
                         args=(str(tmp_path / "slots"), "http://api/v1", 2, str(log),
                               counter, together))
             for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
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
    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: take the only slot, say so, and hang until killed
        os.close(ready_r)
        slots.acquire()
        os.write(ready_w, b"1")
        signal.pause()
        os._exit(0)
    os.close(ready_w)
    try:
        assert os.read(ready_r, 1) == b"1"  # the child holds the slot now
        assert slots._try(0) is None
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(ready_r)
    fd = slots._try(0)  # the kernel dropped the dead holder's lock: free at once
    assert fd is not None
    slots.release(fd)


def test_limit_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        EndpointSlots("x", 0, root=tmp_path)
