"""The `frames` metric (a still metric frame by frame against a reference animation, mean
and worst frame, stated alignment) and the `motion` metric (a still picture scores 0),
on frames drawn here: a 10 px square moving across a 64 x 32 canvas."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest
from PIL import Image, ImageDraw

from visioncode import Execution, Rendering, RoundRecord, Sample
from visioncode.registry import load
from visioncode_metrics.frames import Frames
from visioncode_metrics.motion import Motion


def draw(folder: Path, xs: list[int], prefix: str = "f") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, x in enumerate(xs):
        im = Image.new("RGB", (64, 32), "white")
        ImageDraw.Draw(im).rectangle([x, 11, x + 9, 20], fill="#d01010")
        path = folder / f"{prefix}-{i:03d}.png"
        im.save(path)
        paths.append(path)
    return paths


def animation(frames: list[Path], fps: float | None = 4) -> RoundRecord:
    meta = {"fps": fps} if fps else {}
    return RoundRecord(round=0, execution=Execution(status="ok", program="<svg/>"),
                       rendering=Rendering(status="ok", renderer="t", images=[frames[-1]],
                                           frames=frames, metadata=meta))


def still(image: Path) -> RoundRecord:
    return RoundRecord(round=0, execution=Execution(status="ok", program="<svg/>"),
                       rendering=Rendering(status="ok", renderer="t", images=[image]))


MOVE = [0, 10, 20, 30, 40]


def test_identical_animation_scores_one_and_a_wrong_frame_is_the_worst(tmp_path: Path) -> None:
    reference = draw(tmp_path / "ref", MOVE)
    metric = Frames()
    same = metric.score(Sample(id="a", reference_images=reference),
                        animation(draw(tmp_path / "same", MOVE)))
    assert same.values["ssim_mean"] == pytest.approx(1.0)
    assert same.values["ssim_worst"] == pytest.approx(1.0)
    assert same.values["frames_compared"] == 5
    off = metric.score(Sample(id="a", reference_images=reference),
                       animation(draw(tmp_path / "off", [0, 10, 50, 30, 40])))
    assert off.details["worst_frame"]["index"] == 2
    assert off.details["worst_frame"]["time_s"] == 0.5
    assert off.values["ssim_worst"] < off.values["ssim_mean"] < 1.0
    assert off.details["per_frame"][0] == pytest.approx(1.0)


def test_other_fps_is_sampled_and_held_and_lengths_are_not_cut(tmp_path: Path) -> None:
    # The reference at 8 fps: frames 0, 2, 4, ... are at the render's 4 fps times.
    reference = draw(tmp_path / "ref", [0, 5, 10, 15, 20, 25, 30, 35, 40])
    metric = Frames(Frames.Options(compare="mse", reference_fps=8))
    score = metric.score(Sample(id="a", reference_images=reference),
                         animation(draw(tmp_path / "r", MOVE)))
    assert score.values["mse_mean"] == pytest.approx(0.0)
    assert score.details["alignment"]["render_fps"] == 4
    # A render that stops after 2 frames holds its last frame for the rest.
    short = metric.score(Sample(id="a", reference_images=reference),
                         animation(draw(tmp_path / "s", [0, 10])))
    assert short.values["frames_compared"] == 5
    assert short.details["per_frame"][:2] == [0.0, 0.0]
    assert min(short.details["per_frame"][2:]) > 0  # held at x=10 while the reference moves
    assert short.details["worst_frame"]["index"] == 2  # the first of the equally bad


def test_reference_video_and_still_render_policy(tmp_path: Path) -> None:
    frames = draw(tmp_path / "ref", MOVE)
    video = tmp_path / "ref.mp4"
    with av.open(str(video), "w") as out:
        stream = out.add_stream("libx264", rate=4)
        stream.width, stream.height, stream.pix_fmt = 64, 32, "yuv420p"
        stream.options = {"crf": "0"}
        for k, path in enumerate(frames):
            frame = av.VideoFrame.from_image(Image.open(path).convert("RGB"))
            frame.pts, frame.time_base = k, Fraction(1, 4)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    sample = Sample(id="v", reference_video=video)
    cls = load("metric", "frames")
    assert cls is Frames  # registered under its entry-point name
    score = cls(Frames.Options(compare="psnr")).score(sample,
                                                      animation(draw(tmp_path / "r", MOVE)))
    assert score.details["reference_kind"] == "video"
    assert score.values["frames_compared"] == 5 and score.values["psnr_worst"] > 30
    flat = Frames().score(sample, still(frames[0]))
    assert flat.values["ssim_mean"] == -1.0 and flat.rendered is False
    excluded = Frames(Frames.Options(failure_policy="exclude")).score(sample, still(frames[0]))
    assert excluded.values["ssim_mean"] is None
    nothing = Frames().score(Sample(id="n"), animation(frames))
    assert nothing.values["ssim_mean"] is None and "no reference" in nothing.details["reason"]


def test_motion_scores_a_still_picture_zero(tmp_path: Path) -> None:
    metric = Motion()
    moving = metric.score(Sample(id="m"), animation(draw(tmp_path / "m", MOVE)))
    assert moving.values["motion"] == 1.0 and moving.values["moving_fraction"] == 1.0
    frozen = metric.score(Sample(id="f"), animation(draw(tmp_path / "f", [20] * 5)))
    assert frozen.values == {"motion": 0.0, "moving_fraction": 0.0, "mean_change": 0.0}
    picture = metric.score(Sample(id="p"), still(draw(tmp_path / "p", [20])[0]))
    assert picture.values["motion"] == 0.0 and "still picture" in picture.details["reason"]
    half = metric.score(Sample(id="h", reference_images=draw(tmp_path / "ref", MOVE)),
                        animation(draw(tmp_path / "h", [0, 10, 20, 20, 20])))
    assert half.values["moving_fraction"] == 0.5
    assert half.values["moving_fraction_error"] == 0.5


def transparent(folder: Path, count: int, alpha: list[int]) -> list[Path]:
    """Frames with nothing drawn but a transparent or white canvas (alpha per frame)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"t-{i:03d}.png"
        Image.new("RGBA", (64, 32), (255, 255, 255, alpha[i])).save(path)
        paths.append(path)
    return paths


