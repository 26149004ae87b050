"""Every copy-paste config in the model docs is valid: each pipeline fragment, put into
the offline example pipeline in place of its tables, passes both validation passes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE, ROOT
from visioncode.config import read_file, validate

PAGES = [ROOT / "docs" / "models.md", *sorted((ROOT / "docs" / "models").glob("*.md"))]
#: Pipeline fragments: TOML blocks with a table (the keys-file example has none).
BLOCKS = [(page, block) for page in PAGES
          for block in re.findall(r"```toml\n(.*?)```", page.read_text(), re.DOTALL)
          if re.search(r"^\[", block, re.MULTILINE)]


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        if key == "model" or not isinstance(value, dict) or not isinstance(out.get(key), dict):
            out[key] = value
        else:
            out[key] = merge(out[key], value)
    return out


def test_the_pages_have_configs() -> None:
    pages = {page.name for page, _ in BLOCKS}
    assert {"models.md", "openai.md", "anthropic.md", "command.md"} <= pages
    assert len(BLOCKS) >= 12


@pytest.mark.parametrize(("page", "block"), BLOCKS,
                         ids=[f"{p.name}-{i}" for i, (p, _) in enumerate(BLOCKS)])
def test_docs_config_block_validates(page: Path, block: str) -> None:
    base = read_file(EXAMPLE / "pipeline.toml")
    patch = tomllib.loads(block)
    loaded = validate(merge(base, patch), source=EXAMPLE / "pipeline.toml")
    if "model" in patch:
        assert loaded.config.model.use == patch["model"]["use"]
