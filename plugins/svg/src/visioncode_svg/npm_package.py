"""Fetch an npm package's files with `npm pack`, and read its declared licence.

`npm pack SPEC` downloads the package's tarball from the registry (or packs a local
folder or tarball) without installing anything and without running the package's
scripts (`--ignore-scripts`). The tarball is extracted with the standard library's
`data` filter, which refuses absolute paths, links leading outside the folder, and device
files, so a hostile package cannot write outside the temporary folder.

Icon packages such as `simple-icons` (CC0-1.0) and `lucide-static` (ISC) declare their
licence in `package.json` (`license`, or the older `licenses` list) and ship its text as
`LICENSE`/`LICENSE.md`; both are read here so they can travel with a dataset.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .icon_dataset import licence_files

NPM_TIMEOUT_S = 300


class NpmError(RuntimeError):
    """npm is missing, or `npm pack` failed (offline, unknown package...)."""


@dataclass
class NpmPackage:
    """An extracted package: its folder (the tarball's `package/`) and what it declares."""

    name: str
    version: str
    licence: str
    root: Path
    tarball: str
    integrity: str = ""
    licence_texts: list[tuple[str, str]] = field(default_factory=list)


def npm_pack(spec: str, dest: Path, npm: str = "npm") -> NpmPackage:
    """Run `npm pack SPEC` into `dest`, extract it to `dest/extracted`, and read it.

    `spec` is anything npm accepts: `simple-icons`, `lucide-static@0.400.0`, a local
    `.tgz` or a package folder."""
    exe = shutil.which(npm)
    if exe is None:
        raise NpmError(f"{npm!r} not found: install Node.js and npm (Debian: "
                       "`apt-get install npm`) to build datasets from npm packages")
    dest.mkdir(parents=True, exist_ok=True)
    local = Path(spec).expanduser()
    target = str(local.resolve()) if local.exists() else spec
    try:
        done = subprocess.run(
            [exe, "pack", target, "--pack-destination", str(dest), "--json",
             "--ignore-scripts", "--silent"],
            capture_output=True, text=True, timeout=NPM_TIMEOUT_S, cwd=dest, check=False,
        )
    except subprocess.TimeoutExpired:
        raise NpmError(f"npm pack {spec} did not finish within {NPM_TIMEOUT_S}s") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise NpmError(f"npm pack {spec} failed (exit {done.returncode}): " + " | ".join(tail))
    info = _pack_info(done.stdout, spec)
    tarball = dest / info["filename"]
    extracted = dest / "extracted"
    with tarfile.open(tarball) as tar:
        tar.extractall(extracted, filter="data")
    root = extracted / "package"
    if not root.is_dir():  # npm tarballs hold one top folder, usually `package/`
        tops = [p for p in extracted.iterdir() if p.is_dir()]
        root = tops[0] if len(tops) == 1 else extracted
    manifest = _read_json(root / "package.json")
    return NpmPackage(
        name=str(manifest.get("name") or info.get("name") or spec),
        version=str(manifest.get("version") or info.get("version") or "?"),
        licence=declared_licence(manifest),
        root=root,
        tarball=info["filename"],
        integrity=str(info.get("integrity", "")),
        licence_texts=licence_files(root),
    )


def declared_licence(manifest: dict[str, Any]) -> str:
    """The SPDX expression a package.json declares (`license`, an object with `type`,
    or the deprecated `licenses` list), or `unknown`."""
    value = manifest.get("license")
    if isinstance(value, dict):
        value = value.get("type")
    if isinstance(value, str) and value.strip():
        return value.strip()
    legacy = manifest.get("licenses")
    if isinstance(legacy, list):
        types = [str(x.get("type")) for x in legacy if isinstance(x, dict) and x.get("type")]
        if types:
            return " OR ".join(types)
    return "unknown"


def _pack_info(stdout: str, spec: str) -> dict[str, Any]:
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        raise NpmError(f"npm pack {spec}: unexpected output {stdout[:200]!r}") from None
    if not isinstance(data, list) or not data or "filename" not in data[0]:
        raise NpmError(f"npm pack {spec}: no tarball reported ({stdout[:200]!r})")
    # npm names scoped packages' tarballs `scope-name-1.0.0.tgz`; trust what it says.
    return dict(data[0])


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}
