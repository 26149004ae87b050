"""Child side of the reward pool: `python -m visioncode.reward.worker`.

Started by `pool.WorkerPool` as a plain subprocess (not `multiprocessing`, whose spawn
start method re-imports the caller's main module: a training script without a
`__main__` guard would start itself again). The first line on stdin is the config
(`{"data": ..., "source": ...}`); then one `WorkerJob` per line, each answered by one
`WorkerDone` line. The protocol uses a private copy of stdout and fd 1 is pointed at
stderr, so prints from libraries cannot corrupt the answers.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> None:
    proto = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    import logging

    import structlog

    from .result import WorkerDone, WorkerFailed, WorkerJob, WorkerReady

    # Per-stage debug events would flood the trainer's console: warnings and up only.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    def send(message: WorkerDone | WorkerFailed | WorkerReady) -> None:
        proto.write(message.model_dump_json().encode() + b"\n")
        proto.flush()

    try:
        first = json.loads(sys.stdin.buffer.readline() or b"{}")
        from ..config import validate
        from .scorer import Scorer

        source = first.get("source")
        scorer = Scorer(validate(first["data"], source=Path(source) if source else None))
        scorer.warm_up()
    except BaseException as exc:
        send(WorkerFailed(error=f"{type(exc).__name__}: {exc}"))
        return
    try:
        send(WorkerReady(pid=os.getpid()))
        for line in sys.stdin.buffer:
            if not line.strip():
                continue
            job = WorkerJob.model_validate_json(line)
            send(WorkerDone(job=job.job, result=scorer.score(job.item)))
    except BrokenPipeError:
        pass  # the parent is gone
    finally:
        scorer.close()


if __name__ == "__main__":
    main()
