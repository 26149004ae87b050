"""A concurrency limit per model endpoint that holds across processes.

The runner's workers are separate (spawned) processes, and two runs may talk to the same
API at once, so an in-process semaphore or a `multiprocessing` object cannot bound the
calls in flight. Instead each endpoint gets a folder of N lock files; a call holds an
exclusive `flock` on one of them for as long as it is in flight. The kernel releases the
lock when the holder exits or crashes, so a killed worker never leaks a slot, and no
server process or shared memory is needed.

`flock` locks belong to an open file description, so two threads of one process that
each open a slot file exclude each other too.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Where slot folders live unless told otherwise: local temporary storage (flock is not
#: reliable on network file systems), one folder per user.
SLOTS_ENV = "VISIONCODE_SLOTS_DIR"


def default_slots_root() -> Path:
    if os.environ.get(SLOTS_ENV):
        return Path(os.environ[SLOTS_ENV])
    return Path(tempfile.gettempdir()) / f"visioncode-{os.getuid()}" / "slots"


class EndpointSlots:
    """At most `limit` holders of `hold()` at a time for one endpoint, machine-wide."""

    #: Polling interval bounds while every slot is taken.
    MIN_POLL_S = 0.002
    MAX_POLL_S = 0.05

    def __init__(self, endpoint: str, limit: int, root: Path | None = None) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.endpoint, self.limit = endpoint, limit
        digest = hashlib.sha256(endpoint.encode()).hexdigest()[:24]
        self.dir = (root or default_slots_root()) / digest
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _try(self, index: int) -> int | None:
        fd = os.open(self.dir / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        return fd

    def acquire(self) -> tuple[int, float]:
        """Take a free slot, waiting as long as needed: (locked fd, seconds waited)."""
        started = time.perf_counter()
        poll = self.MIN_POLL_S
        while True:
            first = random.randrange(self.limit)  # spread holders over the files
            for i in range(self.limit):
                fd = self._try((first + i) % self.limit)
                if fd is not None:
                    return fd, time.perf_counter() - started
            time.sleep(poll * (0.5 + random.random()))
            poll = min(poll * 2, self.MAX_POLL_S)

    @staticmethod
    def release(fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @contextmanager
    def hold(self) -> Iterator[float]:
        """Hold one slot for the duration of the block; yields the seconds waited for it."""
        fd, waited = self.acquire()
        try:
            yield waited
        finally:
            self.release(fd)
