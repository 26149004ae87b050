"""CodeVQA: questions asked about the render and about the original, answers read against
the key, failures scored by the policy. The policy model here is a small in-test model
reached the way a pipeline hands it over (ComponentContext.model); the full pipeline
with the replay model is tested with the VCode example config (tests/svg)."""

from __future__ import annotations

from pathlib import Path

import pytest
from metrics_support import failed_round, rendered_round, solid_image
from PIL import Image

from visioncode import (
    Completion,
    ComponentContext,
    DatasetError,
    ModelRequest,
    Sample,
    TextPart,
)
from visioncode_metrics.codevqa import Codevqa
from visioncode_metrics.vqa_answers import Question, is_correct, normalise, read_choice

CHOICES = ["blue", "red", "green", "yellow"]
QUESTIONS = [
    {"id": "roof", "question": "What colour is the roof?", "choices": CHOICES, "answer": "B"},
    {"question": "How many doors are there?", "answer": ["1", "one"]},
]


class PolicyModel:
    """Answers from a table keyed by (purpose, image file name); records every request."""

    def __init__(self, answers: dict[tuple[str, str], str]) -> None:
        self.answers = answers
        self.requests: list[ModelRequest] = []

    def __call__(self, request: ModelRequest) -> Completion:
        self.requests.append(request)
        image = request.images[0].path.name
        return Completion(text=self.answers.get((request.purpose, image), "no idea"))


def metric(model: PolicyModel, **options: object) -> Codevqa:
    context = ComponentContext(name="codevqa", slot="metrics[0]",
                               model_factory=lambda spec: model)
    return Codevqa(Codevqa.Options(model={"use": "test"}, **options), context)


@pytest.fixture
def images(tmp_path: Path) -> tuple[Path, Path]:
    original = solid_image(tmp_path / "original.png", (40, 30), (200, 0, 0))
    render = solid_image(tmp_path / "render.png", (40, 30), (0, 0, 200))
    return original, render


def sample(original: Path, questions: object = QUESTIONS) -> Sample:
    return Sample(id="house", image=original, meta={"questions": questions})


def test_render_and_original_are_both_asked(images: tuple[Path, Path]) -> None:
    original, render = images
    model = PolicyModel({("codevqa:roof", "render.png"): "A",          # blue: wrong
                         ("codevqa:q1", "render.png"): "One.",
                         ("codevqa-original:roof", "original.png"): "(B) red",
                         ("codevqa-original:q1", "original.png"): "1"})
    score = metric(model).score(sample(original), rendered_round(render))
    assert score.values == {"accuracy": 0.5, "upper_bound": 1.0, "gap": 0.5}
    assert score.higher_is_better == {"accuracy": True, "upper_bound": True, "gap": False}
    assert score.policy == "worst" and score.rendered
    roof = score.details["questions"][0]
    assert roof["answer"] == "B" and roof["render"]["read_as"] == "A"
    assert not roof["render"]["correct"] and roof["original"]["correct"]
    assert {r.purpose for r in model.requests} == {"codevqa:roof", "codevqa:q1",
                                                   "codevqa-original:roof",
                                                   "codevqa-original:q1"}
    assert all(r.sample_id == "house" for r in model.requests)


def test_prompt_puts_the_image_first_with_lettered_choices(images: tuple[Path, Path]) -> None:
    original, render = images
    model = PolicyModel({})
    metric(model, upper_bound=False).score(sample(original), rendered_round(render))
    first = model.requests[0].messages[0]
    assert first.role == "user" and first.content[0].type == "image"
    text = first.content[1]
    assert isinstance(text, TextPart)
    assert text.text == ("What colour is the roof?\n\n(A) blue\n(B) red\n(C) green\n(D) yellow"
                         "\n\nAnswer with the option's letter from the given choices directly.")
    open_text = model.requests[1].messages[0].content[1]
    assert isinstance(open_text, TextPart) and open_text.text.endswith(
        "Answer the question using a single word or phrase.")


def test_failed_render_is_wrong_without_asking(images: tuple[Path, Path]) -> None:
    original, _ = images
    model = PolicyModel({("codevqa-original:roof", "original.png"): "B",
                         ("codevqa-original:q1", "original.png"): "one"})
    score = metric(model).score(sample(original), failed_round())
    assert score.values == {"accuracy": 0.0, "upper_bound": 1.0, "gap": 1.0}
    assert not score.rendered
    assert all(r.purpose.startswith("codevqa-original") for r in model.requests)
    assert score.details["questions"][0]["render"]["reason"] == "no render: counted wrong"
    assert score.details["failure"]["status"] == "render_error"


