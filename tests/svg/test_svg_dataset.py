"""`visioncode-svg-dataset`: icons to an img2svg dataset, with their licence."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.npm_support import need_npm_registry
from visioncode.samples import load_manifest
from visioncode_svg.dataset_cli import main
from visioncode_svg.icon_dataset import sample_id
from visioncode_svg.npm_package import declared_licence

NS = 'xmlns="http://www.w3.org/2000/svg"'
GOOD = (f'<svg {NS} viewBox="0 0 24 24"><title>Big  dot</title>'
        '<circle cx="12" cy="12" r="9"/></svg>')
SQUARE = (f'<svg {NS} viewBox="0 0 24 24">'
          '<rect x="4" y="4" width="16" height="16" fill="red"/></svg>')
HOSTILE = (f'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           f'<svg {NS}><text>&x;</text></svg>')


def icon_folder(root: Path) -> Path:
    (root / "solid").mkdir(parents=True)
    (root / "solid" / "dot.svg").write_text(GOOD)
    (root / "square.svg").write_text(SQUARE)
    (root / "evil.svg").write_text(HOSTILE)
    (root / "broken.svg").write_text("<svg><g></svg>")
    (root / "LICENSE").write_text("Permission is hereby granted, for testing.")
    return root


def test_from_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = icon_folder(tmp_path / "icons")
    out = tmp_path / "dataset"
    assert main(["from-folder", str(folder), str(out), "--licence", "MIT", "--size", "64",
                 "--source", "hand-drawn test icons"]) == 0
    assert "wrote 2 samples" in capsys.readouterr().out
    samples = list(load_manifest(out / "samples.jsonl"))  # a valid manifest, files exist
    assert [s.id for s in samples] == ["solid__dot", "square"]
    dot = samples[0]
    assert dot.meta == {"source": "hand-drawn test icons", "licence": "MIT",
                        "path": "solid/dot.svg", "title": "Big dot"}
    assert dot.reference_program and dot.reference_program.read_text() == GOOD  # as published
    with Image.open(dot.image) as im:  # type: ignore[arg-type]
        assert im.size == (64, 64) and im.getpixel((32, 32))[:3] == (0, 0, 0)
        assert im.getpixel((1, 1))[:3] == (255, 255, 255)
    info = json.loads((out / "dataset.json").read_text())
    assert info["licence"] == "MIT" and info["samples"] == 2 and info["considered"] == 4
    assert info["renderer"] == "cairosvg" and info["renderer_version"].startswith("cairosvg")
    skipped = {s["path"]: s["reason"] for s in info["skipped"]}
    assert skipped.keys() == {"evil.svg", "broken.svg"}
    assert "entity" in skipped["evil.svg"] and "parse_error" in skipped["broken.svg"]
    licence = (out / "LICENSE-DATA").read_text()
    assert "Licence: MIT" in licence and "Permission is hereby granted" in licence


def test_from_folder_with_resvg_and_unknown_licence(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "icons"
    folder.mkdir()
    (folder / "square.svg").write_text(SQUARE)
    out = tmp_path / "dataset"
    assert main(["from-folder", str(folder), str(out), "--renderer", "resvg", "--size", "32"]) == 0
    assert "licence is unknown" in capsys.readouterr().err
    info = json.loads((out / "dataset.json").read_text())
    assert info["licence"] == "unknown" and info["renderer_version"].startswith("resvg")
    assert "No licence was declared or found" in (out / "LICENSE-DATA").read_text()


def test_sample_ids_are_safe_and_unique() -> None:
    taken: set[str] = set()
    assert sample_id(Path("brand icons/GitHub (old).svg"), taken) == "brand-icons__GitHub-old"
    assert sample_id(Path("brand icons/GitHub (old).svg"), taken) == "brand-icons__GitHub-old-2"
    assert sample_id(Path("../x.svg"), taken) == "x__x"


@pytest.mark.parametrize(("manifest", "licence"), [
    ({"license": "CC0-1.0"}, "CC0-1.0"), ({"license": {"type": "ISC"}}, "ISC"),
    ({"licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}]}, "MIT OR Apache-2.0"),
    ({}, "unknown"), ({"license": "  "}, "unknown"),
])
def test_declared_licence(manifest: dict, licence: str) -> None:
    assert declared_licence(manifest) == licence


def test_from_npm_with_a_local_package(tmp_path: Path) -> None:
    """The whole npm path offline: a package folder packed by npm, then `from-npm` on it."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed")
    pkg = tmp_path / "fake-icons"
    (pkg / "icons" / "brands").mkdir(parents=True)
    (pkg / "icons" / "brands" / "dot.svg").write_text(GOOD)
    (pkg / "icons" / "square.svg").write_text(SQUARE)
    (pkg / "logo.svg").write_text(SQUARE)  # outside icons/: not an icon of the set
    (pkg / "LICENSE").write_text("ISC License text for testing.")
    (pkg / "package.json").write_text(json.dumps({
        "name": "fake-icons", "version": "1.2.3", "license": "ISC",
        "scripts": {"prepack": "touch SHOULD-NOT-RUN"}}))
    subprocess.run([npm, "pack", "--ignore-scripts", "--pack-destination", str(tmp_path)],
                   cwd=pkg, check=True, capture_output=True, timeout=120)
    tarball = tmp_path / "fake-icons-1.2.3.tgz"
    out = tmp_path / "dataset"
    assert main(["from-npm", str(tarball), str(out), "--size", "48"]) == 0
    rows = [json.loads(line) for line in (out / "samples.jsonl").open()]
    assert [r["id"] for r in rows] == ["brands__dot", "square"]
    assert rows[0]["meta"]["source"] == "npm package fake-icons@1.2.3"
    assert rows[0]["meta"]["licence"] == "ISC" and rows[0]["meta"]["path"] == "icons/brands/dot.svg"
    info = json.loads((out / "dataset.json").read_text())
    assert info["npm"]["name"] == "fake-icons" and info["npm"]["glob"] == "icons/**/*.svg"
    assert info["licence_texts"] == ["LICENSE"]
    assert "ISC License text for testing." in (out / "LICENSE-DATA").read_text()
    # A package folder is packed by npm too, without running the package's scripts.
    assert main(["from-npm", str(pkg), str(tmp_path / "from-folder")]) == 0
    assert not (pkg / "SHOULD-NOT-RUN").exists()


def test_from_npm_reports_npm_failures(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"not found: install Node\.js"):
        main(["from-npm", "anything", str(tmp_path / "out"), "--npm", "no-such-npm-here"])
    if shutil.which("npm"):
        with pytest.raises(SystemExit, match=r"npm pack .* failed"):
            main(["from-npm", str(tmp_path / "missing.tgz") + "x", str(tmp_path / "o"),
                  "--npm", "npm"])


@pytest.mark.network
def test_from_npm_simple_icons(tmp_path: Path) -> None:
    """The real thing: `npm pack simple-icons` from the registry (CC0-1.0)."""
    need_npm_registry()
    out = tmp_path / "simple-icons"
    assert main(["from-npm", "simple-icons", str(out), "--limit", "3", "--size", "64"]) == 0
    info = json.loads((out / "dataset.json").read_text())
    assert info["licence"] == "CC0-1.0" and info["npm"]["name"] == "simple-icons"
    assert info["samples"] == 3 and "CC0" in (out / "LICENSE-DATA").read_text()
    rows = [json.loads(line) for line in (out / "samples.jsonl").open()]
    assert all(r["meta"]["title"] for r in rows)  # simple-icons name each brand in <title>
