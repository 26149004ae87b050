"""A sample with several images and a video, through whole pipelines with every
provider: `openai` and `anthropic` against the local wire-protocol server (each image
decoded back to bytes server-side), `command` through a real child process, `replay`
and `vtracer` offline. The model must see the listed images in order, then the video's
frames in time order (each after its time label), and templates must see their count
and times; a whole video goes only to a provider that takes one. The response cache
keys on every image's bytes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from provider_server import API_KEY, MODEL, ProviderServer
from test_http_providers import calls, provider

from tests.conftest import pipeline_toml
from tests.datasets.media import BLUE, GREEN, RED, YELLOW, colour_of, near, png, video
from visioncode import Message, ModelRequest
from visioncode.config import load_config
from visioncode.records import SampleRecord
from visioncode.runner import Runner
from visioncode.store import RunStore

PROMPT = "Draw it. You get {images} images; the video's frames are at {frame_times}."
VIDEO = "\n[task.video]\nfps = 1.0\nmax_frames = 4\n"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"/>'
#: What the model must be shown, in order: image, images[0], images[1], then the frames
#: at 0, 1, 2 and 3 s of the video (red, green, blue, yellow).
SHOWN = [YELLOW, GREEN, BLUE, RED, GREEN, BLUE, YELLOW]
LABELS = [f"Frame {k + 1} of 4 at {k}.00 s:" for k in range(4)]

COMMAND = """#!{python}
import json, sys
request = json.load(sys.stdin)
with open("received.json", "w") as fh:
    json.dump(request, fh)
print({svg!r}, end="")
"""


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("media")
    png(root / "first.png", YELLOW)
    png(root / "views" / "side.png", GREEN)
    png(root / "views" / "top.png", BLUE)
    video(root / "demo.mp4", [RED, GREEN, BLUE, YELLOW])
    return root


def dataset(media: Path, dest: Path) -> Path:
    row = {"id": "multi", "image": str(media / "first.png"),
           "images": [str(media / "views" / "side.png"), str(media / "views" / "top.png")],
           "video": str(media / "demo.mp4"), "reference_image": str(media / "first.png")}
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "samples.jsonl").write_text(json.dumps(row) + "\n")
    return dest / "samples.jsonl"


def run_one(tmp_path: Path, media: Path, model: str, extra: str = VIDEO) -> SampleRecord:
    cfg = tmp_path / "pipeline.toml"
    text = pipeline_toml(dataset(media, tmp_path / "data"), model=model,
                         metrics=("render-success",))
    text = text.replace('prompt = "Turn the image into SVG."',
                        f'prompt = "{PROMPT}"' + extra)
    text += "\n[model_calls]\ncache = false\n"
    cfg.write_text(text)
    Runner(load_config(cfg), tmp_path / "run").run(console="quiet")
    (record,) = RunStore(tmp_path / "run").load()
    return record


def answered(record: SampleRecord) -> str:
    """The generator's answer of round 0 (what the model stage produced; whether the
    program then renders is the SVG plugin's business, tested there)."""
    assert record.rounds, record.reason
    completion = record.rounds[0].completion
    assert completion is not None, record.reason
    return completion.text


def http_model(protocol: str, server: ProviderServer) -> str:
    return f'use = "{protocol}"\n[model.options]\nmodel = "{MODEL}"\nbase_url = "{server.url}"'


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_http_providers_send_images_then_frames_in_order(protocol: str, media: Path,
                                                        tmp_path: Path) -> None:
    with ProviderServer() as server:
        record = run_one(tmp_path, media, http_model(protocol, server))
        (ex,) = server.exchanges
    assert answered(record) == ex.text
    assert len(ex.images) == len(SHOWN)
    for got, want in zip(ex.images, SHOWN, strict=True):
        assert near(colour_of(got), want), (colour_of(got), want)
    assert ex.images[0] == (media / "first.png").read_bytes()  # exact bytes, not re-encoded
    assert ex.images[2] == (media / "views" / "top.png").read_bytes()
    assert ex.texts[0] == ("Draw it. You get 7 images; the video's frames are at "
                           "0.00 s, 1.00 s, 2.00 s, 3.00 s.")
    assert ex.texts[1:] == LABELS
    # The frames the model saw are kept with the sample's artifacts.
    frames = sorted((tmp_path / "run").rglob("inputs/frame-*.png"))
    assert [f.read_bytes() for f in frames] == ex.images[3:]


