"""Executor options checked by their effect on real documents."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from visioncode_svg import SvgExecutor

NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


def nested_images(depth: int) -> str:
    """An SVG whose `<image>` shows an SVG whose `<image>` shows ... `depth` levels down."""
    doc = f'<svg {NS} viewBox="0 0 4 4"><rect id="leaf" width="4" height="4"/></svg>'
    for _ in range(depth):
        url = "data:image/svg+xml;base64," + base64.b64encode(doc.encode()).decode()
        doc = (f'<svg {NS} viewBox="0 0 4 4">'
               f'<image id="img" width="4" height="4" href="{url}"/></svg>')
    return doc


def kept_depth(program: str) -> int:
    """How many levels of nested SVG images survive in a sanitised document."""
    depth = 0
    while 'href="data:image/svg+xml;base64,' in program:
        url = program.split('href="data:image/svg+xml;base64,', 1)[1].split('"', 1)[0]
        program = base64.b64decode(url).decode()
        depth += 1
    return depth


@pytest.mark.parametrize("max_nesting", [0, 1, 2, 3])
def test_max_nesting_rejects_deeper_svg_images(max_nesting: int, tmp_path: Path) -> None:
    executor = SvgExecutor(SvgExecutor.Options(max_nesting=max_nesting))
    ex = executor.execute(nested_images(3), tmp_path)
    assert ex.status == "ok", ex.error
    assert kept_depth(ex.program) == max_nesting
    nesting_notes = [n for n in ex.notes if "nested more than" in n]
    if max_nesting < 3:
        assert nesting_notes and f"more than {max_nesting} deep" in nesting_notes[0]
    else:
        assert nesting_notes == []


def test_max_nesting_allows_exactly_its_depth(tmp_path: Path) -> None:
    ex = SvgExecutor(SvgExecutor.Options(max_nesting=2)).execute(nested_images(2), tmp_path)
    assert ex.status == "ok" and not [n for n in ex.notes if "nested" in n]
    assert kept_depth(ex.program) == 2
