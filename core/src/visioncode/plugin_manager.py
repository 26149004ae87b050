"""A pluggy PluginManager that understands components.

Component methods are plain methods (`Renderer.render`), mapped onto the hooks of
`hookspecs` by name; anything else registered (a tracing or caching plugin) uses the
`@hookimpl` marker as in any pluggy project."""

from __future__ import annotations

from typing import Any

import pluggy

from . import hookspecs
from .components import Component
from .errors import VisioncodeError


class ContractError(VisioncodeError):
    """A component does not fulfil its kind's hook contract (e.g. a wrong signature)."""


class VisioncodePluginManager(pluggy.PluginManager):
    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        if isinstance(plugin, Component):
            hook = plugin.hook_methods.get(name)
            if hook is None:
                return None
            return {
                "wrapper": False,
                "hookwrapper": False,
                "optionalhook": False,
                "tryfirst": False,
                "trylast": False,
                "specname": hook,
            }
        return super().parse_hookimpl_opts(plugin, name)

    def register_component(self, component: Component, slot: str) -> None:
        """Register a component under its pipeline slot, turning pluggy's validation error
        into one that names the component, its kind and the expected signature."""
        try:
            self.register(component, name=slot)
            self.check_pending()
        except pluggy.PluginValidationError as exc:
            self.unregister(name=slot) if self.has_plugin(slot) else None
            expected = "; ".join(
                f"{method}{_spec_signature(hook)}"
                for method, hook in component.hook_methods.items()
            )
            raise ContractError(
                f"{component.kind} {component.name!r} ({type(component).__module__}."
                f"{type(component).__qualname__}) does not match the {component.kind} "
                f"contract: {exc}. Expected: {expected}"
            ) from exc


def _spec_signature(hook: str) -> str:
    import inspect

    return str(inspect.signature(getattr(hookspecs, hook)))
