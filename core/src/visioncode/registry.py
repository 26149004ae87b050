"""Discovery and loading of components, by stevedore, one entry-point namespace per kind.

Listing reads entry-point metadata only: nothing is imported, so `visioncode plugins`
stays fast with Manim, bpy or torch installed. Loading imports only the names a pipeline
uses; a plugin that fails to import raises PluginLoadError (naming the component, its
distribution and the cause) for the runs that ask for it and nobody else.
Set VISIONCODE_STRICT_PLUGINS=1 (or pass --strict-plugins) to make any load failure fatal.
"""

from __future__ import annotations

import difflib
import os
import sys
import traceback
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import PluginLoadError, UnknownComponentError

if TYPE_CHECKING:
    from .components import Component

#: The component kinds, in display order (the same tuple as `components.KINDS`, kept
#: here so that listing components imports neither pydantic nor structlog).
KINDS = ("model", "executor", "renderer", "visual_prompter", "metric")

NAMESPACES: dict[str, str] = {
    "model": "visioncode.models",
    "executor": "visioncode.executors",
    "renderer": "visioncode.renderers",
    "visual_prompter": "visioncode.visual_prompters",
    "metric": "visioncode.metrics",
}
STRICT_ENV = "VISIONCODE_STRICT_PLUGINS"


@dataclass(frozen=True)
class EntryInfo:
    """One installed component, as its distribution's metadata declares it."""

    kind: str
    name: str
    target: str
    distribution: str
    version: str


def strict() -> bool:
    return os.environ.get(STRICT_ENV, "").lower() in {"1", "true", "yes"}


#: (sys.path at the time, its folders' modification times) -> every entry point: one
#: scan of the installed distributions serves every lookup until something is installed
#: or the path changes (a pipeline looks each of its components up; the scan reads the
#: metadata of every distribution, tenths of a second with torch and friends installed).
_scanned: tuple[tuple[tuple[str, int], ...], Any] | None = None


def _entry_points() -> Any:
    global _scanned
    key = tuple((p, _mtime(p)) for p in sys.path)
    if _scanned is None or _scanned[0] != key:
        _scanned = (key, _visioncode_entry_points())
        # stevedore keeps every namespace it listed for the life of the process: a
        # plugin installed or put on the path since then would be found here and then
        # fail to load there.
        extension = sys.modules.get("stevedore.extension")
        if extension is not None:
            extension.ExtensionManager.ENTRY_POINT_CACHE.clear()
    return _scanned[1]


class _Entries:
    """The entry points of visioncode's namespaces, with `select(group=...)` as
    `importlib.metadata.EntryPoints` has."""

    def __init__(self, eps: list[metadata.EntryPoint]) -> None:
        self.eps = eps

    def select(self, *, group: str) -> list[metadata.EntryPoint]:
        return [ep for ep in self.eps if ep.group == group]


def _visioncode_entry_points() -> _Entries:
    """Entry points of the distributions whose `entry_points.txt` names a visioncode
    namespace. The same answer as `importlib.metadata.entry_points()` for those groups
    (the first distribution of a name on sys.path wins), but only the few matching
    distributions have their metadata read: `visioncode plugins` stays well under
    0.3 s with hundreds of distributions installed."""
    found: list[metadata.EntryPoint] = []
    seen: set[str] = set()
    for entry in sys.path:
        folder = Path(entry or ".")
        try:
            infos = sorted(p for p in folder.iterdir()
                           if p.suffix in (".dist-info", ".egg-info"))
        except OSError:
            continue
        for info in infos:
            name = _normalize(info.name[:-len(info.suffix)].split("-")[0])
            if name in seen:
                continue
            seen.add(name)
            try:
                text = (info / "entry_points.txt").read_text(encoding="utf-8")
            except OSError:
                continue
            if "[visioncode." not in text:
                continue
            found += metadata.PathDistribution(info).entry_points
    return _Entries(found)


