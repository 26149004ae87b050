"""Checks every component kind shares: options, registration, kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pydantic
import pytest

from ...components import BASES, Component, ComponentContext, _default_name
from ...hookspecs import HOOKS
from ...plugin_manager import VisioncodePluginManager


class ComponentContract:
    """Base of the per-kind suites. Set `component` (the class) and, where the defaults
    do not fit, `options` (a dict validated by the component's Options) and `name` (the
    entry-point name; default: derived from the class name)."""

    #: The component class under test.
    component: ClassVar[type[Component]]
    #: Options the suite's instance is built with (validated by `component.Options`).
    options: ClassVar[dict[str, Any]] = {}
    #: The component's name; default: the class name in kebab case.
    name: ClassVar[str | None] = None
    #: The kind the suite checks (set by each suite).
    kind: ClassVar[str]

    def make(self, tmp_path: Path | None = None, **overrides: Any) -> Component:
        """An instance with `options` updated by `overrides`."""
        options = self.component.Options.model_validate({**self.options, **overrides})
        name = self.name or _default_name(self.component)
        context = ComponentContext(name=name, slot=self.kind)
        if tmp_path is not None:
            context.base_dir = tmp_path
        return self.component(options, context)

    def call(self, component: Component, method: str, **kwargs: Any) -> Any:
        """Call `method` the way a pipeline does: through the plugin manager's hook, so
        the signature check and the hook's dispatch are part of every contract check."""
        hook = next(h for h, (kind, m) in HOOKS.items() if kind == self.kind and m == method)
        pm = VisioncodePluginManager()
        pm.register_component(component, self.kind)
        result = getattr(pm.hook, hook)(**kwargs)
        return result[0] if isinstance(result, list) else result  # metrics are 1:N

    @pytest.fixture
    def subject(self, tmp_path: Path) -> Iterator[Any]:
        """The component under test, closed after the test."""
        instance = self.make(tmp_path)
        try:
            yield instance
        finally:
            instance.close()

    def test_is_a_component_of_its_kind(self) -> None:
        assert issubclass(self.component, BASES[self.kind]), (
            f"{self.component.__qualname__} must subclass visioncode.{BASES[self.kind].__name__}")
        assert self.component.kind == self.kind

    def test_options_reject_unknown_fields(self) -> None:
        with pytest.raises(pydantic.ValidationError, match=r"xtra|not permitted"):
            self.component.Options.model_validate(
                {**self.options, "no_such_option_for_contract": 1})

    def test_every_option_is_documented(self) -> None:
        from ...docgen import option_docs

        docs = option_docs(self.component.Options)
        missing = [n for n in self.component.Options.model_fields if not docs.get(n)]
        assert missing == [], (
            f"options without a description (Field(description=...) or a `#:` comment): "
            f"{missing}")

    def test_registers_with_the_plugin_manager(self, subject: Component) -> None:
        pm = VisioncodePluginManager()
        pm.register_component(subject, self.kind)  # raises ContractError on a bad signature
        assert pm.has_plugin(self.kind)
