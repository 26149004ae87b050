"""The `visioncode` command line.

Exit codes (the same for every command; CI and schedulers rely on them):

- 0: done. For `run`: the run finished and at least one sample rendered and was scored.
- 1: `plugins --check` found a component that does not load (and strict mode's failures).
- 2: a usage or config error (bad flag, bad pipeline file, bad dataset, unusable `--out`):
  one `error:` message naming the file, the field and the fix, never a traceback.
- 3: `run` finished but scored nothing: the dataset is empty, or every sample failed or
  crashed (a missing binary, a broken replay file, unreadable references...).
- 130: interrupted; finished samples are saved, `--resume` continues.

Start-up matters (people type `visioncode --help`; schedulers start thousands of
`visioncode render`): this module imports only click and the standard library at import
time; every command imports what it needs when it runs, and the subcommands defined in
other modules are imported only when they are invoked (`_LazyGroup`).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from .config import LoadedConfig
    from .progress import Mode
    from .summary import RunSummary

#: Same as `registry.STRICT_ENV` (not imported from there, to keep start-up light).
STRICT_ENV = "VISIONCODE_STRICT_PLUGINS"

EXIT_OK = 0
EXIT_PLUGIN_FAILED = 1
EXIT_USAGE = 2
EXIT_NOTHING_SCORED = 3
EXIT_INTERRUPTED = 130


class _LazyConsole:
    """A rich Console made on first use: rich costs about a tenth of a second to import,
    more than `visioncode --help` may take in all."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def _get(self) -> Console:
        if self._console is None:
            from rich.console import Console

            if self._stderr:
                self._console = Console(stderr=True)
            else:  # piped output (CI logs, files) gets wide tables, not 80 columns
                self._console = Console(width=None if sys.stdout.isatty() else 160)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)


err: Any = _LazyConsole(stderr=True)
out: Any = _LazyConsole(stderr=False)


class _LazyGroup(click.Group):
    """A group whose subcommands from other modules are imported when invoked; `--help`
    lists them from the short help recorded here (a test checks it matches)."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str, str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: name -> (module, attribute, short help)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, attr, _ = self.lazy[cmd_name]
        command = getattr(importlib.import_module(module, __package__), attr)
        assert isinstance(command, click.Command)
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = [n for n in self.list_commands(ctx)
                 if n not in self.commands or not self.commands[n].hidden]
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)  # as click.Group does
        rows = []
        for name in names:
            if name in self.commands:
                rows.append((name, self.commands[name].get_short_help_str(limit)))
            else:
                from click.utils import make_default_short_help

                short: str = make_default_short_help(self.lazy[name][2], limit)  # type: ignore[operator]
                rows.append((name, short))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


#: Subcommands defined in other modules: name -> (module, attribute, short help).
LAZY_COMMANDS = {
    "cache": (".cache_cli", "cache",
              "Inspect or empty the model response cache and the render cache."),
    "compare": (".compare", "compare",
                "Means with bootstrap intervals of one run, or a paired comparison..."),
    "dataset": (".datasets.cli", "dataset",
                "Import published benchmarks (Design2Code, VCode, ChartMimic,..."),
    "new-plugin": (".scaffold", "new_plugin",
                   "Create a ready plugin package for a component NAME of one kind..."),
    "report": (".report.command", "report",
               "Write a static HTML report of a run: summary, distributions, sample..."),
    "serve": (".reward.cli", "serve",
              "Serve the rewards of CONFIG's [reward] table over HTTP: GET /health,..."),
    "schema": (".schema", "schema_cmd",
               "Print the JSON Schema of pipeline files, with every installed..."),
}


def _parse_sets(values: tuple[str, ...]) -> dict[str, Any]:
    import yaml

    overrides: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE, e.g. renderer.use=resvg",
                                     param_hint="--set")
        overrides[key.strip()] = yaml.safe_load(raw)  # numbers, booleans, lists as in YAML
    return overrides


def _load(config: Path, sets: tuple[str, ...]) -> LoadedConfig:
    from .config import load_config

    return load_config(config, _parse_sets(sets))


def _ensure_strict() -> None:
    from . import registry

    registry.ensure_strict()


@click.group(cls=_LazyGroup, lazy=LAZY_COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="visioncode")
@click.option("--strict-plugins", is_flag=True,
              help="Fail on any plugin that does not load (for plugin authors). "
                   f"Same as {STRICT_ENV}=1.")
def main(strict_plugins: bool) -> None:
    """visioncode: models write programs; visioncode runs, renders, critiques and scores them.

    Exit codes: 0 done (run: at least one sample scored); 1 a plugin failed to load
    (plugins --check); 2 usage, config or dataset error; 3 run scored nothing (empty
    dataset, or every sample failed); 130 interrupted."""
    if strict_plugins:
        os.environ[STRICT_ENV] = "1"


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """A plain aligned table (no rich: `visioncode plugins` must start fast)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--check", is_flag=True, help="Import every component and report failures "
              "(with --json: also each one's options schema). Exits 1 if any fails.")
