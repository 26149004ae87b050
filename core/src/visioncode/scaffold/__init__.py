"""`visioncode new-plugin`: a ready-to-install plugin package for one component.

The templates (package data under `templates/`) are small working components, not stubs:
an executor for a tiny drawing language run in a limited child process, a renderer that
draws SVG shapes with Pillow, a deterministic mean-colour model, a grid visual prompter,
a colour-histogram metric. Each package comes with its entry point, tests that run the
`visioncode.testing` contract suite of its kind, an offline example pipeline and a
README, so a plugin author starts from something that passes and edits from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import click

from ..errors import VisioncodeError


@dataclass(frozen=True)
class KindTemplate:
    """What differs between the kinds' packages."""

    folder: str
    module: str
    suffix: str
    namespace: str
    contract: str
    title: str
    article: str = "a"


KINDS: dict[str, KindTemplate] = {
    "executor": KindTemplate("executor", "executor", "Executor", "visioncode.executors",
                             "ExecutorContract", "executor", "an"),
    "renderer": KindTemplate("renderer", "renderer", "Renderer", "visioncode.renderers",
                             "RendererContract", "renderer"),
    "model": KindTemplate("model", "model", "Model", "visioncode.models",
                          "ModelContract", "model"),
    "visual-prompter": KindTemplate("visual-prompter", "prompter", "Prompter",
                                    "visioncode.visual_prompters",
                                    "VisualPrompterContract", "visual prompter"),
    "metric": KindTemplate("metric", "metric", "Metric", "visioncode.metrics",
                           "MetricContract", "metric"),
}
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def names(name: str, kind: str) -> dict[str, str]:
    """The placeholders of the templates for component `name` of `kind`."""
    if not NAME.match(name):
        raise VisioncodeError(f"plugin name {name!r}: use lowercase letters, digits and "
                              "single hyphens, starting with a letter (e.g. `shapes`)")
    spec = KINDS[kind]
    camel = "".join(part.capitalize() for part in name.split("-"))
    cls = camel if camel.endswith(spec.suffix) else camel + spec.suffix
    return {
        "__DIST__": f"visioncode-{name}",
        "__PACKAGE__": "visioncode_" + name.replace("-", "_"),
        "__NAME__": name,
        "__CLASS__": cls,
        "__MODULE__": spec.module,
        "__NAMESPACE__": spec.namespace,
        "__CONTRACT__": spec.contract,
        "__KIND_TITLE__": spec.title,
        "__KIND_ARTICLE__": spec.article,
        "__KIND__": kind,
    }


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def generate(name: str, kind: str, dest: Path) -> Path:
    """Write the package for component `name` of `kind` into `dest/visioncode-NAME`
    and return that folder. Refuses to overwrite an existing folder."""
    if kind not in KINDS:
        raise VisioncodeError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    values = names(name, kind)
    root = dest / values["__DIST__"]
    if root.exists():
        raise VisioncodeError(f"{root} already exists: choose another --dest or name")
    templates = resources.files(__package__).joinpath("templates")
    common, own = templates.joinpath("common"), templates.joinpath(KINDS[kind].folder)
    package = root / "src" / values["__PACKAGE__"]
    values["__ABOUT__"] = own.joinpath("about.md").read_text(encoding="utf-8").strip()
    files = {
        root / "pyproject.toml": common.joinpath("pyproject.toml.tmpl"),
        root / "README.md": common.joinpath("README.md.tmpl"),
        package / "__init__.py": common.joinpath("__init__.py.tmpl"),
        package / f"{values['__MODULE__']}.py": own.joinpath(f"{values['__MODULE__']}.py.tmpl"),
        root / "tests" / "conftest.py": common.joinpath("conftest.py.tmpl"),
        root / "tests" / f"test_{values['__MODULE__']}.py": own.joinpath("test_component.py.tmpl"),
        root / "example" / "pipeline.toml": own.joinpath("pipeline.toml.tmpl"),
    }
    extra = own.joinpath("interpreter.py.tmpl")
    if extra.is_file():
        files[package / "interpreter.py"] = extra
    for target, template in files.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_fill(template.read_text(encoding="utf-8"), values), encoding="utf-8")
    return root


@click.command("new-plugin")
@click.argument("name")
@click.option("--kind", "-k", type=click.Choice(list(KINDS)), required=True,
              help="The kind of component the plugin provides.")
@click.option("--dest", "-d", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Folder to create the package in.")
def new_plugin(name: str, kind: str, dest: Path) -> None:
    """Create a ready plugin package for a component NAME of one kind: pyproject with the
    entry point, a working component with Options, contract tests, example, README."""
    root = generate(name, kind, dest)
    click.echo(f"created {root}\n"
               f"  cd {root}\n"
               f"  pip install -e '.[test]' && pytest\n"
               f"  python -m visioncode.testing.datasets example/dataset\n"
               f"  visioncode run example/pipeline.toml")