def test_exclude_policy(images: tuple[Path, Path]) -> None:
    original, _ = images
    score = metric(PolicyModel({}), failure_policy="exclude").score(
        sample(original), failed_round())
    assert score.values["accuracy"] is None and score.values["gap"] is None
    assert score.values["upper_bound"] == 0.0  # "no idea" to everything


def test_blank_policy_asks_about_a_blank_canvas(images: tuple[Path, Path]) -> None:
    original, _ = images
    model = PolicyModel({})
    score = metric(model, failure_policy="blank", upper_bound=False,
                   background="#000000").score(sample(original), failed_round())
    assert score.values["accuracy"] == 0.0 and score.values["upper_bound"] is None
    blank = model.requests[0].images[0].path
    with Image.open(blank) as im:
        assert im.size == (40, 30) and im.getpixel((5, 5)) == (0, 0, 0)
    assert score.details["asked_about"] == "blank canvas #000000"


def test_upper_bound_is_asked_once_per_sample(images: tuple[Path, Path]) -> None:
    original, render = images
    model = PolicyModel({})
    m = metric(model)
    s = sample(original)
    for r in range(3):
        rnd = rendered_round(render)
        rnd.round = r
        m.score(s, rnd)
    originals = [q for q in model.requests if q.purpose.startswith("codevqa-original")]
    assert len(originals) == 2  # two questions, once
    assert sorted({q.round for q in model.requests if q.purpose.startswith("codevqa:")}) == \
        [0, 1, 2]


def test_sample_without_questions(images: tuple[Path, Path]) -> None:
    original, render = images
    score = metric(PolicyModel({})).score(Sample(id="x", image=original), rendered_round(render))
    assert score.values == {"accuracy": None, "upper_bound": None, "gap": None}
    assert "no meta.questions" in score.details["reason"]


@pytest.mark.parametrize(("questions", "message"), [
    ("What?", "must be a list"),
    ([{"question": "Which?", "choices": ["a", "b"], "answer": "C"}], "neither a letter"),
    ([{"question": "Which?", "answer": "x", "answers": "y"}], "answers"),
    ([{"question": "", "answer": "x"}], "question"),
])
def test_bad_questions_name_the_sample_and_field(images: tuple[Path, Path], questions: object,
                                                 message: str) -> None:
    original, render = images
    with pytest.raises(DatasetError, match=message) as exc:
        metric(PolicyModel({})).score(sample(original, questions), rendered_round(render))
    assert "sample 'house': meta.questions" in str(exc.value)


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="model"):
        Codevqa.Options()
    with pytest.raises(ValueError, match="colour"):
        Codevqa.Options(model={"use": "x"}, background="not-a-colour")
    with pytest.raises(ValueError, match="extra"):
        Codevqa.Options(model={"use": "x", "option": {}})


@pytest.mark.parametrize(("reply", "letter"), [
    ("B", "B"), ("b", "B"), ("(B)", "B"), ("B.", "B"), ("  (b).", "B"),
    ("The answer is B.", "B"), ("Answer: (C)", "C"), ("So (B) red it is", "B"),
    ("B) red", "B"), ("C: green", "C"), ("The roof is red.", "B"), ("Red", "B"),
    ("I'd say D", "D"), ("A red roof", "B"), ("red or green", None), ("", None),
    ("E", None), ("Both (A) and (B) could be", None),
])
def test_reading_multiple_choice_replies(reply: str, letter: str | None) -> None:
    assert read_choice(reply, CHOICES) == letter


@pytest.mark.parametrize(("reply", "correct"), [
    ("1", True), ("One.", True), ("Answer: one", True), ("the one", True), ("2", False),
    ("one door", False),
])
def test_reading_open_replies(reply: str, correct: bool) -> None:
    q = Question(question="How many doors?", answer=["1", "one"])
    assert is_correct(q, reply)[0] is correct


def test_normalise() -> None:
    assert normalise("The  Light-Blue one!") == "light blue 1"
    assert Question(question="q", choices=["a cloud", "a tree"], answer="a tree"
                    ).key_letter() == "B"