@click.option("--verbose", "-v", is_flag=True,
              help="With --check: the full traceback of each import failure.")
def plugins(as_json: bool, check: bool, verbose: bool) -> None:
    """List installed components by kind, with their distribution and version."""
    from . import registry

    load = check or registry.strict()
    failures: dict[tuple[str, str], Any] = {}
    if load:
        failures = {(e.kind, e.name): x for e, x in registry.check_all() if x}
    entries = registry.list_components()
    if as_json:
        from . import schema

        # With --check: import status, summary and options schema of each component.
        click.echo(json.dumps([schema.component_info(
            e, load=load, error=str(failures[(e.kind, e.name)])
            if (e.kind, e.name) in failures else None) for e in entries], indent=2))
    else:
        rows = [(e.kind, e.name, e.distribution, e.version,
                 "failed" if (e.kind, e.name) in failures else ("loaded" if check else "-"))
                for e in entries]
        click.echo(_table(("kind", "name", "distribution", "version", "status"), rows))
    for (kind, name), exc in failures.items():
        click.echo(f"{kind} {name}: {exc}", err=True)
        if verbose and exc.traceback:
            click.echo(exc.traceback, err=True)
    if failures:
        sys.exit(EXIT_PLUGIN_FAILED)


@main.command("validate")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a config field, e.g. --set renderer.use=resvg.")
def validate_cmd(config: Path, sets: tuple[str, ...]) -> None:
    """Validate a pipeline config, its dataset and its components without running a sample.

    The checks `run` makes before it starts: the config's two passes, every dataset line
    (JSON, fields, files; images must open), and each component's method signatures
    against its kind's contract. Every problem is reported at once."""
    _ensure_strict()
    from .config import check_contracts
    from .errors import DatasetError, VisioncodeError
    from .runner import load_dataset

    loaded = _load(config, sets)
    problems = [f"{config}: {slot}: {msg}" for slot, msg in check_contracts(loaded)]
    try:
        samples = load_dataset(loaded.config.dataset.path, loaded.config.dataset.limit)
    except DatasetError as exc:
        problems.append(str(exc))
        samples = []
    if problems:
        raise VisioncodeError("\n".join(problems))
    for c in loaded.components:
        out.print(f"{c.slot:<20} {c.kind:<16} {c.spec.use}")
    out.print(f"[green]ok[/] {config} (config hash {loaded.hash}; {len(samples)} samples)")


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--workers", "-w", type=click.IntRange(1, 512), help="Parallel worker processes.")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Run directory.")
@click.option("--resume", is_flag=True, help="Continue the run in --out (or the latest one).")
@click.option("--limit", "-n", type=click.IntRange(1), help="Only the first N samples.")
@click.option("--retry-errors", is_flag=True,
              help="With --resume: run again the samples whose record is an `error`.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a field.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress and no table: errors and one result line only.")