def test_command_model_gets_every_image_path_and_frame_time(media: Path,
                                                           tmp_path: Path) -> None:
    script = tmp_path / "model.py"
    script.write_text(COMMAND.format(python=sys.executable, svg=SVG))
    script.chmod(0o755)
    record = run_one(tmp_path, media, f'use = "command"\n[model.options]\n'
                     f'command = ["{script}"]')
    assert answered(record) == SVG
    request = json.loads((tmp_path / "received.json").read_text())
    (message,) = request["messages"]
    images = [p for p in message["content"] if p["type"] == "image"]
    texts = [p["text"] for p in message["content"] if p["type"] == "text"]
    assert [Path(p["path"]).name for p in images[:3]] == ["first.png", "side.png", "top.png"]
    assert [p.get("timestamp_s") for p in images] == [None, None, None, 0.0, 1.0, 2.0, 3.0]
    for part, want in zip(images, SHOWN, strict=True):
        assert near(colour_of(Path(part["path"])), want)
    assert texts[1:] == LABELS


def test_replay_and_vtracer_run_multi_image_video_samples(media: Path, tmp_path: Path) -> None:
    responses = tmp_path / "responses.jsonl"
    responses.write_text(json.dumps({"sample_id": "multi", "text": SVG}) + "\n")
    record = run_one(tmp_path / "replay", media,
                     f'use = "replay"\n[model.options]\npath = "{responses}"')
    assert answered(record) == SVG
    traced = run_one(tmp_path / "vtracer", media, 'use = "vtracer"')
    # vtracer traces the first image: a yellow canvas.
    assert "#F0DC1E" in answered(traced).upper()


def test_a_whole_video_goes_to_a_server_that_takes_one(media: Path, tmp_path: Path) -> None:
    whole = '\n[task.video]\nmode = "whole"\nfps = 2.0\n'
    with ProviderServer(video=True) as server:
        record = run_one(tmp_path / "openai", media, http_model("openai", server), whole)
        (ex,) = server.exchanges
    assert answered(record) == ex.text
    assert ex.videos == [(media / "demo.mp4").read_bytes()]
    assert len(ex.images) == 3
    assert ex.texts[0].startswith("Draw it. You get 3 images")

    with ProviderServer() as server:
        refused = run_one(tmp_path / "anthropic", media, http_model("anthropic", server),
                          whole)
        assert server.requests == 0
    assert refused.status == "error"
    assert refused.reason is not None and "takes no video" in refused.reason
    assert 'task.video.mode = "frames"' in refused.reason


def test_an_unreadable_video_fails_its_sample_with_the_reason(media: Path,
                                                             tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "demo.mp4").write_bytes(b"\x00\x01 not a video " * 10)
    for name in ("first.png",):
        (broken / name).write_bytes((media / name).read_bytes())
    (broken / "views").mkdir()
    for name in ("side.png", "top.png"):
        (broken / "views" / name).write_bytes((media / "views" / name).read_bytes())
    responses = tmp_path / "responses.jsonl"
    responses.write_text(json.dumps({"sample_id": "multi", "text": SVG}) + "\n")
    record = run_one(tmp_path, broken, f'use = "replay"\n[model.options]\npath = "{responses}"')
    assert record.status == "error"
    assert record.reason is not None and record.reason.startswith("inputs: VideoInputError")
    assert "demo.mp4: cannot be read as a video" in record.reason


def test_the_cache_keys_on_every_images_bytes(media: Path, tmp_path: Path) -> None:
    second = png(tmp_path / "second.png", GREEN)

    def ask(*images: Path) -> Any:
        return ModelRequest(messages=[Message.of("user", "Draw these.", *images)])

    with ProviderServer() as server:
        model = provider("openai", server.url, tmp_path)
        core = calls(tmp_path)
        core.call(model, ask(media / "first.png", second), model.generate)
        again = core.call(model, ask(media / "first.png", second), model.generate)
        assert again.cached and server.requests == 1
        png(second, BLUE)  # same path, other bytes: a new question
        fresh = core.call(model, ask(media / "first.png", second), model.generate)
        assert not fresh.cached and server.requests == 2
        swapped = core.call(model, ask(second, media / "first.png"), model.generate)
        assert not swapped.cached and server.requests == 3  # order matters too
        core.close()
