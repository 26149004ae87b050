"""The `visioncode` command line."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import click
import yaml
from rich.console import Console
from rich.table import Table

from . import cache_cli, compare, registry, schema
from .config import LoadedConfig, load_config
from .errors import VisioncodeError
from .progress import RunProgress, StageTracker
from .report import command as report_command
from .reward.cli import serve as serve_command
from .runner import Runner, default_run_dir, latest_run_dir
from .scaffold import new_plugin
from .summary import RunSummary

err = Console(stderr=True)
# Piped output (CI logs, files) gets wide tables instead of 80 truncated columns.
out = Console(width=None if sys.stdout.isatty() else 160)


def _parse_sets(values: tuple[str, ...]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE, e.g. renderer.use=resvg",
                                     param_hint="--set")
        overrides[key.strip()] = yaml.safe_load(raw)  # numbers, booleans, lists as in YAML
    return overrides


def _load(config: Path, sets: tuple[str, ...]) -> LoadedConfig:
    return load_config(config, _parse_sets(sets))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="visioncode")
@click.option("--strict-plugins", is_flag=True,
              help="Fail on any plugin that does not load (for plugin authors). "
                   f"Same as {registry.STRICT_ENV}=1.")
def main(strict_plugins: bool) -> None:
    """visioncode: models write programs; visioncode runs, renders, critiques and scores them."""
    if strict_plugins:
        os.environ[registry.STRICT_ENV] = "1"


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--check", is_flag=True, help="Import every component and report failures "
              "(with --json: also each one's options schema).")
def plugins(as_json: bool, check: bool) -> None:
    """List installed components by kind, with their distribution and version."""
    failures: dict[tuple[str, str], str] = {}
    if check or registry.strict():
        failures = {(e.kind, e.name): str(x) for e, x in registry.check_all() if x}
    entries = registry.list_components()
    if as_json:
        # With --check: import status, summary and options schema of each component.
        click.echo(json.dumps([schema.component_info(e, load=check or registry.strict(),
                                                     error=failures.get((e.kind, e.name)))
                               for e in entries], indent=2))
    else:
        table = Table("kind", "name", "distribution", "version", "status")
        for e in entries:
            status = "[red]failed[/]" if (e.kind, e.name) in failures else (
                "loaded" if check else "-")
            table.add_row(e.kind, e.name, e.distribution, e.version, status)
        out.print(table)
        for (kind, name), msg in failures.items():
            err.print(f"[red]{kind} {name}[/]: {msg}")
    if failures and registry.strict():
        sys.exit(1)


@main.command("validate")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a config field, e.g. --set renderer.use=resvg.")
def validate_cmd(config: Path, sets: tuple[str, ...]) -> None:
    """Validate a pipeline config (both passes) and print the resolved components."""
    registry.ensure_strict()
    loaded = _load(config, sets)
    for c in loaded.components:
        out.print(f"{c.slot:<20} {c.kind:<16} {c.spec.use}")
    out.print(f"[green]ok[/] {config} (config hash {loaded.hash})")


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--workers", "-w", type=click.IntRange(1, 512), help="Parallel worker processes.")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Run directory.")
@click.option("--resume", is_flag=True, help="Continue the run in --out (or the latest one).")
@click.option("--limit", "-n", type=click.IntRange(1), help="Only the first N samples.")
@click.option("--retry-errors", is_flag=True,
              help="With --resume: run again the samples whose record is an `error`.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a field.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar; errors only.")
@click.option("--log-json", is_flag=True, help="Log events as JSON lines on stderr.")
@click.option("--verbose", "-v", is_flag=True, help="Log every event on stderr.")
def run(config: Path, workers: int | None, out: Path | None, resume: bool, limit: int | None,
        retry_errors: bool, sets: tuple[str, ...], quiet: bool, log_json: bool,
        verbose: bool) -> None:
    """Run a pipeline over its dataset and write a run directory."""
    registry.ensure_strict()
    loaded = _load(config, sets)
    run_dir = out
    if run_dir is None and resume:
        run_dir = latest_run_dir(loaded)
        if run_dir is None:
            raise click.UsageError(f"--resume: no earlier run of {config} under "
                                   f"{loaded.config.run.out}; pass --out RUN_DIR")
    run_dir = run_dir or default_run_dir(loaded)
    tracker = StageTracker()
    runner = Runner(loaded, run_dir, workers=workers, limit=limit, plugins=[tracker])
    console = "quiet" if quiet else ("json" if log_json else "human")
    mode = "json" if log_json else ("bar" if not quiet and err.is_terminal else "quiet")
    with RunProgress(mode, console=err, tracker=tracker) as progress:  # type: ignore[arg-type]
        summary = runner.run(resume=resume, progress=progress, console=console,
                             verbose=verbose, retry_errors=retry_errors)
    if not quiet:
        _print_summary(summary, runner.store.dir)


def _print_summary(summary: RunSummary, run_dir: Path) -> None:
    table = Table("metric", "value", "mean", "n", "excluded", "policy",
                  title=f"{run_dir} — success rate {summary.success_rate:.1%} "
                        f"({summary.ok}/{summary.samples})")
    for m in summary.metrics:
        mean = "-" if m.mean is None else f"{m.mean:.4g}"
        arrow = {True: " ↑", False: " ↓"}.get(m.higher_is_better, "")  # type: ignore[arg-type]
        table.add_row(m.metric, m.key + arrow, mean, str(m.n), str(m.excluded), m.policy or "-")
    out.print(table)
    bad = {k: v for k, v in summary.statuses.items() if k != "ok"}
    if bad:
        out.print("failures: " + ", ".join(f"{k} {v}" for k, v in bad.items()))
    out.print(f"records: {run_dir / 'records.jsonl'}")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--renderer", "-r", required=True, help="Renderer name (see `visioncode plugins`).")
@click.option("--executor", "-e", help="Executor (default: the renderer's own).")
@click.option("--width", type=int, default=512, show_default=True)
@click.option("--height", type=int, default=512, show_default=True)
@click.option("--fit", type=click.Choice(["contain", "stretch"]), default="contain")
@click.option("--background", default="#ffffff", show_default=True,
              help="CSS colour, or 'none' for transparent.")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="PNG to write.")
def render(file: Path, renderer: str, executor: str | None, width: int, height: int, fit: str,
           background: str, output: Path | None) -> None:
    """Render one program file to PNG through an executor and a renderer."""
    from .components import CodeExecutor, ComponentContext, Renderer
    from .rendering import RenderSpec

    registry.ensure_strict()
    rcls = registry.load("renderer", renderer)
    assert issubclass(rcls, Renderer)
    ename = executor or rcls.default_executor
    if not ename:
        raise click.UsageError(f"renderer {renderer!r} names no default executor; pass --executor")
    ecls = registry.load("executor", ename)
    assert issubclass(ecls, CodeExecutor)
    spec = RenderSpec(width=width, height=height, fit=fit,  # type: ignore[arg-type]
                      background=None if background.lower() == "none" else background)
    output = output or file.with_suffix(".png")
    ex = ecls(context=ComponentContext(name=ename))
    rn = rcls(context=ComponentContext(name=renderer))
    try:
        with tempfile.TemporaryDirectory(prefix="visioncode-render-") as tmp:
            workdir = Path(tmp)
            extraction = ex.extract(file.read_text(encoding="utf-8", errors="replace"))
            if not extraction.ok or extraction.program is None:
                raise VisioncodeError(f"{file}: {extraction.status}: {'; '.join(extraction.notes)}")
            execution = ex.execute(extraction.program, workdir)
            if not execution.ok:
                why = execution.error.describe() if execution.error else execution.status
                raise VisioncodeError(f"{file}: {execution.status}: {why}")
            rendering = rn.render(execution, spec, workdir)
            if not rendering.ok or rendering.image is None:
                raise VisioncodeError(f"{file}: render {rendering.status}: {rendering.error}")
            output.write_bytes(rendering.image.read_bytes())
    finally:
        ex.close()
        rn.close()
    for note in execution.notes:
        err.print(f"[yellow]note[/]: {note}")
    version = rendering.renderer_version or rendering.renderer
    out.print(f"{output} ({rendering.width}x{rendering.height}, {version}, "
              f"{rendering.duration_s * 1000:.1f} ms)")


main.add_command(cache_cli.cache)
main.add_command(compare.compare)
main.add_command(report_command.report)
main.add_command(schema.schema_cmd)
main.add_command(new_plugin)
main.add_command(serve_command)


def run_main() -> None:
    """Entry point that turns visioncode's own errors into one clear message and exit 2."""
    try:
        main(standalone_mode=False)
    except click.exceptions.Abort:
        err.print("interrupted; finished samples are saved, continue with --resume")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except VisioncodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted; finished samples are saved, continue with --resume")
        sys.exit(130)
