"""The report shows what a sample gave the model besides its reference: every input
image, in order, and its video."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import pipeline_toml
from tests.datasets.media import BLUE, GREEN, RED, YELLOW, png, video
from visioncode.config import load_config
from visioncode.report.build import write_report
from visioncode.runner import Runner

SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"/>'


def test_report_shows_the_input_images_and_the_video(tmp_path: Path) -> None:
    data = tmp_path / "data"
    row = {"id": "multi", "image": str(png(data / "a.png", RED)),
           "images": [str(png(data / "b.png", GREEN))],
           "video": str(video(data / "clip.mp4", [BLUE, YELLOW])),
           "reference_image": str(png(data / "ref.png", YELLOW))}
    (data / "samples.jsonl").write_text(json.dumps(row) + "\n")
    (tmp_path / "replay.jsonl").write_text(json.dumps({"sample_id": "multi", "text": SVG})
                                           + "\n")
    cfg = tmp_path / "pipeline.toml"
    cfg.write_text(pipeline_toml(data / "samples.jsonl", metrics=("render-success",),
                                 model=f'use = "replay"\n[model.options]\n'
                                       f'path = "{tmp_path / "replay.jsonl"}"'))
    Runner(load_config(cfg), tmp_path / "run").run(console="quiet")
    index = write_report(tmp_path / "run")
    html = index.read_text()
    for caption in ("input image 1", "input image 2", "input video", "reference"):
        assert caption in html, caption
    inputs = index.parent / "assets" / "inputs"
    assert (inputs / "multi-1.png").read_bytes() == (data / "a.png").read_bytes()
    assert (inputs / "multi-2.png").read_bytes() == (data / "b.png").read_bytes()
    assert (inputs / "multi-video.mp4").read_bytes() == (data / "clip.mp4").read_bytes()
