"""Meta-tests, in the manner of datasette's: every hook and every component option is
documented and exercised by a test, and every command is documented. They fail with
the list of what is missing, so adding a component without its docs or tests shows up
here."""

from __future__ import annotations

import inspect
import re
from functools import cache

import pytest

from visioncode import docgen, hookspecs, registry
from visioncode.cli import main

from ..conftest import ROOT

DOCS = ROOT / "docs"
CONTRACTS = {"model": "ModelContract", "executor": "ExecutorContract",
             "renderer": "RendererContract", "visual_prompter": "VisualPrompterContract",
             "metric": "MetricContract"}

#: Options no test can exercise, with the reason. Keep it short: an entry here is a
#: promise that the option is checked some other way.
UNEXERCISABLE: dict[str, str] = {}


@cache
def sources_of_tests() -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
            for pattern in ("tests/**/*.py", "tests/**/*.toml", "tests/**/*.yaml")
            for p in ROOT.glob(pattern)}


def test_every_hookspec_is_listed_and_documented() -> None:
    specs = {name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
             if hasattr(fn, hookspecs.hookspec.project_name + "_spec")}
    assert specs == set(hookspecs.HOOKS), "hookspecs.HOOKS must list every hookspec"
    page = (DOCS / "hooks.md").read_text()
    for hook in specs:
        assert getattr(hookspecs, hook).__doc__, f"{hook} has no docstring"
        assert f"## `{hook}`" in page, f"{hook} is not in docs/hooks.md"


def test_every_hook_is_exercised_by_a_test() -> None:
    """A hook counts as exercised when a test names it, or when a test runs the contract
    suite of its kind (the suites call components through the hooks)."""
    sources = "\n".join(sources_of_tests().values())
    missing = [hook for hook, (kind, _) in hookspecs.HOOKS.items()
               if hook not in sources and f"({CONTRACTS[kind]})" not in sources]
    assert missing == [], f"hooks no test exercises: {missing}"


def loadable_components() -> list[tuple[registry.EntryInfo, type]]:
    out = []
    for entry, error in registry.check_all():
        if error is None:
            out.append((entry, registry.load(entry.kind, entry.name)))
    return out


def test_every_component_loads() -> None:
    failures = [f"{e.kind} {e.name}: {x}" for e, x in registry.check_all() if x]
    assert failures == []


def test_every_option_is_in_the_component_reference() -> None:
    page = (DOCS / "components.md").read_text()
    missing = []
    for entry, cls in loadable_components():
        kind_section = page.split(f"\n## {docgen.TITLES[entry.kind]}\n", 1)[-1].split("\n## ")[0]
        section = kind_section.split(f"### `{entry.name}`", 1)[-1].split("\n### ", 1)[0]
        missing += [f"{entry.kind} {entry.name}.{opt}" for opt in cls.Options.model_fields
                    if f"| `{opt}`" not in section]
    assert missing == [], "options missing from docs/components.md (regenerate it)"


def unexercised_options() -> list[str]:
    """`kind name.option` for each option no test file mentions together with its
    component (by entry-point name or class name)."""
    missing = []
    for entry, cls in loadable_components():
        name = re.compile(r"[\"'= ]" + re.escape(entry.name) + r"[\"' \]]")
        files = [text for text in sources_of_tests().values()
                 if name.search(text) or re.search(rf"\b{cls.__name__}\b", text)]
        for option in cls.Options.model_fields:
            key = f"{entry.kind} {entry.name}.{option}"
            if key in UNEXERCISABLE:
                continue
            if not any(re.search(rf"\b{re.escape(option)}\b", text) for text in files):
                missing.append(key)
    return missing


def test_every_option_is_exercised_by_a_test() -> None:
    missing = unexercised_options()
    print("options no test exercises:\n  " + "\n  ".join(missing))
    assert missing == [], (
        f"{len(missing)} options are not exercised by any test that names their component: "
        + ", ".join(missing))


def test_allow_list_entries_are_real_and_explained() -> None:
    known = {f"{e.kind} {e.name}.{o}" for e, cls in loadable_components()
             for o in cls.Options.model_fields}
    for key, reason in UNEXERCISABLE.items():
        assert key in known, f"{key} is not an option of an installed component"
        assert len(reason) > 20, f"{key}: say why it cannot be exercised"


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_is_documented(command: str) -> None:
    text = "\n".join(p.read_text() for p in DOCS.rglob("*.md"))
    assert f"visioncode {command}" in text, f"`visioncode {command}` appears in no docs page"


def test_every_option_has_a_description() -> None:
    missing = [f"{e.kind} {e.name}.{name}" for e, cls in loadable_components()
               for name, doc in docgen.option_docs(cls.Options).items() if not doc]
    assert missing == []
