"""The JSON Schema of pipeline files, merged with every installed component's options.

`PipelineConfig` alone says that `renderer.options` is "an object"; this schema says, for
`renderer.use = "cairosvg"`, exactly which options cairosvg takes, their types, defaults
and descriptions, and that `use` is one of the installed renderers. Editors that read
JSON Schema (VS Code with Even Better TOML or the YAML extension, JetBrains IDEs) then
complete and check pipeline files as you type::

    visioncode schema --output visioncode.schema.json

Each stage's spec is specialised with one `if`/`then` per component on `use`, the form
JSON Schema validators and editors both understand. A component that cannot be imported
keeps free-form options (and is named in the schema's `$comment`), so one broken plugin
does not take completion away from the others.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel

from . import registry
from .components import KINDS
from .config import STAGE_KINDS, PipelineConfig
from .docgen import option_docs

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://visioncode.invalid/pipeline.schema.json"
_COMPONENT_SPEC = "#/$defs/ComponentSpec"


def options_schema(options: type[BaseModel], prefix: str) -> tuple[dict[str, Any],
                                                                   dict[str, Any]]:
    """One component's Options as (schema, definitions), its `$defs` renamed under
    `prefix` so that components may reuse a class name without clashing."""
    schema = options.model_json_schema(ref_template="#/$defs/" + prefix + "{model}")
    # Options documented with `#:` comments get them as descriptions too (editors show them).
    for name, doc in option_docs(options).items():
        if doc and name in schema.get("properties", {}):
            schema["properties"][name].setdefault("description", doc)
    defs = {prefix + name: value for name, value in schema.pop("$defs", {}).items()}
    return schema, defs


def _spec_def(kind: str, defs: dict[str, Any], skipped: list[str]) -> dict[str, Any]:
    """`{use, options}` for one kind, options specialised per installed component."""
    names: list[str] = []
    branches: list[dict[str, Any]] = []
    for entry in registry.list_components(kind):
        names.append(entry.name)
        try:
            cls = registry.load(kind, entry.name)
            schema, extra = options_schema(cls.Options, f"{kind}.{entry.name}.")
        except Exception as exc:  # a broken plugin: free-form options
            skipped.append(f"{kind} {entry.name}: {type(exc).__name__}")
            continue
        defs.update(extra)
        schema.setdefault("description", f"Options of the {kind} `{entry.name}` "
                                         f"({entry.distribution} {entry.version}).")
        branches.append({"if": {"properties": {"use": {"const": entry.name}},
                                "required": ["use"]},
                         "then": {"properties": {"options": schema}}})
    spec: dict[str, Any] = {
        "type": "object",
        "title": f"{kind} component",
        "description": f"A {kind}: `use` names an installed {kind} "
                       "(`visioncode plugins`), `options` are that component's options.",
        "properties": {
            "use": {"type": "string", "enum": sorted(set(names)),
                    "description": f"The {kind}'s name."},
            "options": {"type": "object", "description": "That component's options."},
        },
        "required": ["use"],
        "additionalProperties": False,
    }
    if branches:
        spec["allOf"] = branches
    return spec


def _retarget(node: Any, ref: str) -> Any:
    """`node` with every reference to the generic ComponentSpec pointed at `ref`."""
    if isinstance(node, dict):
        if node.get("$ref") == _COMPONENT_SPEC:
            return {**node, "$ref": ref}
        return {k: _retarget(v, ref) for k, v in node.items()}
    if isinstance(node, list):
        return [_retarget(v, ref) for v in node]
    return node


def pipeline_schema() -> dict[str, Any]:
    """The merged JSON Schema (draft 2020-12) of a pipeline file."""
    schema = PipelineConfig.model_json_schema()
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    skipped: list[str] = []
    for kind in KINDS:
        defs[f"{kind}Spec"] = _spec_def(kind, defs, skipped)
    slots = {**STAGE_KINDS, "metrics": "metric"}
    for slot, kind in slots.items():
        ref = f"#/$defs/{kind}Spec"
        head, _, tail = slot.partition(".")
        if tail:  # loop.critic: a field of a nested model
            target = defs[_def_name(schema["properties"][head])]["properties"]
            target[tail] = _retarget(target[tail], ref)
        else:
            schema["properties"][head] = _retarget(schema["properties"][head], ref)
    schema = {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID, **schema}
    schema["title"] = "visioncode pipeline"
    if skipped:
        schema["$comment"] = ("components whose options are not described (they did not "
                              "load): " + "; ".join(skipped))
    return schema


def _def_name(node: dict[str, Any]) -> str:
    ref = node.get("$ref") or next(x["$ref"] for x in node.get("anyOf", node.get("allOf", []))
                                   if "$ref" in x)
    return str(ref).rsplit("/", 1)[-1]


def component_info(entry: registry.EntryInfo, *, load: bool,
                   error: str | None = None) -> dict[str, Any]:
    """What `visioncode plugins --json` says about one component. Without `load` only
    metadata is read (nothing is imported); with it, the class is imported and its
    options schema and summary added, or the import error reported."""
    module, _, attr = entry.target.partition(":")
    info: dict[str, Any] = {
        "kind": entry.kind, "name": entry.name, "target": entry.target,
        "module": module, "class": attr, "distribution": entry.distribution,
        "version": entry.version, "status": "listed", "error": error,
        "summary": None, "options": None,
    }
    if not load:
        return info
    if error is not None:
        info["status"] = "failed"
        return info
    try:
        cls = registry.load(entry.kind, entry.name)
        schema, defs = options_schema(cls.Options, "")
    except Exception as exc:  # reported, not raised: one row per plugin
        info.update(status="failed", error=str(exc))
        return info
    if defs:
        schema["$defs"] = defs
    paragraph = inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0]
    info.update(status="loaded", options=schema, summary=" ".join(paragraph.split()) or None)
    return info


@click.command("schema")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the schema to this file instead of stdout.")
def schema_cmd(output: Path | None) -> None:
    """Print the JSON Schema of pipeline files, with every installed component's options
    (for editor completion and checking)."""
    text = json.dumps(pipeline_schema(), indent=2, sort_keys=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
