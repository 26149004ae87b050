"""The manifest format's multi-image and video fields: order kept, paths resolved
against the manifest, a missing file named by field and index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from visioncode.errors import DatasetError
from visioncode.samples import Sample, load_manifest


def _png(path: Path, colour: str) -> Path:
    Image.new("RGB", (8, 8), colour).save(path)
    return path


def test_images_video_and_references_resolve_in_order(tmp_path: Path) -> None:
    for name, colour in (("a.png", "red"), ("b.png", "green"), ("c.png", "blue"),
                         ("r1.png", "white"), ("r2.png", "black")):
        _png(tmp_path / name, colour)
    (tmp_path / "clip.mp4").write_bytes(b"not checked here")
    (tmp_path / "ref.mp4").write_bytes(b"not checked here")
    row = {"id": "s1", "image": "a.png", "images": ["c.png", "b.png"], "video": "clip.mp4",
           "reference_images": ["r2.png", "r1.png"], "reference_video": "ref.mp4"}
    (tmp_path / "samples.jsonl").write_text(json.dumps(row) + "\n")
    [sample] = load_manifest(tmp_path / "samples.jsonl")
    assert [p.name for p in sample.input_images] == ["a.png", "c.png", "b.png"]
    assert [p.name for p in sample.reference_images] == ["r2.png", "r1.png"]
    assert sample.video == (tmp_path / "clip.mp4").resolve()
    assert sample.reference_video == (tmp_path / "ref.mp4").resolve()
    assert all(p.is_absolute() for _, p in sample.file_fields())


def test_missing_list_entry_is_named_by_field_and_index(tmp_path: Path) -> None:
    _png(tmp_path / "a.png", "red")
    row = {"id": "s1", "images": ["a.png", "gone.png"]}
    (tmp_path / "samples.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(DatasetError, match=r"samples.jsonl:1: field images.1: file not found"):
        list(load_manifest(tmp_path / "samples.jsonl"))


def test_nul_in_a_listed_path_is_refused() -> None:
    with pytest.raises(ValueError, match="path 1 must not contain NUL"):
        Sample(id="x", images=[Path("a.png"), Path("b\x00.png")])
