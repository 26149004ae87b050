"""GUI actions a page can replay: click, type, scroll, hover and press, by CSS selector
or by coordinates (CSS pixels of the viewport).

Actions come from the executor's options or from the program itself, in a script block
the browser ignores:

    <script type="application/vnd.visioncode.actions+json">
      [{"type": "click", "selector": "#open"}, {"type": "type", "selector": "#q",
        "text": "lamp"}]
    </script>
"""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ACTIONS_MIME = "application/vnd.visioncode.actions+json"
_BLOCK = re.compile(
    r"<script\b[^>]*\btype\s*=\s*[\"']" + re.escape(ACTIONS_MIME) + r"[\"'][^>]*>(.*?)</script\s*>",
    re.IGNORECASE | re.DOTALL,
)


class Action(BaseModel):
    """One step. `selector` (first match) or `x`/`y` says where; `text` is what `type`
    types, `key` what `press` presses (Playwright key names: `Enter`, `Tab`, `a`),
    `dx`/`dy` how far `scroll` scrolls (the window, or `selector`'s element)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["click", "type", "scroll", "hover", "press"] = Field(
        description="what to do")
    selector: str | None = Field(None, description="CSS selector of the target element")
    x: float | None = Field(None, description="viewport x in CSS pixels (without selector)")
    y: float | None = Field(None, description="viewport y in CSS pixels (without selector)")
    text: str | None = Field(None, description="text to type (type)")
    key: str | None = Field(None, description="key to press (press)")
    dx: float = Field(0.0, description="horizontal scroll in CSS pixels (scroll)")
    dy: float = Field(0.0, description="vertical scroll in CSS pixels (scroll)")
    description: str | None = Field(None, description="the action in words, for prompts")

    @model_validator(mode="after")
    def _complete(self) -> Action:
        has_point = self.x is not None and self.y is not None
        if (self.x is None) != (self.y is None):
            raise ValueError("give both x and y, or neither")
        if self.type in ("click", "hover") and not (self.selector or has_point):
            raise ValueError(f"{self.type} needs a selector or x and y")
        if self.type == "type" and self.text is None:
            raise ValueError("type needs text")
        if self.type == "press" and not self.key:
            raise ValueError("press needs key")
        if self.type == "scroll" and not (self.dx or self.dy):
            raise ValueError("scroll needs dx or dy")
        return self

    def describe(self) -> str:
        """The action in words ("click #submit", "type 'Ada' into #name")."""
        if self.description:
            return self.description
        where = self.selector or (f"({self.x:g}, {self.y:g})" if self.x is not None else "")
        if self.type == "type":
            return f"type {self.text!r}" + (f" into {where}" if where else "")
        if self.type == "press":
            return f"press {self.key}" + (f" in {where}" if where else "")
        if self.type == "scroll":
            return f"scroll by ({self.dx:g}, {self.dy:g})" + (f" in {where}" if where else "")
        return f"{self.type} {where}"


class ActionsError(ValueError):
    """The actions block of a program is not a valid list of actions."""


def parse_actions(raw: object) -> list[Action]:
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise ActionsError(f"expected a list of actions, got {type(raw).__name__}")
    out = []
    for i, item in enumerate(raw):
        try:
            out.append(Action.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(x) for x in err["loc"]) or "(action)"
            raise ActionsError(f"action {i}: {field}: {err['msg']}") from None
    return out


def actions_in_program(program: str) -> tuple[list[Action], int | None]:
    """The actions of the program's actions block (and its 1-based line), or ([], None)."""
    m = _BLOCK.search(program)
    if not m:
        return [], None
    line = program.count("\n", 0, m.start()) + 1
    try:
        raw = json.loads(m.group(1))
    except json.JSONDecodeError as exc:
        raise ActionsError(f"the actions block (line {line}) is not JSON: {exc.msg}") from None
    return parse_actions(raw), line
