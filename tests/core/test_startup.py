"""Start-up: `visioncode --help` and `visioncode plugins` import none of the heavy
libraries (measured with `python -X importtime`: structlog with rich's tracebacks,
pydantic, stevedore, yaml, numpy, PIL dominated a 0.7-1.6 s start). A module-set
assertion, not a timing."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from visioncode import cli

HEAVY = ("pydantic", "pydantic_core", "structlog", "rich", "stevedore", "yaml", "numpy",
         "PIL", "pluggy", "visioncode.components", "visioncode.config",
         "visioncode.sandbox", "visioncode.runner")

PROBE = """
import json, sys
from visioncode.cli import main
try:
    main({args!r}, standalone_mode=False)
except SystemExit:
    pass
sys.stdout.flush()
print("\\n" + json.dumps(sorted(sys.modules)))
"""


def imported_by(*args: str) -> set[str]:
    res = subprocess.run([sys.executable, "-c", PROBE.format(args=list(args))],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return set(json.loads(res.stdout.splitlines()[-1]))


@pytest.mark.parametrize("args", [("--help",), ("plugins",), ("run", "--help")])
def test_cli_starts_without_heavy_modules(args: tuple[str, ...]) -> None:
    modules = imported_by(*args)
    assert "click" in modules
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY)
    assert heavy == [], f"visioncode {' '.join(args)} imported {heavy}"


def test_lazy_commands_are_listed_with_their_own_short_help() -> None:
    """`--help` lists the lazily imported subcommands from recorded help texts: they
    must say what the commands themselves say."""
    ctx = click.Context(cli.main)
    for name, (_module, _attr, short) in cli.LAZY_COMMANDS.items():
        command = cli.main.get_command(ctx, name)
        assert command is not None and command.name == name
        real = " ".join((command.help or "").split())
        assert real.startswith(short.removesuffix("...")), (name, real)


def test_public_api_names_still_import() -> None:
    import visioncode

    # A name added to the public API must be added to the lazy table too.
    assert sorted(visioncode.__all__) == sorted(visioncode._LAZY)
    for name in visioncode.__all__:
        assert getattr(visioncode, name) is not None


def test_the_fast_scan_finds_what_importlib_metadata_finds() -> None:
    """`visioncode plugins` reads only the distributions that declare a visioncode
    namespace; it must list exactly what a full `importlib.metadata` scan lists."""
    from importlib import metadata

    from visioncode import registry

    fast = registry._visioncode_entry_points()
    full = metadata.entry_points()
    for group in registry.NAMESPACES.values():
        assert sorted((e.name, e.value) for e in fast.select(group=group)) == \
            sorted({(e.name, e.value) for e in full.select(group=group)})