def _normalize(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _mtime(path: str) -> int:
    try:
        return os.stat(path or ".").st_mtime_ns
    except OSError:
        return -1


def list_components(kind: str | None = None) -> list[EntryInfo]:
    """Every installed component (of one kind), from metadata alone, sorted by name."""
    kinds = [kind] if kind else list(KINDS)
    out: list[EntryInfo] = []
    every = _entry_points()
    for k in kinds:
        seen: set[tuple[str, str]] = set()
        for ep in every.select(group=NAMESPACES[k]):
            dist = getattr(ep, "dist", None)
            key = (ep.name, ep.value)
            if key in seen:  # the same distribution visible twice on sys.path
                continue
            seen.add(key)
            out.append(
                EntryInfo(
                    kind=k,
                    name=ep.name,
                    target=ep.value,
                    distribution=dist.name if dist else "?",
                    version=dist.version if dist else "?",
                )
            )
    return sorted(out, key=lambda e: (KINDS.index(e.kind), e.name))


def find(kind: str, name: str) -> EntryInfo:
    """The entry of `name`, or UnknownComponentError listing what is available."""
    entries = [e for e in list_components(kind) if e.name == name]
    if not entries:
        available = sorted({e.name for e in list_components(kind)})
        close = difflib.get_close_matches(name, available, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownComponentError(
            f"unknown {kind} {name!r}.{hint} Available: {', '.join(available) or 'none'}"
            f" (install a plugin that provides it; `visioncode plugins` lists them)"
        )
    if len({(e.distribution, e.target) for e in entries}) > 1:
        owners = ", ".join(f"{e.distribution} ({e.target})" for e in entries)
        raise PluginLoadError(kind, name, entries[0].distribution,
                              f"the name is provided by several distributions: {owners}")
    return entries[0]


_loaded: dict[tuple[str, str], type[Component]] = {}


def load(kind: str, name: str) -> type[Component]:
    """Import and return the component class registered as `name` for `kind`."""
    if (kind, name) in _loaded:
        return _loaded[(kind, name)]
    from stevedore import NamedExtensionManager  # only when a component is loaded

    from .components import BASES

    entry = find(kind, name)
    failures: list[BaseException] = []

    def on_failure(_manager: object, _ep: object, exc: BaseException) -> None:
        failures.append(exc)

    mgr: Any = NamedExtensionManager(
        NAMESPACES[kind], names=[name], invoke_on_load=False,
        on_load_failure_callback=on_failure,
    )
    if failures or name not in mgr.names():
        exc = failures[0] if failures else None
        cause = f"{type(exc).__name__}: {exc}" if exc else "entry point did not load"
        if exc is not None and (where := _where(exc)):
            cause += f" (at {where})"
        raise PluginLoadError(kind, name, f"{entry.distribution} {entry.version}", cause,
                              traceback="".join(traceback.format_exception(exc))
                              if exc is not None else "")
    cls = mgr[name].plugin
    base = BASES[kind]
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise PluginLoadError(
            kind, name, f"{entry.distribution} {entry.version}",
            f"{entry.target} is not a subclass of visioncode.{base.__name__}",
        )
    _loaded[(kind, name)] = cls
    return cls


def _where(exc: BaseException) -> str:
    """`file:line` of where an import failed: the line a SyntaxError points to, else the
    innermost frame of the traceback outside importlib and stevedore (the plugin's own
    code, where the fix is)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if "importlib" not in f.filename and "stevedore" not in f.filename]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""


def check_all() -> list[tuple[EntryInfo, PluginLoadError | None]]:
    """Load every installed component; return each with its load error (or None)."""
    results: list[tuple[EntryInfo, PluginLoadError | None]] = []
    for entry in list_components():
        try:
            load(entry.kind, entry.name)
            results.append((entry, None))
        except PluginLoadError as exc:
            results.append((entry, exc))
    return results


def ensure_strict() -> None:
    """In strict mode, fail on the first component that does not load."""
    if not strict():
        return
    for _entry, err in check_all():
        if err is not None:
            raise err


def distribution_versions() -> dict[str, str]:
    """Name -> version of visioncode and every distribution that provides components."""
    out = {"visioncode": _version("visioncode")}
    for e in list_components():
        out[e.distribution] = e.version
    return dict(sorted(out.items()))


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "0+unknown"