@click.option("--log-json", is_flag=True, help="Log events as JSON lines on stderr.")
@click.option("--verbose", "-v", is_flag=True, help="Log every event on stderr.")
def run(config: Path, workers: int | None, out: Path | None, resume: bool, limit: int | None,
        retry_errors: bool, sets: tuple[str, ...], quiet: bool, log_json: bool,
        verbose: bool) -> None:
    """Run a pipeline over its dataset and write a run directory.

    Exits 0 when at least one sample was scored, 3 when none was (empty dataset, or
    every sample failed or crashed), 2 for usage, config and dataset errors."""
    if retry_errors and not resume:
        raise click.UsageError("--retry-errors only applies to a resumed run: add --resume "
                               "(and --out RUN_DIR, or the latest run of this config is used)")
    _ensure_strict()
    from .progress import RunProgress, StageTracker
    from .runner import Runner, default_run_dir, latest_run_dir

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
    mode: Mode
    if log_json:
        mode = "json"
    elif quiet:
        mode = "quiet"
    else:  # a live bar on a terminal, plain periodic lines in CI logs and files
        mode = "bar" if err.is_terminal else "lines"
    with RunProgress(mode, console=err._get(), tracker=tracker) as progress:
        summary = runner.run(resume=resume, progress=progress, console=console,
                             verbose=verbose, retry_errors=retry_errors)
    _print_summary(summary, runner.store.dir, quiet=quiet)
    if summary.samples == 0:
        click.echo(f"error: nothing to run: the dataset {loaded.config.dataset.path} has no "
                   "samples (or --limit/dataset.limit left none)", err=True)
        sys.exit(EXIT_NOTHING_SCORED)
    if summary.ok == 0:
        click.echo(f"error: no sample was scored: all {summary.samples} failed or crashed; "
                   f"see the reasons in {runner.store.dir / 'records.jsonl'}", err=True)
        sys.exit(EXIT_NOTHING_SCORED)


def _print_summary(summary: RunSummary, run_dir: Path, quiet: bool = False) -> None:
    headline = (f"{run_dir} — success rate {summary.success_rate:.1%} "
                f"({summary.ok}/{summary.samples})")
    cached = (f"; renders {summary.renders}, {summary.render_cache_hits} from the render "
              "cache" if summary.renders else "")
    if quiet:  # one line, so that even `-q` says where the results are
        click.echo(f"{headline}{cached}; records: {run_dir / 'records.jsonl'}")
        return
    from rich.table import Table

    table = Table("metric", "value", "mean", "n", "excluded", "policy", title=headline)
    for m in summary.metrics:
        mean = "-" if m.mean is None else f"{m.mean:.4g}"
        arrow = {True: " ↑", False: " ↓"}.get(m.higher_is_better, "")  # type: ignore[arg-type]
        table.add_row(m.metric, m.key + arrow, mean, str(m.n), str(m.excluded), m.policy or "-")
    out.print(table)
    bad = {k: v for k, v in summary.statuses.items() if k != "ok"}
    if bad:
        out.print("failures: " + ", ".join(f"{k} {v}" for k, v in bad.items()))
    if summary.renders:
        out.print(f"renders: {summary.renders} ({summary.render_cache_hits} served by the "
                  "render cache; --set run.render_cache=false to render everything)")
    out.print(f"records: {run_dir / 'records.jsonl'}")


@main.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--renderer", "-r", required=True, help="Renderer name (see `visioncode plugins`).")
@click.option("--executor", "-e", help="Executor (default: the renderer's own).")
@click.option("--width", type=int, default=None,
              help="Pixels; default: the renderer's own (e.g. Manim's 1920), else 512.")
@click.option("--height", type=int, default=None,
              help="Pixels; default: the renderer's own (e.g. Manim's 1080), else 512.")
@click.option("--fps", type=int, default=None, help="Frames per second of a video.")
@click.option("--fit", type=click.Choice(["contain", "stretch"]), default="contain")
@click.option("--background", default=None,
              help="CSS colour, or 'none' for transparent; default: the renderer's own "
              "(Manim's black), else #ffffff.")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE",
              help="A renderer option, e.g. --option scene=Intro, --option quality=low, "
              "--option limits.wall_time_s=600 (dotted keys reach nested options).")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="PNG to write (one FILE only); a video goes beside it (.mp4).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the PNGs (and videos) of every FILE, named after each.")
