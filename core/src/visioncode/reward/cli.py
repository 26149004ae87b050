"""`visioncode serve CONFIG`: the command; the server is `visioncode.reward.server`,
imported only when the command runs (uvicorn is the `serve` extra)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("serve")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to bind.")
@click.option("--workers", type=click.IntRange(1, 512), default=None,
              help="Reward worker processes (default: reward.workers, else every core).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a config field, e.g. --set reward.timeout_s=5.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(config: Path, host: str, port: int, workers: int | None, sets: tuple[str, ...],
          log_level: str) -> None:
    """Serve the rewards of CONFIG's [reward] table over HTTP: GET /health, POST /score,
    and OpenRLHF's POST /get_reward (labels are sample ids). SIGTERM drains and stops."""
    try:
        from .server import serve as run_server
    except ImportError as exc:
        raise click.ClickException(
            f"visioncode serve needs the `serve` extra ({exc.name} is missing): "
            "pip install 'visioncode[serve]'") from None
    from ..cli import _parse_sets

    run_server(config, host=host, port=port, workers=workers,
               overrides=_parse_sets(sets), log_level=log_level)
