"""The `html` executor: for HTML, running the program means loading the page in
Chromium and replaying GUI actions on it.

The page runs in the shared browser worker (`client.py`): fresh browser context, all
network blocked, JavaScript time-boxed. After the load and after each action the DOM
(with live form state) and a screenshot are saved; `Execution.metadata["steps"]` lists
them, with the interactive elements and text blocks of each step. Actions come from the
program's actions block (`actions.py`) or else from the `actions` option.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from visioncode import (
    CodeExecutor,
    ComponentContext,
    ComponentOptions,
    Execution,
    Extraction,
    ProgramError,
    Sample,
)

from .actions import Action, ActionsError, actions_in_program
from .client import BrowserClient, BrowserLimits
from .extract import describe_program, extract_html

#: Worker statuses that are the page's own failure (Execution statuses), and the
#: ProgramError kind each is recorded with.
FAILURES = {"timeout": "time_limit", "memory": "memory_limit", "crashed": "renderer_crash",
            "action_error": "action_failed", "load_error": "load_failed",
            "error": "browser_error"}
MAX_STREAM = 20_000


class HtmlExecutorOptions(ComponentOptions):
    """The viewport the page runs in, the actions to replay and the limits."""

    width: int = Field(800, ge=16, le=8192, description="viewport width, CSS pixels")
    height: int = Field(600, ge=16, le=8192, description="viewport height, CSS pixels")
    scale: float = Field(1.0, gt=0, le=4, description="device scale factor of the screenshots")
    actions: list[Action] = Field(default_factory=list, description="actions to replay when "
                                  "the program has no actions block of its own")
    actions_field: str | None = Field(
        "actions", description="the sample meta key whose list of actions is replayed when "
        "the program has no actions block (before the `actions` option); None ignores meta")
    step_screenshots: bool = Field(True, description="save a screenshot after every step "
                                   "(off: only the last step's)")
    fail_on_page_error: bool = Field(False, description="fail the sample (status "
                                     "`script_error`) when the page throws an uncaught "
                                     "JavaScript error; off: the error is only recorded")
    max_bytes: int = Field(2_000_000, ge=1, description="largest document, in UTF-8 bytes")
    limits: BrowserLimits = Field(default_factory=BrowserLimits,
                                  description="time and memory of one page job")


class HtmlExecutor(CodeExecutor):
    """Runs model-written HTML in a sandboxed, network-less Chromium and replays GUI
    actions on it, so a broken or hostile page fails its own sample with the reason
    (timeout, memory, crash, an action that found no element) while the run goes on."""

    Options = HtmlExecutorOptions
    options: HtmlExecutorOptions

    def __init__(self, options: ComponentOptions | None = None,
                 context: ComponentContext | None = None) -> None:
        super().__init__(options, context)
        self._client: BrowserClient | None = None

    @property
    def client(self) -> BrowserClient:
        if self._client is None:
            self._client = BrowserClient(self.options.limits)
        return self._client

    def extract(self, text: str) -> Extraction:
        return extract_html(text)

    def execute(self, program: str, workdir: Path, sample: Sample | None = None) -> Execution:
        start = time.perf_counter()

        def failed(status: str, kind: str, message: str, line: int | None = None,
                   **extra: Any) -> Execution:
            return Execution(status=status, program=program,
                             error=ProgramError(kind=kind, message=message, line=line),
                             duration_s=time.perf_counter() - start, **extra)

        size = len(program.encode("utf-8"))
        if size > self.options.max_bytes:
            return failed("parse_error", "too_large", f"the document is {size} bytes; the "
                          f"limit is {self.options.max_bytes}")
        try:
            actions, line = actions_in_program(program)
        except ActionsError as exc:
            return failed("parse_error", "actions", str(exc))
        notes = describe_program(program)
        from_meta = (sample.meta.get(self.options.actions_field)
                      if sample is not None and self.options.actions_field else None)
        if line is not None:
            notes.append(f"replaying {len(actions)} action(s) from the actions block (line {line})")
        elif from_meta is not None:
            try:
                actions = [Action.model_validate(a) for a in from_meta]
            except (ValidationError, TypeError) as exc:
                return failed("parse_error", "actions", f"sample meta "
                              f"{self.options.actions_field!r}: {exc}")
            notes.append(f"replaying {len(actions)} action(s) from the sample's "
                         f"meta[{self.options.actions_field!r}]")
        else:
            actions = list(self.options.actions)
            if actions:
                notes.append(f"replaying {len(actions)} action(s) from the executor options")
        workdir = Path(workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        page = workdir / "page.html"
        page.write_text(program, encoding="utf-8")
        answer = self.client.run({
            "html": str(page), "out_dir": str(workdir / "steps"),
            "width": self.options.width, "height": self.options.height,
            "scale": self.options.scale, "background": "#ffffff",
            "actions": [a.model_dump(exclude_none=True) for a in actions],
            "shots": "all" if self.options.step_screenshots else "last",
            "dom": True, "collect": True, "timeout_s": self.options.limits.timeout_s,
        })
        return self._execution(program, page, workdir, actions, answer, notes, start)

    def _execution(self, program: str, page: Path, workdir: Path, actions: list[Action],
                   answer: dict[str, Any], notes: list[str], start: float) -> Execution:
        steps = answer.get("steps", [])
        for step in steps:
            i = step["index"]
            step["action"] = actions[i - 1].describe() if i else None
        (workdir / "steps.json").write_text(json.dumps(steps, indent=1), encoding="utf-8")
        notes = [*notes, *_activity_notes(answer)]
        if answer.get("replaced"):
            notes.append("the browser was replaced after this page")
        metadata = {
            "actions": [a.model_dump(exclude_none=True) for a in actions],
            "steps": steps, "viewport": [self.options.width, self.options.height],
            "scale": self.options.scale, "browser": answer.get("version"),
            "blocked": answer.get("blocked", []), "blocked_count": answer.get("blocked_count", 0),
            "dialogs": answer.get("dialogs", []), "popups": answer.get("popups", []),
            "downloads": answer.get("downloads", []), "page_errors": answer.get("page_errors", []),
            "console_dropped": answer.get("console_dropped", 0),
        }
        stdout = "\n".join(f"[{m['type']}] {m['text']}" for m in answer.get("console", []))
        errors = answer.get("page_errors", [])
        stderr = "\n".join(e["stack"] or e["message"] for e in errors)
        status = answer.get("status", "error")
        artifacts: dict[str, Path] = {"html": page, "steps": workdir / "steps.json"}
        if steps:
            last = steps[-1]
            if last.get("dom"):
                artifacts["dom"] = Path(last["dom"])
            if last.get("screenshot"):
                artifacts["screenshot"] = Path(last["screenshot"])
        common = dict(program=program, artifacts=artifacts, stdout=stdout[:MAX_STREAM],
                      stderr=stderr[:MAX_STREAM], notes=notes, metadata=metadata,
                      duration_s=time.perf_counter() - start)
        if status in FAILURES:
            return Execution(status=status, error=ProgramError(
                kind=FAILURES[status], message=answer.get("reason") or status), **common)
        if errors and self.options.fail_on_page_error:
            first = errors[0]
            return Execution(status="script_error", error=ProgramError(
                kind="uncaught_exception", message=first["message"], line=first["line"],
                traceback=first["stack"] or None), **common)
        return Execution(status="ok", **common)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _activity_notes(answer: dict[str, Any]) -> list[str]:
    """What the page tried that was blocked or neutralised, in words."""
    notes = []
    if answer.get("blocked_count"):
        blocked = answer.get("blocked", [])
        kinds = ", ".join(sorted({b["type"] for b in blocked}))
        notes.append(f"blocked {len(blocked)} URL(s) ({kinds}) in "
                     f"{answer['blocked_count']} attempt(s)")
    if answer.get("dialogs"):
        notes.append(f"dismissed {len(answer['dialogs'])} dialog(s) "
                     f"({', '.join(sorted({d['type'] for d in answer['dialogs']}))})")
    if answer.get("popups"):
        notes.append(f"closed {len(answer['popups'])} popup window(s)")
    if answer.get("downloads"):
        notes.append(f"refused {len(answer['downloads'])} download(s)")
    if answer.get("page_errors"):
        notes.append(f"{len(answer['page_errors'])} uncaught JavaScript error(s)")
    if answer.get("console_dropped"):
        notes.append(f"dropped {answer['console_dropped']} console message(s) over the cap")
    return notes