def render(files: tuple[Path, ...], renderer: str, executor: str | None, width: int | None,
           height: int | None, fps: int | None, fit: str, background: str | None,
           options: tuple[str, ...], output: Path | None, out_dir: Path | None) -> None:
    """Render program files to PNG through an executor and a renderer.

    The canvas is the renderer's own unless flags say otherwise (`render_defaults`: Manim
    renders 1920x1080 at 60 fps on black, as `manim render` does), so a render looks like
    the library's. When the rendering has a video it is written beside the image
    (`held.png` -> `held.mp4`). Many files render in one process, with one warm renderer
    (start-up costs more than a render): `render A B C --out-dir DIR`."""
    from pydantic import ValidationError

    from . import registry
    from .components import CodeExecutor, ComponentContext, Renderer
    from .errors import VisioncodeError
    from .rendering import RenderSpec

    if output is not None and len(files) > 1:
        raise click.UsageError("--output names one PNG; with several files use --out-dir")
    registry.ensure_strict()
    rcls = registry.load("renderer", renderer)
    assert issubclass(rcls, Renderer)
    ename = executor or rcls.default_executor
    if not ename:
        raise click.UsageError(f"renderer {renderer!r} names no default executor; pass --executor")
    ecls = registry.load("executor", ename)
    assert issubclass(ecls, CodeExecutor)
    own = dict(getattr(rcls, "render_defaults", {}) or {})
    chosen = {"width": width, "height": height, "fps": fps, "background": background}
    fields = {**{"width": 512, "height": 512, "background": "#ffffff"}, **own,
              **{k: v for k, v in chosen.items() if v is not None}}
    if isinstance(fields.get("background"), str) and fields["background"].lower() == "none":
        fields["background"] = None
    try:
        spec = RenderSpec(fit=fit, **fields)
        renderer_options = _renderer_options(rcls, options)
    except ValidationError as exc:
        raise click.BadParameter(str(exc), param_hint="--option/--width/--height") from None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    ex = ecls(context=ComponentContext(name=ename))
    rn = rcls(renderer_options, context=ComponentContext(name=renderer))
    failures: list[str] = []
    try:
        for file in files:
            target = output or (out_dir / f"{file.stem}.png" if out_dir else
                                file.with_suffix(".png"))
            try:
                _render_one(file, target, ex, rn, spec)
            except VisioncodeError as exc:
                if len(files) == 1:
                    raise
                failures.append(str(exc))
                err.print(f"[red]error[/]: {exc}")
    finally:
        ex.close()
        rn.close()
    if failures:
        raise VisioncodeError(f"{len(failures)} of {len(files)} files did not render")


def _renderer_options(rcls: Any, items: tuple[str, ...]) -> Any:
    """The renderer's Options with `--option KEY=VALUE` applied over its own defaults
    (dotted keys set nested fields, values read as YAML scalars)."""
    if not items:
        return None
    values: dict[str, Any] = rcls.Options().model_dump()
    for key, value in _parse_sets(items).items():
        node = values
        *parents, leaf = key.split(".")
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[leaf] = value
    return rcls.Options.model_validate(values)


def _render_one(file: Path, output: Path, ex: Any, rn: Any, spec: Any) -> None:
    import tempfile

    from .errors import VisioncodeError

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
        video = None
        if rendering.video is not None and Path(rendering.video).is_file():
            video = output.with_suffix(".mp4")
            video.write_bytes(Path(rendering.video).read_bytes())
    for note in execution.notes:
        err.print(f"[yellow]note[/]: {note}")
    version = rendering.renderer_version or rendering.renderer
    beside = f", video {video}" if video else ""
    out.print(f"{output} ({rendering.width}x{rendering.height}, {version}, "
              f"{rendering.duration_s * 1000:.1f} ms{beside})")

def run_main() -> None:
    """Entry point that turns visioncode's own errors into one clear message and exit 2."""
    from .errors import VisioncodeError

    try:
        main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted; finished samples are saved, continue with --resume", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except VisioncodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("interrupted; finished samples are saved, continue with --resume", err=True)
        sys.exit(EXIT_INTERRUPTED)
