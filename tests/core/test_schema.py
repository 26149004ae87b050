"""`visioncode schema`: every example pipeline validates against the merged schema, and
typos (a top-level table, a component name, a component's option, a nested option) are
rejected where pass 2 of the config would reject them too."""

from __future__ import annotations

import copy
import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from visioncode.schema import pipeline_schema

from ..conftest import BIN, ROOT

EXAMPLES = sorted(ROOT.glob("examples/*/*.toml"))


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return pipeline_schema()


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator: jsonschema.protocols.Validator, data: dict[str, Any]) -> list[str]:
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in validator.iter_errors(data))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_validate(validator: jsonschema.protocols.Validator, path: Path) -> None:
    data = json.loads(json.dumps(tomllib.loads(path.read_text())))  # TOML -> JSON
    assert errors(validator, data) == []


def test_typos_are_rejected(validator: jsonschema.protocols.Validator) -> None:
    base = tomllib.loads((ROOT / "examples" / "img2svg" / "pipeline.toml").read_text())
    assert errors(validator, base) == []

    def broken(edit: Any) -> list[str]:
        data = copy.deepcopy(base)
        edit(data)
        return errors(validator, data)

    assert any("rendr" in e for e in broken(lambda d: d.update(rendr={"width": 3})))
    assert any("'ssmi' is not one of" in e
               for e in broken(lambda d: d["metrics"].append({"use": "ssmi"})))
    got = broken(lambda d: d["renderer"].update(use="resvg", options={"limitz": {}}))
    assert any(e.startswith("renderer.options") and "limitz" in e for e in got), got
    got = broken(lambda d: d["renderer"].update(
        use="cairosvg", options={"limits": {"wall_time_s": "soon"}}))
    assert any(e.startswith("renderer.options.limits.wall_time_s") for e in got), got
    got = broken(lambda d: d["model"].update(use="vtracer", options={"colourmode": "x"}))
    assert any("colourmode" in e for e in got), got
    # The same option is fine on the component that has it.
    assert broken(lambda d: d["model"].update(use="vtracer", options={
        "filter_speckle": 2})) == []
    assert any("filter_speckle" in e for e in broken(lambda d: d["renderer"].update(
        use="cairosvg", options={"filter_speckle": 2})))


def test_every_installed_component_is_in_the_schema(schema: dict[str, Any]) -> None:
    from visioncode import registry

    for entry in registry.list_components():
        spec = schema["$defs"][f"{entry.kind}Spec"]
        assert entry.name in spec["properties"]["use"]["enum"]


@pytest.mark.slow
def test_schema_command_writes_the_schema(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    res = subprocess.run([str(BIN / "visioncode"), "schema", "--output", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    written = json.loads(out.read_text())
    assert written["title"] == "visioncode pipeline"
    assert written["properties"]["renderer"] == {"$ref": "#/$defs/rendererSpec"}
    cairo = next(b for b in written["$defs"]["rendererSpec"]["allOf"]
                 if b["if"]["properties"]["use"]["const"] == "cairosvg")
    limits = cairo["then"]["properties"]["options"]["properties"]["limits"]
    assert "description" in limits
