"""Docs that cannot drift: the component and hook references are generated from the
code, every link points at a page inside docs/, the runnable examples run, and the site
builds with `mkdocs build --strict`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from visioncode import docgen

from ..conftest import BIN, ROOT

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
#: A python block preceded by this line is executed by test_runnable_examples.
RUN_MARK = "<!-- run -->"


def python_blocks(text: str) -> list[tuple[bool, str]]:
    """(runnable, code) of every ```python block of a page."""
    return [(bool(mark), code) for mark, code in
            re.findall(r"(<!-- run -->\n)?```python\n(.*?)```", text, re.DOTALL)]


def test_component_reference_is_current() -> None:
    assert (DOCS / "components.md").read_text() == docgen.render(), (
        "docs/components.md is stale: run `python -m visioncode.docgen > docs/components.md`")


def test_hook_reference_is_current() -> None:
    assert (DOCS / "hooks.md").read_text() == docgen.render_hooks(), (
        "docs/hooks.md is stale: run `python -m visioncode.docgen hooks > docs/hooks.md`")


def test_every_option_of_every_component_is_described() -> None:
    undocumented = [line for line in docgen.render().splitlines()
                    if line.startswith("| `") and line.rstrip().endswith("|  |")]
    assert undocumented == []


def test_index_links_resolve() -> None:
    for page in ("index.md", "getting-started.md", "concepts.md"):
        for target in re.findall(r"\]\(([\w-]+\.md)\)", (DOCS / page).read_text()):
            assert (DOCS / target).is_file(), f"{page} links to missing {target}"


def test_links_stay_inside_docs() -> None:
    """Relative links resolve to a file under docs/ (mkdocs --strict rejects the rest:
    name repository files outside docs/ as `code spans`)."""
    bad = []
    for page in PAGES:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
        for target in LINK.findall(text):
            if re.match(r"^[a-z]+:|^#", target):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            if not path.is_relative_to(DOCS.resolve()) or not path.exists():
                bad.append(f"{page.relative_to(DOCS)} -> {target}")
    assert bad == []


def test_every_python_example_compiles() -> None:
    broken = []
    for page in PAGES:
        for i, (_, code) in enumerate(python_blocks(page.read_text())):
            try:
                compile(code, f"{page.relative_to(DOCS)}[{i}]", "exec")
            except SyntaxError as exc:
                broken.append(f"{page.relative_to(DOCS)} block {i}: {exc}")
    assert broken == []


RUNNABLE = [(page, code) for page in PAGES for run, code in python_blocks(page.read_text())
            if run]


@pytest.mark.slow
@pytest.mark.parametrize("page,code", RUNNABLE,
                         ids=[f"{p.relative_to(DOCS)}" for p, _ in RUNNABLE])
def test_runnable_examples(page: Path, code: str) -> None:
    """Blocks marked `<!-- run -->` run from the repository root and exit 0."""
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, f"{page}:\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"


def test_there_are_runnable_examples() -> None:
    assert {p.relative_to(DOCS).as_posix() for p, _ in RUNNABLE} >= {
        "tutorials/img2svg.md", "schema.md"}


def nav_pages(nav: list) -> list[str]:  # type: ignore[type-arg]
    out: list[str] = []
    for item in nav:
        for value in item.values():
            out += nav_pages(value) if isinstance(value, list) else [value]
    return out


def test_nav_has_the_sections_of_the_site() -> None:
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    titles = [next(iter(item)) for item in config["nav"]]
    assert titles == ["Home", "Getting started", "Concepts", "Tutorials", "Guides",
                      "Writing a plugin", "Reference", "Security", "Benchmarks"]
    pages = nav_pages(config["nav"])
    assert len(pages) == len(set(pages))
    for page in ("tutorials/img2svg.md", "hooks.md", "components.md", "schema.md"):
        assert page in pages


@pytest.mark.slow
def test_site_builds_strict(tmp_path: Path) -> None:
    """`mkdocs build --strict`: every nav page exists and no link is broken."""
    if shutil.which("mkdocs", path=str(BIN)) is None:
        pytest.fail("mkdocs is missing: it is in the dev dependency group")
    res = subprocess.run([str(BIN / "mkdocs"), "build", "--strict", "-f",
                          str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-4000:]
    assert (tmp_path / "site" / "tutorials" / "img2svg" / "index.html").is_file()


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.DOTALL)
    assert "scripts/setup" in blocks[0] and "visioncode run examples/img2svg" in blocks[0]
    assert blocks[1].strip() == ".venv/bin/python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text()
    assert blocks[1].strip() in ci.splitlines()
