"""A content-addressed cache of renders, as a hook wrapper on `visioncode_render`.

A render is stored under the SHA-256 of everything that decides its pixels: the program
and the bytes of every artifact the executor produced (never their paths), the renderer's
name, its distribution's version and the versions of that distribution's direct
dependencies (so upgrading cairosvg or Manim misses the old entries), the digest of the
renderer's code (its package's files and core's, so an edited editable install misses
too: a version number alone would serve the renders of the old code), the renderer's
options, and the `RenderSpec`. Re-running a finished pipeline with other metrics, or
into a new run directory, copies the stored files into the round's folder instead of
rendering again.

Entries live in `$VISIONCODE_CACHE_DIR/renders/<k[:2]>/<k>/` (see `default_cache_dir`):
the files of the rendering and `rendering.json` with paths relative to the entry. An entry
is written to a temporary folder and renamed into place, so worker processes (and runs)
sharing the cache never read half an entry. Timeouts are not stored (the next attempt may
finish); `ok` and `error` renders are. `run.render_cache = false` turns the cache off
(and `VISIONCODE_RENDER_CACHE=0` in the environment, for every pipeline of a process
tree: benchmarks that measure rendering set it);
`visioncode cache renders` and `visioncode cache clear --renders` look into and empty it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Generator, Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict

from .components import Component
from .execution import Execution
from .hookspecs import hookimpl
from .records import SampleRecord
from .rendering import Rendering, RenderSpec
from .response_cache import default_cache_dir, tree_digest

log = structlog.get_logger()

#: Bumped when the key's layout changes, so old entries are simply never found again.
KEY_VERSION = 2  # 2: the renderer's code digest
ENTRY = "rendering.json"
#: Key under which a rendering's metadata says whether it came from the cache.
META_KEY = "render_cache"
#: `0` turns the render cache off for every pipeline that inherits the environment.
RENDER_CACHE_ENV = "VISIONCODE_RENDER_CACHE"


def disabled_by_env() -> bool:
    return os.environ.get(RENDER_CACHE_ENV, "").strip().lower() in {"0", "false", "no", "off"}


def default_render_cache_dir() -> Path:
    return default_cache_dir() / "renders"


def code_digest(cls: type) -> str:
    """SHA-256 of the code a class runs: every file of its top-level package (for
    `visioncode_svg.renderers.CairoSvgRenderer`, all of `visioncode_svg/`), and of the
    core package (the sandbox and the render contract are core's). A version number does
    not change when an editable or local install is edited; these files do. Each file is
    hashed once per process while its modification time and size stay the same."""
    import importlib.util

    h = hashlib.sha256()
    for top in sorted({cls.__module__.split(".")[0], __name__.split(".")[0]}):
        spec = importlib.util.find_spec(top)
        roots = list(spec.submodule_search_locations or []) if spec else []
        if spec is not None and not roots and spec.origin:
            roots = [spec.origin]  # a single-module plugin
        for root in sorted(roots):
            h.update(f"{top}\0{tree_digest(Path(root))}\0".encode())
    return h.hexdigest()


_deps: dict[tuple[str, str], dict[str, str]] = {}


def _dependency_versions(dist: str) -> dict[str, str]:
    """Versions of a distribution's direct dependencies (once per process and version:
    each lookup parses a distribution's metadata)."""
    try:
        key = (dist, metadata.version(dist))
    except metadata.PackageNotFoundError:
        return {}
    if key not in _deps:
        deps: dict[str, str] = {}
        for req in metadata.requires(dist) or []:
            if "extra ==" in req:
                continue
            name = re.split(r"[\s<>=!~;\[(]", req, maxsplit=1)[0]
            try:
                deps[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                continue
        _deps[key] = deps
    return dict(_deps[key])


def renderer_identity(renderer: Component) -> dict[str, Any]:
    """What, besides the program and the spec, decides a renderer's pixels: its name and
    class, its options, its distribution's version, its direct dependencies' versions,
    and the digest of its code (`code_digest`)."""
    dist = renderer.context.distribution
    deps = _dependency_versions(dist) if dist else {}
    cls = type(renderer)
    return {"name": renderer.name, "class": f"{cls.__module__}.{cls.__qualname__}",
            "distribution": dist, "version": renderer.version, "dependencies": deps,
            "code": code_digest(cls), "options": renderer.options.model_dump(mode="json")}


def _digest_path(h: Any, path: Path) -> None:
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(str(child.relative_to(path)).encode() + b"\0")
            h.update(child.read_bytes())
    else:
        h.update(path.read_bytes())


def render_key(identity: dict[str, Any], execution: Execution, spec: RenderSpec) -> str:
    """The cache key of rendering `execution` under `spec` with the renderer `identity`
    describes. Raises OSError when an artifact cannot be read (such a render is not
    cached)."""
    h = hashlib.sha256()
    head = {"v": KEY_VERSION, "renderer": identity, "spec": spec.model_dump(mode="json"),
            "status": execution.status, "roles": sorted(execution.artifacts)}
    h.update(json.dumps(head, sort_keys=True, default=str).encode())
    h.update(b"\0program\0" + execution.program.encode())
    for role in sorted(execution.artifacts):
        h.update(f"\0artifact:{role}\0".encode())
        _digest_path(h, Path(execution.artifacts[role]))
    return h.hexdigest()


def render_counts(records: Iterable[SampleRecord]) -> tuple[int, int]:
    """(renders, served from the render cache) over every round of `records`: the one
    count that summaries, the progress display and the benchmarks report."""
    renders = hits = 0
    for record in records:
        for rnd in record.rounds:
            if rnd.rendering is not None:
                renders += 1
                meta = rnd.rendering.metadata.get(META_KEY)
                hits += bool(isinstance(meta, dict) and meta.get("hit"))
    return renders, hits


class RenderCacheStats(BaseModel):
    """What `visioncode cache renders` shows."""

    model_config = ConfigDict(extra="forbid")
    path: str
    exists: bool
    entries: int = 0
    size_bytes: int = 0


class RenderStore:
    """The folder of cached renders."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_render_cache_dir()

    def entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    def get(self, key: str, workdir: Path) -> Rendering | None:
        """The stored rendering with its files copied into `workdir`, or None."""
        entry = self.entry(key)
        meta = entry / ENTRY
        if not meta.is_file():
            return None
        data = json.loads(meta.read_text(encoding="utf-8"))
        files: list[str] = data.pop("_files")
        workdir.mkdir(parents=True, exist_ok=True)
        for rel in files:
            dest = workdir / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry / rel, dest)
        os.utime(meta)  # last use, for pruning by age
        return Rendering.model_validate(_anchor(data, str(workdir.resolve()) + os.sep))

    def put(self, key: str, rendering: Rendering, workdir: Path) -> bool:
        """Store `rendering` (its files must lie under `workdir`); False when it refers to
        a file elsewhere, which cannot be copied back faithfully."""
        base = str(workdir.resolve()) + os.sep
        data = rendering.model_dump(mode="json")
        files = sorted(_files_under(data, base))
        for rel in files:
            if not (workdir / rel).is_file():
                return False
        for p in _paths(rendering):
            if not str(Path(p).resolve()).startswith(base):
                return False
        entry = self.entry(key)
        if (entry / ENTRY).is_file():
            return True
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:8]}-", dir=entry.parent))
        try:
            for rel in files:
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(workdir / rel, tmp / rel)
            stored = _strip(data, base)
            stored["_files"] = files
            (tmp / ENTRY).write_text(json.dumps(stored), encoding="utf-8")
            try:
                os.rename(tmp, entry)
            except OSError:  # another process stored the same render first
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return True

    def stats(self) -> RenderCacheStats:
        if not self.root.is_dir():
            return RenderCacheStats(path=str(self.root), exists=False)
        entries = [m for m in self.root.glob(f"*/*/{ENTRY}")]
        size = sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())
        return RenderCacheStats(path=str(self.root), exists=True, entries=len(entries),
                                size_bytes=size)

    def clear(self, older_than_s: float | None = None) -> int:
        """Delete entries (all, or those unused for more than some seconds); returns how
        many."""
        if not self.root.is_dir():
            return 0
        removed = 0
        now = time.time()
        for meta in list(self.root.glob(f"*/*/{ENTRY}")):
            if older_than_s is not None and now - meta.stat().st_mtime <= older_than_s:
                continue
            shutil.rmtree(meta.parent, ignore_errors=True)
            removed += 1
        for tmp in self.root.glob("*/.*"):  # leftovers of interrupted writes
            shutil.rmtree(tmp, ignore_errors=True)
        return removed


class RenderCache:
    """The hook wrapper a pipeline registers when `run.render_cache` is on. It sees every
    `visioncode_render` call of the pipeline's renderer; `hits` and `misses` count them
    for this process."""

    def __init__(self, renderer: Component, store: RenderStore | None = None) -> None:
        self.store = store or RenderStore()
        self.identity = renderer_identity(renderer)
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self.enabled = not disabled_by_env()

    @hookimpl(wrapper=True)
    def visioncode_render(self, execution: Execution, spec: RenderSpec,
                          workdir: Path) -> Generator[None, Rendering, Rendering]:
        """Look the render up before the renderer runs and store it after. pluggy lets a
        wrapper change a result but not skip the call it wraps, so a hit is handed to
        `serve_hit` (a `tryfirst` implementation, which ends the firstresult call before
        the renderer is reached)."""
        if not self.enabled:
            return (yield)
        workdir = Path(workdir)
        key: str | None = None
        hit: Rendering | None = None
        started = time.perf_counter()
        if execution.ok:
            try:
                key = render_key(self.identity, execution, spec)
                hit = self.store.get(key, workdir)
            except (OSError, ValueError) as exc:  # unreadable artifact or broken entry
                log.debug("render_cache.skipped", reason=str(exc))
                hit = None
        self._local.hit = hit
        try:
            rendering = yield
        finally:
            self._local.hit = None
        if hit is not None and rendering is hit and key is not None:
            with self._lock:
                self.hits += 1
            log.debug("render_cache.hit", key=key[:16])
            return hit.model_copy(update={
                "metadata": {**hit.metadata, META_KEY: {"hit": True, "key": key[:16],
                                                        "rendered_s": hit.duration_s}},
                "duration_s": time.perf_counter() - started})
        with self._lock:
            self.misses += 1
        if key is not None and isinstance(rendering, Rendering):
            stored = False
            if rendering.status != "timeout":
                try:
                    stored = self.store.put(key, rendering, workdir)
                except OSError as exc:  # a full or read-only cache must not fail the run
                    log.warning("render_cache.write_failed", error=str(exc))
            rendering = rendering.model_copy(update={"metadata": {
                **rendering.metadata, META_KEY: {"hit": False, "key": key[:16],
                                                 "stored": stored}}})
        return rendering

    @hookimpl(tryfirst=True, specname="visioncode_render")
    def serve_hit(self) -> Rendering | None:
        """The render the wrapper found in the cache, or None to let the renderer run."""
        return getattr(self._local, "hit", None)


def _paths(rendering: Rendering) -> list[Path]:
    return [*rendering.images, *rendering.frames,
            *([rendering.video] if rendering.video else [])]


def _files_under(obj: Any, base: str) -> set[str]:
    """Relative names of the existing files that strings in `obj` point to under `base`."""
    out: set[str] = set()
    if isinstance(obj, str):
        if obj.startswith(base) and Path(obj).is_file():
            out.add(obj[len(base):])
    elif isinstance(obj, dict):
        for v in obj.values():
            out |= _files_under(v, base)
    elif isinstance(obj, list):
        for v in obj:
            out |= _files_under(v, base)
    return out


_ANCHOR = "@workdir/"


def _strip(obj: Any, base: str) -> Any:
    if isinstance(obj, str):
        return _ANCHOR + obj[len(base):] if obj.startswith(base) else obj
    if isinstance(obj, dict):
        return {k: _strip(v, base) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strip(v, base) for v in obj]
    return obj


def _anchor(obj: Any, base: str) -> Any:
    if isinstance(obj, str):
        return base + obj[len(_ANCHOR):] if obj.startswith(_ANCHOR) else obj
    if isinstance(obj, dict):
        return {k: _anchor(v, base) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_anchor(v, base) for v in obj]
    return obj