def test_frames_options_reach_the_comparison(tmp_path: Path) -> None:
    reference = draw(tmp_path / "ref", MOVE)
    sample = Sample(id="a", reference_images=reference)
    off = animation(draw(tmp_path / "off", [0, 10, 50, 30, 40]))
    wide = Frames(Frames.Options(compare="ssim")).score(sample, off)
    narrow = Frames(Frames.Options(compare="ssim", compare_options={"win_size": 3}))
    assert narrow.inner.options.win_size == 3
    assert narrow.score(sample, off).values["ssim_worst"] != wide.values["ssim_worst"]
    blank_ref = Sample(id="b", reference_images=transparent(tmp_path / "w", 2, [255, 255]))
    clear = animation(transparent(tmp_path / "c", 2, [0, 0]))
    on_white = Frames(Frames.Options(compare="mse")).score(blank_ref, clear)
    on_black = Frames(Frames.Options(compare="mse", background="#000000")).score(blank_ref,
                                                                                 clear)
    assert on_white.values["mse_mean"] == 0.0 and on_black.values["mse_mean"] > 0.5


def test_motion_options(tmp_path: Path) -> None:
    nudged = animation(draw(tmp_path / "n", [20, 21]))  # 1 px: 20 of 2,048 pixels change
    assert Motion().score(Sample(id="n"), nudged).values["motion"] == 1.0
    coarse = Motion(Motion.Options(min_changed=0.05))
    assert coarse.score(Sample(id="n"), nudged).values["motion"] == 0.0
    faint = tmp_path / "faint"
    faint.mkdir()
    paths = []
    for i, red in enumerate((200, 204)):  # a colour change of 4/255 over the whole canvas
        path = faint / f"{i}.png"
        Image.new("RGB", (64, 32), (red, 0, 0)).save(path)
        paths.append(path)
    assert Motion().score(Sample(id="f"), animation(paths)).values["motion"] == 0.0
    fine = Motion(Motion.Options(pixel_delta=1 / 255))
    assert fine.score(Sample(id="f"), animation(paths)).values["motion"] == 1.0
    fading = animation(transparent(tmp_path / "a", 2, [0, 255]))  # white appears on white
    assert Motion().score(Sample(id="a"), fading).values["motion"] == 0.0
    on_black = Motion(Motion.Options(background="#000000"))
    assert on_black.score(Sample(id="a"), fading).values["motion"] == 1.0
    with_ref = Sample(id="r", reference_images=draw(tmp_path / "ref", MOVE))
    assert "moving_fraction_error" in Motion().score(with_ref, nudged).values
    alone = Motion(Motion.Options(compare_reference=False)).score(with_ref, nudged)
    assert "moving_fraction_error" not in alone.values
