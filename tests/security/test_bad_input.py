"""Property-based tests over pipeline configs and dataset records: whatever arrives (a
wrong type in any field, an unknown key, arbitrary bytes, deep nesting, NUL bytes, huge
paths), the answer is a ConfigError or DatasetError that names the field, never a
traceback from deep inside."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from visioncode.config import load_config, validate
from visioncode.errors import ConfigError, DatasetError
from visioncode.samples import load_manifest

from ..conftest import EXAMPLE

pytestmark = pytest.mark.security

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
IMAGE = str(EXAMPLE / "dataset" / "images" / "icon-flag.png")
PROGRAM = str(EXAMPLE / "dataset" / "svg" / "icon-flag.svg")

#: Any JSON value, nested a little.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=3),
    max_leaves=8,
)


def valid_config() -> dict[str, Any]:
    return {
        "task": {"name": "img2svg", "prompt": "Turn the image into SVG."},
        "dataset": {"path": str(EXAMPLE / "dataset" / "samples.jsonl")},
        "model": {"use": "replay",
                  "options": {"path": str(EXAMPLE / "replay" / "ground-truth.jsonl")}},
        "executor": {"use": "svg"},
        "renderer": {"use": "cairosvg", "options": {"limits": {"wall_time_s": 5}}},
        "render": {"width": 64, "height": 64},
        "loop": {"rounds": 1},
        "run": {"workers": 1, "seed": 0},
        "model_calls": {"max_retries": 1},
        "metrics": [{"use": "render-success"}, {"use": "mse"}],
    }


def leaf_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in the config (tables and their fields, list items)."""
    paths = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            paths += leaf_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            paths += leaf_paths(value, (*prefix, i))
    return paths


def put(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def test_the_base_config_is_valid() -> None:
    """Guard: every failure below comes from the one mutated field."""
    validate(valid_config())


@SETTINGS
@given(data=st.data(), value=json_values)
def test_any_wrong_value_in_any_field_names_that_field(data: st.DataObject,
                                                       value: Any) -> None:
    config = valid_config()
    path = data.draw(st.sampled_from(leaf_paths(config)))
    put(config, path, value)
    try:
        validate(config)
    except ConfigError as exc:
        assert exc.problems, exc
        field = dotted(path)
        named = [p for p, _ in exc.problems]
        # The problem is reported at the field, or inside it (a table given bad
        # contents), or at the table that holds it (a model-level rule).
        parent = dotted(path[:-1])
        assert any(p.startswith(field) or field.startswith(p) or p.startswith(parent)
                   for p in named), (field, named)


@SETTINGS
@given(key=st.text(min_size=1, max_size=12), value=json_values,
       table=st.sampled_from(["", "task", "dataset", "render", "loop", "run", "model",
                              "model_calls", "renderer.options"]))
def test_an_unknown_key_anywhere_is_named(key: str, value: Any, table: str) -> None:
    config = valid_config()
    node: Any = config
    for part in [p for p in table.split(".") if p]:
        node = node[part]
    assume(key not in node)
    node[key] = value
    with pytest.raises(ConfigError) as info:
        validate(config)
    where = f"{table}.{key}" if table else key
    assert any(p == where for p, _ in info.value.problems), info.value.problems


@SETTINGS
@given(raw=st.binary(max_size=300), suffix=st.sampled_from([".toml", ".yaml"]))
def test_any_bytes_as_a_config_file_give_a_config_error(raw: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"pipeline{suffix}"
        path.write_bytes(raw)
        with pytest.raises(ConfigError) as info:
            load_config(path)
        assert str(path) in str(info.value)


@settings(max_examples=50, deadline=None)
@given(key=st.lists(st.text(min_size=1, max_size=8).filter(lambda s: "." not in s),
                    min_size=1, max_size=4).map(".".join), value=json_values)
def test_any_override_gives_a_config_or_a_valid_result(key: str, value: Any) -> None:
    """`--set KEY=VALUE` with any key (through a field that is not a table, too)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pipeline.json.toml"
        path.write_text(toml_of(valid_config()))
        for dotted_key in (key, f"task.name.{key}", f"metrics.{key}"):
            try:
                load_config(path, {dotted_key: value})
            except ConfigError as exc:
                assert exc.problems


def toml_of(config: dict[str, Any]) -> str:
    """The base config as TOML (inline tables keep it short)."""
    def val(v: Any) -> str:
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {val(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return json.dumps(v)

    return "".join(f"{k} = {val(v)}\n" for k, v in config.items())


# -- dataset records --------------------------------------------------------------------------

def valid_record() -> dict[str, Any]:
    return {"id": "a", "text": "a flag", "image": IMAGE, "reference_program": PROGRAM,
            "meta": {"subset": "icon"}}


def manifest(lines: list[bytes]) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="vc-bad-input-"))
    path = folder / "samples.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@SETTINGS
@given(field=st.sampled_from(["id", "text", "image", "reference_image",
                              "reference_program", "meta"]), value=json_values)
def test_any_wrong_value_in_a_record_names_the_line_and_field(field: str, value: Any) -> None:
    good = valid_record()
    bad = {**valid_record(), "id": "b", field: value}
    path = manifest([json.dumps(good).encode(), json.dumps(bad).encode()])
    try:
        samples = list(load_manifest(path))
    except DatasetError as exc:
        message = str(exc)
        assert message.startswith(f"{path}:2: "), message
        assert f"field {field}" in message or "duplicate sample id" in message, message
    else:
        assert next(s.id for s in samples) == "a"


@SETTINGS
@given(key=st.text(min_size=1, max_size=12), value=json_values)
def test_an_unknown_record_key_is_named(key: str, value: Any) -> None:
    record = valid_record()
    assume(key not in record)
    record[key] = value
    path = manifest([json.dumps(record).encode()])
    with pytest.raises(DatasetError) as info:
        list(load_manifest(path))
    assert f"{path}:1: field {key}:" in str(info.value)


@SETTINGS
@given(lines=st.lists(st.binary(max_size=80) | json_values.map(
    lambda v: json.dumps(v).encode()), min_size=1, max_size=4))
def test_any_lines_give_samples_or_a_dataset_error(lines: list[bytes]) -> None:
    path = manifest([line.replace(b"\n", b" ") for line in lines])
    try:
        list(load_manifest(path))
    except DatasetError as exc:
        assert str(exc).startswith(f"{path}:"), exc


@pytest.mark.parametrize("line", [
    b"[" * 100_000 + b"]" * 100_000,                       # nesting deeper than Python's stack
    b'{"id": "a", "image": "x\\u0000y"}',                   # NUL in a path
    b'{"id": "a", "image": "' + b"d/" * 3000 + b'x.png"}',  # a path too long for the OS
    b'{"id": "a", "text": "\xff\xfe"}',                    # not UTF-8
    b'{"id": "a", "image": 3}',
    b'{"id": "a\\u0000"}',
])
def test_hostile_records_give_a_dataset_error(line: bytes) -> None:
    path = manifest([line])
    with pytest.raises(DatasetError) as info:
        list(load_manifest(path))
    assert str(info.value).startswith(f"{path}:1: "), info.value
