"""`visioncode dataset`: import a published benchmark's files as a dataset folder."""

from __future__ import annotations

from pathlib import Path

import click

#: Kept here (not read from the importers) so `--help` imports nothing heavy.
FORMATS = ("design2code", "vcode", "chartmimic", "svg-bench", "hf-parquet")


def _parse_map(value: str | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in (value or "").split(","):
        if not item.strip():
            continue
        target, sep, column = item.partition("=")
        if not sep or not target.strip() or not column.strip():
            raise click.BadParameter(f"{item!r}: expected FIELD=COLUMN, e.g. "
                                     f"image=png_bytes", param_hint="--map")
        mapping[target.strip()] = column.strip()
    return mapping


@click.group("dataset")
def dataset() -> None:
    """Import published benchmarks (Design2Code, VCode, ChartMimic, SVG-Bench, parquet)."""


@dataset.command("import")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(FORMATS))
@click.argument("src", type=click.Path(path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path),
              help="The dataset folder to write (samples.jsonl, files, dataset.json).")
@click.option("--map", "field_map", metavar="FIELD=COLUMN,...",
              help="hf-parquet: columns of sample fields, e.g. "
                   "image=png_bytes,reference_program=svg,meta.kind=kind.")
@click.option("--subset", "subsets", multiple=True,
              help="vcode: mm-vet, cv-bench or mmmu (repeat; default: all found).")
@click.option("--size", type=int, default=224, show_default=True,
              help="svg-bench: side of the rendered input image (StarVector-8B: 384).")
@click.option("--split", default="test", show_default=True,
              help="svg-bench, hf-parquet: the split of a hub snapshot folder.")
@click.option("--program-suffix", help="hf-parquet: suffix of programs given as text.")
@click.option("--limit", type=int, help="Import only the first N samples.")
@click.option("--link", is_flag=True, help="Hard-link files instead of copying them.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
def import_cmd(fmt: str, src: Path, out: Path, field_map: str | None,
               subsets: tuple[str, ...], size: int, split: str, program_suffix: str | None,
               limit: int | None, link: bool, force: bool) -> None:
    """Write a dataset folder from a benchmark's files as published (FORMAT SRC)."""
    from pydantic import ValidationError

    from . import IMPORTERS, ImportOptions, import_dataset

    try:
        options = ImportOptions(subsets=list(subsets), size=size, split=split,
                                field_map=_parse_map(field_map),
                                program_suffix=program_suffix, limit=limit)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise click.BadParameter(f"{'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    card = import_dataset(fmt, src, out, options, force=force, link=link)
    example = IMPORTERS[fmt].example
    click.echo(f"{out / 'samples.jsonl'}: {card.samples} samples from {card.benchmark} "
               f"({card.licence})")
    click.echo(f"run it: visioncode run {example} --set dataset.path={out / 'samples.jsonl'}")
