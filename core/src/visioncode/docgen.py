"""Generate the reference pages from the code, so they cannot drift (tests compare them):
docs/components.md from the installed components and their options, docs/hooks.md from
the hookspecs.

    python -m visioncode.docgen > docs/components.md
    python -m visioncode.docgen hooks > docs/hooks.md
"""

from __future__ import annotations

import functools
import inspect
import sys
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from . import hookspecs, registry
from .components import BASES, KINDS

TITLES = {"model": "Models", "executor": "Executors", "renderer": "Renderers",
          "visual_prompter": "Visual prompters", "metric": "Metrics"}


def _type(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if not typing.get_args(annotation) else None
    text = text or str(annotation).replace("typing.", "")
    for noise in ("visioncode.sandbox.", "visioncode.scoring.", "pathlib.", "<class '", "'>"):
        text = text.replace(noise, "")
    return text.replace("|", "\\|")


_MISSING = object()


def _default_value(field: Any) -> Any:
    if field.default is not PydanticUndefined:
        return field.default
    if field.default_factory is not None:
        return field.default_factory()
    return _MISSING


def _show(value: Any) -> str:
    if value is _MISSING:
        return "required"
    if isinstance(value, BaseModel):
        return "(below)"
    return f"`{getattr(value, 'value', value)!r}`"


@functools.cache
def _comments(model: type) -> dict[str, str]:
    """`#:` comment lines written above each field in the class body (the Sphinx
    convention), for fields without a pydantic `description`."""
    out: dict[str, str] = {}
    for klass in reversed(model.__mro__):
        # Only the option classes themselves: reading pydantic's or builtins' source
        # (thousands of lines, no `#:` comments) is what would make this slow.
        if klass.__module__.split(".")[0] in {"pydantic", "builtins", "typing"}:
            continue
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        pending: list[str] = []
        for line in source.splitlines():
            stripped = line.strip()
            if stripped.startswith("#:"):
                pending.append(stripped[2:].strip())
            elif ":" in stripped and stripped.split(":")[0].isidentifier() and pending:
                out[stripped.split(":")[0]] = " ".join(pending)
                pending = []
            else:
                pending = []
    return out


def option_docs(model: type[BaseModel]) -> dict[str, str]:
    """Each field's documentation: its `description`, else its `#:` comment ("" if none)."""
    comments = _comments(model)
    return {name: (field.description or comments.get(name, "")).strip()
            for name, field in model.model_fields.items()}


def _options_table(model: type[BaseModel], prefix: str = "", instance: Any = None
                   ) -> list[str]:
    rows = []
    comments = _comments(model)
    for name, field in model.model_fields.items():
        desc = (field.description or comments.get(name, "")).replace("\n", " ")
        desc = desc.replace("|", "\\|")
        value = getattr(instance, name) if instance is not None else _default_value(field)
        rows.append(f"| `{prefix}{name}` | {_type(field.annotation)} | {_show(value)} | "
                    f"{desc} |")
        if isinstance(value, BaseModel):
            rows += _options_table(type(value), prefix=f"{prefix}{name}.", instance=value)
    return rows


def render() -> str:
    lines = [
        "# Components",
        "",
        "Every component installed with the first-party plugins, with its options.",
        "Generated from the code by `python -m visioncode.docgen`; a test fails when this",
        "page and the code disagree.",
    ]
    for kind in KINDS:
        entries = registry.list_components(kind)
        if not entries:
            continue
        lines += ["", f"## {TITLES[kind]}"]
        for entry in entries:
            cls = registry.load(kind, entry.name)
            doc = inspect.cleandoc(cls.__doc__ or "").strip()
            lines += ["", f"### `{entry.name}`", "",
                      f"`{entry.target}` from `{entry.distribution}`", ""]
            if doc:
                lines += [doc, ""]
            rows = _options_table(cls.Options)
            if rows:
                lines += ["| option | type | default | description |",
                          "|---|---|---|---|", *rows]
            else:
                lines.append("No options.")
    return "\n".join(lines) + "\n"


def render_hooks() -> str:
    """docs/hooks.md: every hookspec, the component method it maps to, its signature and
    its contract, from `hookspecs`."""
    lines = [
        "# Hooks",
        "",
        "The contracts of the five component kinds, as pluggy hookspecs in",
        "`visioncode.hookspecs`. A component implements its kind's hook as a plain method",
        "(the method column); a cross-cutting plugin implements the hook itself, usually as",
        "`@hookimpl(wrapper=True)`. Generated from the code by",
        "`python -m visioncode.docgen hooks`; a test fails when this page and the code",
        "disagree.",
        "",
        "| hook | kind | method | calls |",
        "|---|---|---|---|",
    ]
    for hook, (kind, method) in hookspecs.HOOKS.items():
        spec = getattr(hookspecs, hook)
        first = hookspecs.hookspec.project_name + "_spec"
        opts = getattr(spec, first, {})
        calls = "first result (one component)" if opts.get("firstresult") else "every plugin (1:N)"
        lines.append(f"| [`{hook}`](#{hook}) | {kind} | `{BASES[kind].__name__}.{method}` "
                     f"| {calls} |")
    for hook, (kind, method) in hookspecs.HOOKS.items():
        spec = getattr(hookspecs, hook)
        signature = str(inspect.signature(spec)).replace("'", "")
        doc = inspect.cleandoc(spec.__doc__ or "")
        lines += ["", f"## `{hook}`", "",
                  f"Kind `{kind}`: implemented by `{BASES[kind].__name__}.{method}`.", "",
                  "```python", f"def {hook}{signature}: ...", "```", "", doc]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_hooks() if sys.argv[1:] == ["hooks"] else render(), end="")
