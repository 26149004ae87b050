"""Component contracts: pluggy validates signatures at registration, wrappers see calls."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from visioncode import (
    Execution,
    Extraction,
    Renderer,
    Rendering,
    RenderSpec,
    hookimpl,
)
from visioncode.components import CodeExecutor, ComponentContext
from visioncode.plugin_manager import ContractError, VisioncodePluginManager


class GoodRenderer(Renderer):
    def render(self, execution: Execution, spec: RenderSpec, workdir: Path) -> Rendering:
        return Rendering(status="ok", renderer=self.name, images=[workdir / "x.png"])


class MisspelledRenderer(Renderer):
    """`specification` is not a parameter of the render hook."""

    def render(self, execution: Execution, specification: RenderSpec,  # type: ignore[override]
               workdir: Path) -> Rendering:
        raise AssertionError("never called")


class PartialExecutor(CodeExecutor):
    """Implementations may take fewer parameters than the hook offers."""

    def execute(self, program: str) -> Execution:  # type: ignore[override]
        return Execution(status="ok", program=program)


def ctx(name: str) -> ComponentContext:
    return ComponentContext(name=name)


def test_wrong_signature_is_rejected_with_clear_error() -> None:
    pm = VisioncodePluginManager()
    with pytest.raises(ContractError) as info:
        pm.register_component(MisspelledRenderer(context=ctx("bad")), "renderer")
    msg = str(info.value)
    assert "renderer 'bad'" in msg
    assert "MisspelledRenderer" in msg
    assert "specification" in msg  # the offending parameter
    assert "render(execution" in msg  # the expected signature
    assert not pm.has_plugin("renderer")  # nothing half-registered


def test_missing_method_cannot_be_instantiated() -> None:
    class NoRender(Renderer):
        pass

    with pytest.raises(TypeError, match="abstract"):
        NoRender()  # type: ignore[abstract]


def test_subset_of_parameters_is_accepted(tmp_path: Path) -> None:
    pm = VisioncodePluginManager()
    pm.register_component(PartialExecutor(context=ctx("p")), "executor")
    result = pm.hook.visioncode_execute(program="<svg/>", workdir=tmp_path, sample=None)
    assert result.program == "<svg/>"
    # The default extract of CodeExecutor is mapped too.
    extraction = pm.hook.visioncode_extract(text="```svg\n<svg/>\n```")
    assert isinstance(extraction, Extraction) and extraction.program == "<svg/>"


def test_wrapper_plugin_sees_component_calls(tmp_path: Path) -> None:
    seen: list[str] = []

    class Tracer:
        @hookimpl(wrapper=True)
        def visioncode_render(self, spec: RenderSpec) -> Generator[None, Any, Any]:
            seen.append(f"before {spec.width}")
            result = yield
            seen.append(f"after {result.status}")
            return result

    pm = VisioncodePluginManager()
    pm.register(Tracer())
    pm.register_component(GoodRenderer(context=ctx("good")), "renderer")
    out = pm.hook.visioncode_render(execution=Execution(status="ok", program=""),
                                    spec=RenderSpec(width=7), workdir=tmp_path)
    assert out.status == "ok"
    assert seen == ["before 7", "after ok"]


def test_non_component_hookimpl_with_unknown_hook_is_rejected() -> None:
    class Typo:
        @hookimpl
        def visioncode_rendr(self) -> None: ...

    pm = VisioncodePluginManager()
    pm.register(Typo())
    with pytest.raises(Exception, match="unknown hook 'visioncode_rendr'"):
        pm.check_pending()
