"""TeachQuiz: the protocol (three stages, one request per question and stage, keyframes
and narration in the video stage only), answer reading, and the gain against a
hand-computed value from a scripted student."""

from __future__ import annotations

from pathlib import Path

import pytest
from metrics_support import failed_round, square_image

from visioncode import (
    Completion,
    ComponentContext,
    DatasetError,
    ModelRequest,
    Rendering,
    RoundRecord,
    Sample,
)
from visioncode_metrics.teachquiz import Teachquiz, read_answer

QUIZ = [
    {"id": "def", "question": "What does a derivative measure?",
     "choices": ["Area", "Rate of change", "Volume", "Length"], "answer": "B"},
    {"question": "Slope of y = 3x?", "options": {"A": "1", "B": "0", "C": "3", "D": "x"},
     "answer": "C"},
    {"question": "d/dx of a constant?", "choices": ["0", "1", "x", "the constant"],
     "answer": "0"},
]
KEYS = {"def": "B", "q1": "C", "q2": "A"}


class Student:
    """Knows everything in the baseline; after unlearning answers q1 wrongly, declares the
    rest insufficient (with a justification starting with a stray 'A'); with the video
    gets `def` and q2 right only when keyframes are shown."""

    def __init__(self) -> None:
        self.requests: list[ModelRequest] = []

    def __call__(self, request: ModelRequest) -> Completion:
        self.requests.append(request)
        _, stage, qid = request.purpose.split(":")
        if stage == "baseline":
            return Completion(text=f"{KEYS[qid]}\nbecause I know it")
        if stage == "unlearned":
            if qid == "q1":
                return Completion(text="EVIDENCE_STATUS = SUFFICIENT\nANSWER = D\nGuess.")
            return Completion(text="EVIDENCE_STATUS = INSUFFICIENT\nANSWER = NULL\n"
                                   "A concept I cannot use.")
        if request.images and qid in ("def", "q2"):
            return Completion(text=f"The video shows it: ({KEYS[qid]}) is right.")
        return Completion(text="EVIDENCE_STATUS = INSUFFICIENT\nANSWER = NULL")


def teachquiz(student: Student, **options: object) -> Teachquiz:
    ctx = ComponentContext(name="teachquiz", model_factory=lambda spec: student)
    return Teachquiz(Teachquiz.Options(student={"use": "scripted"}, **options), ctx)


def video_round(frames: list[Path], subtitles: object = None) -> RoundRecord:
    return RoundRecord(round=0, rendering=Rendering(
        status="ok", renderer="t", frames=frames, images=frames[:1],
        metadata={} if subtitles is None else {"subtitles": subtitles}))


@pytest.fixture
def frames(tmp_path: Path) -> list[Path]:
    return [square_image(tmp_path / f"f{i}.png", offset=i) for i in range(10)]


def test_gain_is_video_accuracy_minus_unlearned_accuracy(frames: list[Path]) -> None:
    student = Student()
    score = teachquiz(student, frames=4).score(
        Sample(id="derivative", text="Derivatives", meta={"quiz": QUIZ}),
        video_round(frames, subtitles=[{"text": "The slope is the rate of change."}]))
    # baseline 3/3; unlearned 0/3 (q1 answered D, NULL twice); video 2/3 (def, q2)
    assert score.values == pytest.approx({
        "gain": 2 / 3, "unlearned_accuracy": 0.0, "video_accuracy": 2 / 3,
        "baseline_accuracy": 1.0, "unlearning_success": 1.0})
    assert score.higher_is_better == {"gain": True, "video_accuracy": True}
    assert [r.purpose for r in student.requests] == [
        f"teachquiz:{stage}:{qid}" for stage in ("baseline", "unlearned", "video")
        for qid in ("def", "q1", "q2")]
    assert all(r.sample_id == "derivative" for r in student.requests)
    video = [r for r in student.requests if ":video:" in r.purpose]
    before = [r for r in student.requests if ":video:" not in r.purpose]
    assert all(not r.images for r in before)
    assert [i.path for i in video[0].images] == [frames[0], frames[3], frames[6], frames[9]]
    assert "rate of change" in video[0].messages[0].text
    assert "Derivatives" in before[3].messages[0].text  # the concept in the unlearn prompt
    assert "C) 3" in before[1].messages[0].text  # Code2Video's options mapping
    q = score.details["questions"]
    assert q[0]["unlearned"]["how"].startswith("declared insufficient")
    assert q[0]["unlearned"]["correct"] is False  # the stray "A" is not read as an answer
    assert q[2]["video"] == {"reply": "The video shows it: (A) is right.", "read_as": "A",
                             "how": "first option letter (Code2Video's rule)",
                             "correct": True}
    assert score.details["concept"] == "Derivatives"


def test_stages_before_the_video_are_asked_once_per_sample(frames: list[Path]) -> None:
    student = Student()
    metric = teachquiz(student, baseline=False)
    sample = Sample(id="d", text="Derivatives", meta={"quiz": QUIZ})
    metric.score(sample, video_round(frames))
    later = video_round(frames)
    later.round = 1
    second = metric.score(sample, later)
    stages = [r.purpose.split(":")[1] for r in student.requests]
    assert stages == ["unlearned"] * 3 + ["video"] * 3 + ["video"] * 3
    assert "baseline_accuracy" not in second.values


def test_failure_policies(frames: list[Path]) -> None:
    sample = Sample(id="d", text="Derivatives", meta={"quiz": QUIZ})
    student = Student()
    worst = teachquiz(student).score(sample, failed_round())
    assert worst.values["video_accuracy"] == 0.0 and not worst.rendered
    assert worst.values["gain"] == -worst.values["unlearned_accuracy"]
    assert not any(":video:" in r.purpose for r in student.requests)
    blank_student = Student()
    blank = teachquiz(blank_student, failure_policy="blank").score(sample, failed_round())
    shown = [r for r in blank_student.requests if ":video:" in r.purpose]
    assert len(shown) == 3 and len(shown[0].images) == 1
    assert blank.details["shown"] == "one blank frame #ffffff"
    assert blank.values["video_accuracy"] == pytest.approx(2 / 3)  # the scripted student
    excluded_student = Student()
    excluded = teachquiz(excluded_student, failure_policy="exclude").score(
        sample, failed_round())
    assert set(excluded.values.values()) == {None} and excluded_student.requests == []


def test_read_answer() -> None:
    assert read_answer("EVIDENCE_STATUS = SUFFICIENT\nANSWER = c\nbecause", 4) == (
        "C", "ANSWER line")
    assert read_answer("ANSWER: (B)", 4) == ("B", "ANSWER line")
    assert read_answer("ANSWER = NULL\nA video would help", 4)[0] is None
    assert read_answer("I think B, not A", 4) == ("B", "first option letter (Code2Video's rule)")
    assert read_answer("E is not an option", 4) == (None, "no option letter found")


def test_bad_quiz_and_missing_concept_name_the_sample(frames: list[Path]) -> None:
    metric = teachquiz(Student())
    bad = [{"question": "x?", "choices": ["a", "b"], "answer": "c"}]
    with pytest.raises(DatasetError, match=r"sample 's': meta.quiz\[0\]: answer 'c'"):
        metric.score(Sample(id="s", text="x", meta={"quiz": bad}), video_round(frames))
    with pytest.raises(DatasetError, match="no concept"):
        metric.score(Sample(id="s", meta={"quiz": QUIZ}), video_round(frames))
    none = metric.score(Sample(id="s", text="x"), video_round(frames))
    assert set(none.values.values()) == {None} and "meta.quiz" in none.details["reason"]
