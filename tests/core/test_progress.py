"""The progress display: counts, failing stages, cache hits, throughput and ETA from the
records of a real run; JSON lines for CI; nothing when quiet; the CLI's --log-json."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from visioncode.cli import main
from visioncode.config import load_config
from visioncode.hookspecs import hookimpl
from visioncode.progress import RunProgress, StageTracker
from visioncode.records import RoundRecord, SampleRecord
from visioncode.rendering import Rendering
from visioncode.runner import Runner


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def record(sid: str, status: str, round_status: str, hit: bool | None = None) -> SampleRecord:
    rendering = None
    if hit is not None:
        rendering = Rendering(status="ok", renderer="r",
                              metadata={"render_cache": {"hit": hit}})
    return SampleRecord(sample_id=sid, status=status,  # type: ignore[arg-type]
                        rounds=[RoundRecord(round=0, status=round_status,
                                            rendering=rendering)])


def test_state_counts_rates_and_eta() -> None:
    clock, out = Clock(), io.StringIO()
    with RunProgress("json", stream=out, clock=clock) as p:
        clock.now += 2
        p(record("a", "ok", "ok", hit=True), 1, 4)
        clock.now += 2
        p(record("b", "failed", "render_error", hit=False), 2, 4)
    s = p.state
    assert (s.done, s.total, s.ok, s.failed, s.error) == (2, 4, 1, 1, 0)
    assert s.statuses == {"ok": 1, "render_error": 1}
    assert (s.renders, s.render_cache_hits) == (2, 1)
    assert s.per_second == 0.5 and s.eta_s == 4.0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["done"] for line in lines] == [1, 2]
    assert lines[-1]["event"] == "run.progress" and lines[-1]["eta_s"] == 4.0
    assert "render_error 1" in p.describe() and "ETA 0:04" in p.describe()


def test_quiet_and_bar_modes_write_no_json() -> None:
    out = io.StringIO()
    with RunProgress("quiet", stream=out) as p:
        p(record("a", "error", "ok"), 1, 1)
    assert out.getvalue() == "" and p.state.statuses == {"error": 1}
    console = Console(file=io.StringIO(), force_terminal=True, width=200)
    with RunProgress("bar", console=console) as bar:
        bar(record("a", "ok", "ok"), 1, 2)
    assert "ok 1 failed 0 error 0" in console.file.getvalue()  # type: ignore[attr-defined]


def test_cli_log_json_reports_progress(small_config: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(small_config), "--out",
                                       str(tmp_path / "run"), "--log-json", "-n", "2"])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.output.splitlines()
              if line.startswith("{") and "run.progress" in line]
    assert [e["done"] for e in events] == [1, 2] and events[-1]["ok"] == 2


class Probe:
    """Looks at the tracker from inside each render (the tracker wraps it)."""

    def __init__(self, tracker: StageTracker) -> None:
        self.tracker = tracker
        self.seen: list[dict[str, int]] = []

    @hookimpl(wrapper=True)
    def visioncode_render(self):  # type: ignore[no-untyped-def]
        self.seen.append(self.tracker.snapshot())
        return (yield)


def test_stage_tracker_counts_calls_in_flight(small_config: Path, tmp_path: Path) -> None:
    tracker = StageTracker()
    probe = Probe(tracker)
    out = io.StringIO()
    loaded = load_config(small_config, {"run.render_cache": False})
    with RunProgress("json", stream=out, tracker=tracker) as progress:
        Runner(loaded, tmp_path / "run", plugins=[probe, tracker]).run(
            console="quiet", progress=progress)
    assert probe.seen == [{"render": 1}] * 4
    assert tracker.snapshot() == {}
    assert json.loads(out.getvalue().splitlines()[-1])["in_flight"] == {}
