"""`visioncode cache stats|renders|clear`: look into and empty the model response cache
and the render cache (`visioncode.render_cache`).

Kept apart from `cli.py` so the cache commands can change without touching the others;
`cli.py` registers the group with one line.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from .render_cache import RenderStore
from .response_cache import ResponseCache, default_cache_path

out = Console()

_PATH = click.option(
    "--path", "path", type=click.Path(dir_okay=False, path_type=Path),
    help="Cache database (default: $VISIONCODE_CACHE_DIR/responses.sqlite, else "
         "~/.cache/visioncode/responses.sqlite). Use it for a pipeline that sets "
         "model_calls.cache_path.")


def _open(path: Path | None) -> ResponseCache:
    return ResponseCache(path.expanduser() if path else default_cache_path())


def _when(ts: float | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


@click.group("cache")
def cache() -> None:
    """Inspect or empty the model response cache and the render cache."""


@cache.command("stats")
@_PATH
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def stats(path: Path | None, as_json: bool) -> None:
    """Entries, hits and size of the cache, per provider and model."""
    store = _open(path)
    try:
        s = store.stats()
    finally:
        store.close()
    if as_json:
        click.echo(s.model_dump_json(indent=2))
        return
    if not s.exists:
        click.echo(f"{s.path}: no cache yet (0 entries)")
        return
    click.echo(f"{s.path}: {s.entries} entries, {s.hits} hits, {_size(s.size_bytes)}; "
               f"oldest {_when(s.oldest)}, newest {_when(s.newest)}")
    if s.models:
        table = Table("provider", "model", "entries", "hits")
        for m in s.models:
            table.add_row(m.provider, m.model, str(m.entries), str(m.hits))
        out.print(table)


@cache.command("renders")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def renders(as_json: bool) -> None:
    """Entries and size of the render cache ($VISIONCODE_CACHE_DIR/renders)."""
    s = RenderStore().stats()
    if as_json:
        click.echo(s.model_dump_json(indent=2))
    elif not s.exists:
        click.echo(f"{s.path}: no render cache yet (0 entries)")
    else:
        click.echo(f"{s.path}: {s.entries} renders, {_size(s.size_bytes)}")


@cache.command("clear")
@_PATH
@click.option("--model", help="Only entries of this model id.")
@click.option("--older-than", "older_than", type=click.FloatRange(min=0), metavar="DAYS",
              help="Only entries stored (renders: last used) more than DAYS days ago.")
@click.option("--renders", "renders_only", is_flag=True,
              help="Empty the render cache instead of the response cache.")
def clear(path: Path | None, model: str | None, older_than: float | None,
          renders_only: bool) -> None:
    """Delete cached answers (all of them unless filtered), or with --renders cached
    renders."""
    older_s = None if older_than is None else older_than * 86400
    if renders_only:
        if model is not None or path is not None:
            raise click.UsageError("--renders takes no --model or --path")
        store_r = RenderStore()
        n = store_r.clear(older_than_s=older_s)
        click.echo(f"{store_r.root}: removed {n} renders")
        return
    store = _open(path)
    try:
        removed = store.clear(model=model, older_than_s=older_s)
    finally:
        store.close()
    click.echo(f"{store.path}: removed {removed} entries")
