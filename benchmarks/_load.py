"""The machine's load beside every benchmark figure, and the rule that keeps figures
taken on a busy machine out of the docs.

A ratio measured while other work shares the cores says little about the framework:
every benchmark records the 1-minute load average and the core count before and after
its measurement (`LoadRecord`), and a figure whose 1-minute load exceeded the core count
at either end is not written into `docs/` (`publishable`, `refuse_docs`). Benchmark
scripts call it directly:

    from _load import LoadRecord          # benchmarks/ is the script's own folder

    load = LoadRecord.start()
    ... measure ...
    load.stop()
    results["load"] = load.as_dict()
    if load.publishable():
        write_docs_section(...)
    else:
        print(load.refusal())

`benchmarks/run.py` also records the load around every script it runs, adds it to the
script's results file, and refuses to rewrite `docs/benchmarks.md` from figures taken
under load.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any


def cores() -> int:
    """The cores this process may run on (its affinity), else the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def sample() -> dict[str, Any]:
    """The load now: 1-, 5- and 15-minute load averages, the cores, the time."""
    one, five, fifteen = os.getloadavg()
    return {"load_1m": round(one, 2), "load_5m": round(five, 2),
            "load_15m": round(fifteen, 2), "cores": cores(),
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


@dataclass
class LoadRecord:
    """The load before and after one measurement."""

    before: dict[str, Any]
    after: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(cls) -> LoadRecord:
        return cls(before=sample())

    def stop(self) -> LoadRecord:
        self.after = sample()
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadRecord:
        return cls(before=dict(data["before"]),
                   after=dict(data["after"]) if data.get("after") else None)

    def as_dict(self) -> dict[str, Any]:
        return {"before": self.before, "after": self.after,
                "publishable": self.publishable()}

    def peak(self) -> float:
        """The higher 1-minute load of the two ends."""
        ends = [self.before] + ([self.after] if self.after else [])
        return max(float(e["load_1m"]) for e in ends)

    def publishable(self) -> bool:
        """Whether the figure may go into the docs: the 1-minute load did not exceed the
        core count at either end."""
        return self.peak() <= int(self.before["cores"])

    def describe(self) -> str:
        after = f"{self.after['load_1m']:.2f}" if self.after else "?"
        return (f"1-minute load {self.before['load_1m']:.2f} before, {after} after, "
                f"{self.before['cores']} cores")

    def refusal(self) -> str:
        return (f"not writing docs figures: measured under load ({self.describe()}); "
                "the 1-minute load must not exceed the core count. Rerun on a quiet "
                "machine.")


def publishable(results: dict[str, Any]) -> bool:
    """Whether a results file's figures may go into the docs: it carries a load record
    (`load`, as `LoadRecord.as_dict` writes it) and that record is publishable."""
    data = results.get("load")
    if not isinstance(data, dict) or "before" not in data:
        return False
    return LoadRecord.from_dict(data).publishable()


def refuse_docs(record: LoadRecord) -> bool:
    """Print the refusal and return True when docs must not be written."""
    if record.publishable():
        return False
    print(record.refusal(), flush=True)
    return True
