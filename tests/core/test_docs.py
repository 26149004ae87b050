"""Docs that cannot drift: the component reference is generated from the code, and every
page the index links exists."""

from __future__ import annotations

import re

from visioncode import docgen

from ..conftest import ROOT

DOCS = ROOT / "docs"


def test_component_reference_is_current() -> None:
    assert (DOCS / "components.md").read_text() == docgen.render(), (
        "docs/components.md is stale: run `python -m visioncode.docgen > docs/components.md`")


def test_every_option_of_every_component_is_described() -> None:
    undocumented = [line for line in docgen.render().splitlines()
                    if line.startswith("| `") and line.rstrip().endswith("|  |")]
    assert undocumented == []


def test_index_links_resolve() -> None:
    for page in ("index.md", "getting-started.md", "concepts.md"):
        for target in re.findall(r"\]\(([\w-]+\.md)\)", (DOCS / page).read_text()):
            assert (DOCS / target).is_file(), f"{page} links to missing {target}"


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.DOTALL)
    assert "scripts/setup" in blocks[0] and "visioncode run examples/img2svg" in blocks[0]
    assert blocks[1].strip() == ".venv/bin/python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text()
    assert blocks[1].strip() in ci.splitlines()
