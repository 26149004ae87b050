"""Turn a folder of SVG icons into an img2svg dataset: each icon rendered to a PNG (the
model's input and the reference image) with the SVG kept beside it as ground truth.

The renders go through the project's own `svg` executor and a visioncode renderer
(`cairosvg` by default), so a dataset's images are made exactly the way a model's
programs will be rendered when it is scored: same sanitiser, same canvas fitting, same
background. An icon that the executor rejects or the renderer cannot draw is left out and
listed, with the reason, in `dataset.json`.

Output folder:

    samples.jsonl    one sample per icon: id, image, reference_program, meta
                     (source, licence, path, title when the SVG has a <title>)
    images/ID.png    the render (size x size, background colour)
    svg/ID.svg       the icon file as published (byte for byte)
    dataset.json     where the icons came from, their licence, the renderer and its
                     version, the size, and every icon left out and why
    LICENSE-DATA     the licence the icons are distributed under, with the licence
                     text(s) that came with them

Icons are third-party content: the licence travels with the dataset, and nothing built
here belongs in a repository unless that licence allows it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from visioncode import CodeExecutor, ComponentContext, Renderer, RenderSpec
from visioncode.registry import load

from .sanitize import SanitizeError, local_name, parse

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: Licence files looked for next to the icons (case-insensitive stems).
LICENCE_STEMS = ("license", "licence", "copying", "notice")


@dataclass
class Provenance:
    """Where a set of icons came from and under which licence."""

    source: str
    licence: str = "unknown"
    #: (file name, text) of each licence file that came with the icons.
    licence_texts: list[tuple[str, str]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class BuildReport:
    """What `build_dataset` wrote."""

    out: Path
    samples: int
    skipped: list[dict[str, str]]
    manifest: Path


def licence_files(folder: Path) -> list[tuple[str, str]]:
    """(name, text) of the licence files directly in `folder` (LICENSE, LICENCE.md,
    COPYING, NOTICE...)."""
    found = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.is_file() and path.name.split(".")[0].lower() in LICENCE_STEMS:
            found.append((path.name, path.read_text(encoding="utf-8", errors="replace")))
    return found


def sample_id(relative: Path, taken: set[str]) -> str:
    """A sample id from an icon's relative path: `brands/github.svg` -> `brands__github`,
    made of safe characters and unique within the dataset."""
    parts = [_ID_UNSAFE.sub("-", p).strip("-.") or "x" for p in relative.with_suffix("").parts]
    base = "__".join(parts)
    sid, n = base, 2
    while sid in taken:
        sid, n = f"{base}-{n}", n + 1
    taken.add(sid)
    return sid


def svg_title(text: str) -> str | None:
    """The text of the document's first `<title>`, if any (simple-icons names the brand
    there), read with the same safe parser the executor uses."""
    try:
        root, _, _ = parse(text)
    except (SanitizeError, ValueError):
        return None
    for el in root.iter(etree.Element):
        if local_name(el) == "title" and el.text and el.text.strip():
            return " ".join(el.text.split())
    return None


def find_svgs(folder: Path, pattern: str = "**/*.svg") -> list[Path]:
    """The SVG files under `folder` matching `pattern`, sorted, outside node_modules."""
    return sorted(p for p in folder.glob(pattern)
                  if p.is_file() and "node_modules" not in p.relative_to(folder).parts)


def build_dataset(
    files: list[Path], root: Path, out: Path, provenance: Provenance, *,
    renderer: str = "cairosvg", size: int = 256, background: str = "#ffffff",
    limit: int | None = None, progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Render `files` (paths under `root`) into an img2svg dataset in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "images").mkdir(exist_ok=True)
    (out / "svg").mkdir(exist_ok=True)
    executor_cls, renderer_cls = load("executor", "svg"), load("renderer", renderer)
    assert issubclass(executor_cls, CodeExecutor) and issubclass(renderer_cls, Renderer)
    executor = executor_cls(context=ComponentContext(name="svg"))
    painter = renderer_cls(context=ComponentContext(name=renderer))
    spec = RenderSpec(width=size, height=size, background=background)
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    taken: set[str] = set()
    version = ""
    chosen = files[:limit] if limit else files
    # Ids are paths below the folder all chosen icons share (`icons/github.svg` -> `github`).
    id_base = Path(os.path.commonpath([p.parent for p in chosen])) if chosen else root
    try:
        for i, path in enumerate(chosen, 1):
            relative = path.relative_to(root)
            if progress:
                progress(i, len(chosen))
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                skipped.append({"path": str(relative), "reason": f"unreadable: {exc}"})
                continue
            with tempfile.TemporaryDirectory(prefix="visioncode-icon-") as tmp:
                execution = executor.execute(text, Path(tmp))
                if not execution.ok:
                    why = execution.error.describe() if execution.error else execution.status
                    skipped.append({"path": str(relative),
                                    "reason": f"{execution.status}: {why}"})
                    continue
                rendering = painter.render(execution, spec, Path(tmp))
                if not rendering.ok or rendering.image is None:
                    skipped.append({"path": str(relative),
                                    "reason": f"render {rendering.status}: {rendering.error}"})
                    continue
                version = rendering.renderer_version or version
                sid = sample_id(path.relative_to(id_base), taken)
                (out / "images" / f"{sid}.png").write_bytes(rendering.image.read_bytes())
            (out / "svg" / f"{sid}.svg").write_bytes(path.read_bytes())
            meta: dict[str, Any] = {"source": provenance.source, "licence": provenance.licence,
                                    "path": str(relative)}
            title = svg_title(text)
            if title:
                meta["title"] = title
            if execution.notes:
                meta["sanitised"] = len(execution.notes)
            rows.append({"id": sid, "image": f"images/{sid}.png",
                         "reference_program": f"svg/{sid}.svg", "meta": meta})
    finally:
        executor.close()
        painter.close()
    manifest = out / "samples.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    _write_licence(out, provenance)
    info = {
        "source": provenance.source, "licence": provenance.licence,
        "licence_file": "LICENSE-DATA",
        "licence_texts": [name for name, _ in provenance.licence_texts],
        **provenance.details,
        "renderer": renderer, "renderer_version": version, "size": size,
        "background": background, "samples": len(rows), "considered": len(chosen),
        "skipped": skipped, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "built_with": "visioncode-svg-dataset",
    }
    (out / "dataset.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return BuildReport(out=out, samples=len(rows), skipped=skipped, manifest=manifest)


def _write_licence(out: Path, provenance: Provenance) -> None:
    lines = [f"The icons in this dataset (svg/ and their renders in images/) come from "
             f"{provenance.source}.", "", f"Licence: {provenance.licence}", ""]
    if provenance.licence == "unknown":
        lines += ["No licence was declared or found. Find out the terms before using or "
                  "sharing this data.", ""]
    for name, text in provenance.licence_texts:
        lines += [f"----- {name} (as distributed with the icons) -----", "", text.rstrip(), ""]
    (out / "LICENSE-DATA").write_text("\n".join(lines), encoding="utf-8")
