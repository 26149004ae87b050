"""A sample's video as the model sees it: frames sampled with PyAV at the task's fps,
spread evenly when there are more than max_frames, in time order after the images; a
video that cannot be read fails its own sample with the reason."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from tests.datasets.media import BLUE, GREEN, RED, YELLOW, colour_of, near, png, video
from visioncode.config import VideoSpec
from visioncode.inputs import VideoInputError, frame_times, prepare_inputs, sample_frames
from visioncode.messages import ImagePart, TextPart, VideoPart
from visioncode.samples import Sample


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return video(tmp_path_factory.mktemp("clip") / "clip.mp4", [RED, GREEN, BLUE, YELLOW])


def test_frame_times() -> None:
    assert frame_times(3.0, 1.0, 8) == [0.0, 1.0, 2.0]
    assert frame_times(3.0, 2.0, 8) == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    assert frame_times(8.0, 1.0, 4) == [0.0, 2.0, 4.0, 6.0]  # spread, not cut short
    assert frame_times(None, 2.0, 3) == [0.0, 0.5, 1.0]
    assert frame_times(0.1, 1.0, 8) == [0.0]


def test_frames_at_one_per_second_show_each_second(clip: Path, tmp_path: Path) -> None:
    frames = sample_frames(clip, tmp_path, fps=1.0, max_frames=8)
    assert [f.timestamp_s for f in frames] == [0.0, 1.0, 2.0, 3.0]
    for frame, colour in zip(frames, [RED, GREEN, BLUE, YELLOW], strict=True):
        assert near(colour_of(frame.path), colour), (frame, colour_of(frame.path))


def test_more_frames_than_allowed_are_spread_over_the_whole_video(clip: Path,
                                                                   tmp_path: Path) -> None:
    frames = sample_frames(clip, tmp_path, fps=4.0, max_frames=2)
    assert [f.timestamp_s for f in frames] == [0.0, 2.0]
    assert near(colour_of(frames[1].path), BLUE)


def test_sampling_faster_than_the_video_gives_each_frame_once(clip: Path,
                                                              tmp_path: Path) -> None:
    frames = sample_frames(clip, tmp_path, fps=10.0, max_frames=40)
    times = [f.timestamp_s for f in frames]
    assert times == sorted(set(times)) and len(times) == 16  # 4 s at 4 frames a second


def test_parts_put_images_first_then_labelled_frames(clip: Path, tmp_path: Path) -> None:
    a, b = png(tmp_path / "a.png", RED), png(tmp_path / "b.png", GREEN)
    sample = Sample(id="s", image=a, images=[b], video=clip)
    inputs = prepare_inputs(sample, VideoSpec(fps=0.5, max_frames=8), tmp_path / "in")
    parts = inputs.parts()
    assert [p.path for p in parts if isinstance(p, ImagePart)][:2] == [a, b]
    assert [p.text for p in parts if isinstance(p, TextPart)] == [
        "Frame 1 of 2 at 0.00 s:", "Frame 2 of 2 at 2.00 s:"]
    frames = [p for p in parts if isinstance(p, ImagePart)][2:]
    assert [f.timestamp_s for f in frames] == [0.0, 2.0]
    assert inputs.template_fields() == {"images": "4", "frames": "2",
                                        "frame_times": "0.00 s, 2.00 s"}
    whole = prepare_inputs(sample, VideoSpec(mode="whole", fps=2), tmp_path / "w").parts()
    assert whole[-1] == VideoPart(path=clip, fps=2.0) and len(whole) == 3
    assert not (tmp_path / "w").exists()  # nothing decoded when the video goes whole


def test_a_file_that_is_no_video_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(b"\x00not a video" * 20)
    with pytest.raises(VideoInputError, match=r"clip.mp4: cannot be read as a video"):
        sample_frames(bad, tmp_path / "out", fps=1, max_frames=2)
    sound = tmp_path / "sound.wav"  # a real media file, but no pictures in it
    with av.open(str(sound), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=8000)
        chunk = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16",
                                           layout="mono")
        chunk.sample_rate = 8000
        for packet in [*stream.encode(chunk), *stream.encode()]:
            out.mux(packet)
    with pytest.raises(VideoInputError, match=r"sound.wav: the file has no video stream"):
        sample_frames(sound, tmp_path / "o2", fps=1, max_frames=2)
