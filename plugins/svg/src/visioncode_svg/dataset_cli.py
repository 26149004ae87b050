"""`visioncode-svg-dataset`: build an img2svg dataset from SVG icons.

    visioncode-svg-dataset from-folder ICONS_DIR OUT [--licence SPDX] [--source TEXT]
    visioncode-svg-dataset from-npm simple-icons OUT [--limit 200]
    visioncode-svg-dataset from-npm lucide-static OUT --glob 'icons/*.svg'

Both render every icon with visioncode's `svg` executor and a renderer (`--renderer`,
default cairosvg) and write `samples.jsonl`, `images/`, `svg/`, `dataset.json` and
`LICENSE-DATA` (see `icon_dataset`). `from-npm` fetches the package with `npm pack`
(needs npm and the registry, or a local `.tgz`), takes `icons/**/*.svg` when the package
has an `icons/` folder (else every SVG in it), and records the licence from its
`package.json` and licence files.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .icon_dataset import BuildReport, Provenance, build_dataset, find_svgs, licence_files
from .npm_package import NpmError, npm_pack


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, help="folder to write the dataset into")
    parser.add_argument("--renderer", default="cairosvg",
                        help="visioncode renderer for the input images (default cairosvg)")
    parser.add_argument("--size", type=int, default=256, help="image side in pixels (256)")
    parser.add_argument("--background", default="#ffffff",
                        help="background colour of the images (#ffffff)")
    parser.add_argument("--limit", type=int, help="only the first N icons (sorted by path)")
    parser.add_argument("--glob", help="which files to take, relative to the icons' folder")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="visioncode-svg-dataset",
                                description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = p.add_subparsers(dest="command", required=True)
    folder = sub.add_parser("from-folder", help="a folder of SVG files")
    folder.add_argument("folder", type=Path, help="folder of SVG icons (searched recursively)")
    _common(folder)
    folder.add_argument("--licence", "--license", dest="licence",
                        help="SPDX licence of the icons (recorded; default: unknown)")
    folder.add_argument("--licence-file", type=Path, action="append", default=[],
                        help="licence text to copy into LICENSE-DATA (default: LICENSE*, "
                             "COPYING*, NOTICE* found in the folder)")
    folder.add_argument("--source", help="where the icons come from (default: the folder)")
    npm = sub.add_parser("from-npm", help="an npm package of SVG icons")
    npm.add_argument("package", help="npm spec: simple-icons, lucide-static@1.0.0, ./pkg.tgz")
    _common(npm)
    npm.add_argument("--npm", default="npm", help="the npm executable (npm)")
    return p


def from_folder(args: argparse.Namespace) -> BuildReport:
    folder: Path = args.folder
    if not folder.is_dir():
        raise SystemExit(f"visioncode-svg-dataset: {folder} is not a folder")
    texts = [(p.name, p.read_text(encoding="utf-8", errors="replace"))
             for p in args.licence_file] or licence_files(folder)
    provenance = Provenance(source=args.source or str(folder.resolve()),
                            licence=args.licence or "unknown", licence_texts=texts)
    files = find_svgs(folder, args.glob or "**/*.svg")
    return _build(files, folder, args, provenance)


def from_npm(args: argparse.Namespace) -> BuildReport:
    with tempfile.TemporaryDirectory(prefix="visioncode-npm-") as tmp:
        try:
            package = npm_pack(args.package, Path(tmp), npm=args.npm)
        except NpmError as exc:
            raise SystemExit(f"visioncode-svg-dataset: {exc}") from None
        root = package.root
        pattern = args.glob or ("icons/**/*.svg" if (root / "icons").is_dir() else "**/*.svg")
        provenance = Provenance(
            source=f"npm package {package.name}@{package.version}",
            licence=package.licence, licence_texts=package.licence_texts,
            details={"npm": {"name": package.name, "version": package.version,
                             "tarball": package.tarball, "integrity": package.integrity,
                             "glob": pattern}},
        )
        return _build(find_svgs(root, pattern), root, args, provenance)


def _build(files: list[Path], root: Path, args: argparse.Namespace,
           provenance: Provenance) -> BuildReport:
    if not files:
        raise SystemExit(f"visioncode-svg-dataset: no SVG files under {root} "
                         f"matching {args.glob or 'the default pattern'}")

    def progress(i: int, n: int) -> None:
        if sys.stderr.isatty() and (i % 50 == 0 or i == n):
            print(f"\r{i}/{n}", end="" if i < n else "\n", file=sys.stderr, flush=True)

    report = build_dataset(files, root, args.out, provenance, renderer=args.renderer,
                           size=args.size, background=args.background, limit=args.limit,
                           progress=progress)
    print(f"wrote {report.samples} samples to {report.manifest} "
          f"({len(report.skipped)} skipped; licence {provenance.licence}, see "
          f"{args.out / 'LICENSE-DATA'})")
    if provenance.licence == "unknown":
        print("warning: the icons' licence is unknown; pass --licence and check the terms",
              file=sys.stderr)
    return report


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    report = from_folder(args) if args.command == "from-folder" else from_npm(args)
    return 0 if report.samples else 1


if __name__ == "__main__":
    sys.exit(main())
