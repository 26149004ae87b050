"""What every CodeExecutor promises: it finds the program in a model's chatty output, runs
a good program into artifacts under its workdir, turns every bad program into a failed
Execution that says why (never an exception), and enforces its time limit."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ...execution import Execution, Extraction
from .base import ComponentContract

#: Inputs no executor may raise on, whatever its language.
GARBAGE = ("", "\x00\x01\x02\xff", "{" * 5000 + "(" * 5000, "\ud800 lone surrogate",
           "```\n```", "x" * 200_000)


class ExecutorContract(ComponentContract):
    """Subclass and set `component`, `program` (a good program), `fence` (the code fence's
    language tag), `bad_programs` (programs that must fail, with the status each must
    get, e.g. `{"<svg": "parse_error"}`), and either `slow_program` with
    `time_limit_options` (options that set a short time limit) or
    `no_time_limit_reason` (why this executor has no time limit to enforce)."""

    kind = "executor"
    program: ClassVar[str]
    fence: ClassVar[str] = ""
    bad_programs: ClassVar[dict[str, str]] = {}
    slow_program: ClassVar[str | None] = None
    time_limit_options: ClassVar[dict[str, Any]] = {}
    #: The limit `time_limit_options` sets, in seconds.
    time_limit_s: ClassVar[float] = 2.0
    no_time_limit_reason: ClassVar[str] = ""
    #: Inputs that must not raise; narrow it for an executor whose every run is costly.
    garbage: ClassVar[tuple[str, ...]] = GARBAGE

    def execute(self, executor: object, program: str, workdir: Path) -> Execution:
        result = self.call(executor, "execute", program=program,  # type: ignore[arg-type]
                           workdir=workdir, sample=None)
        assert isinstance(result, Execution), f"execute returned {type(result).__name__}"
        return result

    def test_extracts_the_program_from_fenced_text(self, subject: object) -> None:
        text = (f"Here is the program you asked for.\n\n```{self.fence}\n{self.program}\n```"
                "\n\nIt should render nicely. Thanks!")
        extraction = self.call(subject, "extract", text=text)  # type: ignore[arg-type]
        assert isinstance(extraction, Extraction)
        assert extraction.ok and extraction.program, extraction
        assert "render nicely" not in extraction.program
        assert "Here is the program" not in extraction.program

    def test_extract_without_a_program_says_so(self, subject: object) -> None:
        extraction = self.call(subject, "extract", text="")  # type: ignore[arg-type]
        assert isinstance(extraction, Extraction)
        assert not extraction.ok

    def test_runs_a_good_program(self, subject: object, tmp_path: Path) -> None:
        execution = self.execute(subject, self.program, tmp_path)
        assert execution.ok, f"{execution.status}: {execution.error}"
        assert execution.error is None
        assert execution.program
        assert execution.artifacts, "a renderer needs at least one artifact"
        for role, path in execution.artifacts.items():
            assert path.is_file(), f"artifact {role}: {path} does not exist"
            assert path.resolve().is_relative_to(tmp_path.resolve()), (
                f"artifact {role} written outside the workdir: {path}")

    def test_bad_programs_fail_with_a_reason(self, subject: object, tmp_path: Path) -> None:
        assert self.bad_programs, "name at least one bad program in bad_programs"
        for i, (program, status) in enumerate(self.bad_programs.items()):
            work = tmp_path / f"bad{i}"
            work.mkdir()
            execution = self.execute(subject, program, work)
            assert not execution.ok and execution.status == status, (
                f"{program[:60]!r}: expected {status}, got {execution.status}")
            assert execution.error is not None and execution.error.message, (
                f"{program[:60]!r}: a failed Execution must carry a ProgramError")

    def test_never_raises_on_garbage(self, subject: object, tmp_path: Path) -> None:
        for i, program in enumerate(self.garbage):
            work = tmp_path / f"g{i}"
            work.mkdir()
            execution = self.execute(subject, program, work)
            if not execution.ok:
                assert execution.error is not None, f"{program[:30]!r}: no error recorded"

    def test_enforces_its_time_limit(self, tmp_path: Path) -> None:
        if self.slow_program is None:
            assert self.no_time_limit_reason, (
                "set slow_program and time_limit_options, or no_time_limit_reason")
            pytest.skip(self.no_time_limit_reason)
        executor = self.make(tmp_path, **self.time_limit_options)
        try:
            started = time.monotonic()
            execution = self.execute(executor, self.slow_program, tmp_path)
            elapsed = time.monotonic() - started
        finally:
            executor.close()
        assert execution.status == "timeout", f"{execution.status}: {execution.error}"
        assert execution.error is not None
        # Generous: the limit plus process start-up on a loaded machine, not a speed claim.
        assert elapsed < self.time_limit_s + 60, f"took {elapsed:.1f}s"
