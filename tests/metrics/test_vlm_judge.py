"""vlm-judge: the request (rubric, render, reference), robust reading of the judge's JSON,
recorded parse failures, failure policies, and a whole pipeline where a replay model
answers both the judge and the TeachQuiz student."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from metrics_support import failed_round, rendered_round, square_image

from tests.conftest import EXAMPLE, pipeline_toml
from visioncode import Completion, ComponentContext, ModelRequest, Sample
from visioncode.config import load_config
from visioncode.runner import Runner
from visioncode.store import RunStore
from visioncode_metrics.vlm_judge import VlmJudge, parse_verdict

RUBRIC = [{"name": "fidelity", "description": "matches the reference", "min": 0, "max": 10},
          {"name": "clarity", "description": "clean shapes", "min": 1, "max": 5}]


class Judge:
    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.requests: list[ModelRequest] = []

    def __call__(self, request: ModelRequest) -> Completion:
        self.requests.append(request)
        return Completion(text=self.reply)


def judge(reply: str, **options: object) -> tuple[VlmJudge, Judge]:
    model = Judge(reply)
    ctx = ComponentContext(name="vlm-judge", model_factory=lambda spec: model)
    return VlmJudge(VlmJudge.Options(judge={"use": "scripted"}, criteria=RUBRIC, **options),
                    ctx), model


def test_scores_justifications_and_the_request(tmp_path: Path) -> None:
    ref, ren = square_image(tmp_path / "ref.png"), square_image(tmp_path / "ren.png", offset=5)
    reply = ('Here you go:\n```json\n{"scores": {"fidelity": {"score": 7, "justification": '
             '"square is shifted"}, "Clarity": {"score": "4/5", "reason": "crisp"},}, '
             '"justification": "close but shifted"}\n```')
    metric, model = judge(reply)
    score = metric.score(Sample(id="s", image=ref, text="Draw a red square."),
                         rendered_round(ren))
    assert score.values == pytest.approx({"fidelity": 7.0, "clarity": 4.0,
                                          "overall": (0.7 + 0.75) / 2})
    assert score.details["justifications"] == {"fidelity": "square is shifted",
                                               "clarity": "crisp"}
    assert score.details["justification"] == "close but shifted"
    assert "parse_error" not in score.details and score.rendered
    (request,) = model.requests
    assert request.purpose == "vlm-judge" and request.sample_id == "s"
    assert [i.path for i in request.images] == [ren, ref]
    text = request.messages[0].text
    assert "fidelity (0-10): matches the reference" in text and "Draw a red square." in text


def test_parse_failures_are_recorded_not_guessed(tmp_path: Path) -> None:
    ren = square_image(tmp_path / "ren.png")
    metric, _ = judge("I would give it a seven.")
    score = metric.score(Sample(id="s", image=ren), rendered_round(ren))
    assert set(score.values.values()) == {None}
    assert score.details["parse_error"] == "no JSON object in the reply"
    assert score.details["reply"] == "I would give it a seven."
    metric, _ = judge('{"fidelity": 12, "clarity": 3}')
    partial = metric.score(Sample(id="s", image=ren), rendered_round(ren))
    assert partial.values == {"fidelity": None, "clarity": 3.0, "overall": None}
    assert "off the scale 0-10" in partial.details["parse_error"]


def test_parse_verdict_accepts_flat_objects() -> None:
    criteria = VlmJudge.Options(judge={"use": "x"}, criteria=RUBRIC).criteria
    scores, read = parse_verdict('{"fidelity": 3, "clarity": 5.0, "reasoning": "ok"}',
                                 criteria)
    assert scores == {"fidelity": 3.0, "clarity": 5.0} and read["justification"] == "ok"


def test_failure_policies(tmp_path: Path) -> None:
    sample = Sample(id="s", image=square_image(tmp_path / "ref.png"))
    worst, model = judge("{}")
    score = worst.score(sample, failed_round())
    assert score.values == {"fidelity": 0.0, "clarity": 1.0, "overall": 0.0}
    assert not score.rendered and model.requests == []
    blank, model = judge('{"fidelity": 1, "clarity": 1}', failure_policy="blank")
    score = blank.score(sample, failed_round())
    assert score.details["judged"] == "blank canvas #ffffff" and not score.rendered
    assert len(model.requests[0].images) == 2  # the blank canvas and the reference
    excluded, model = judge("{}", failure_policy="exclude")
    assert set(excluded.score(sample, failed_round()).values.values()) == {None}


def test_rubric_names_are_checked() -> None:
    with pytest.raises(ValueError, match="unique"):
        VlmJudge.Options(judge={"use": "x"}, criteria=[RUBRIC[0], RUBRIC[0]])
    with pytest.raises(ValueError, match="must exceed"):
        VlmJudge.Options(judge={"use": "x"}, criteria=[{**RUBRIC[0], "max": 0}])


def test_replay_model_answers_judge_and_student_in_a_pipeline(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in (EXAMPLE / "dataset" / "samples.jsonl").open()][:2]
    replies = []
    for row in rows:
        row["image"] = str(EXAMPLE / "dataset" / row["image"])
        row.pop("reference_program", None)
        row["text"] = "Shapes"
        row["meta"]["quiz"] = [{"question": "Which shape?", "choices": ["icon", "tree"],
                                "answer": "A"}]
        replies += [
            {"sample_id": row["id"], "purpose": "vlm-judge",
             "text": '{"scores": {"correctness": {"score": 5, "justification": "same"}, '
                     '"aesthetics": {"score": 4, "justification": "tidy"}}}'},
            {"sample_id": row["id"], "purpose": "teachquiz:baseline:q0", "text": "A"},
            {"sample_id": row["id"], "purpose": "teachquiz:unlearned:q0",
             "text": "ANSWER = NULL"},
            {"sample_id": row["id"], "purpose": "teachquiz:video:q0", "text": "ANSWER = A"},
        ]
    (tmp_path / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "replies.jsonl").write_text("".join(json.dumps(r) + "\n" for r in replies))
    extra = """
[[metrics]]
use = "vlm-judge"
[metrics.options.judge]
use = "replay"
options = { path = "replies.jsonl" }

[[metrics]]
use = "teachquiz"
[metrics.options]
frames = 1
[metrics.options.student]
use = "replay"
options = { path = "replies.jsonl" }
"""
    config = tmp_path / "pipeline.toml"
    config.write_text(pipeline_toml(tmp_path / "samples.jsonl", metrics=("render-success",))
                      + extra)
    summary = Runner(load_config(config), tmp_path / "run").run(console="quiet")
    assert summary.ok == 2
    for record in RunStore(tmp_path / "run").load():
        judged, quiz = record.scores["vlm-judge"], record.scores["teachquiz"]
        assert judged.values == {"correctness": 5.0, "aesthetics": 4.0, "overall": 0.875}
        assert quiz.values["gain"] == 1.0 and quiz.values["unlearning_success"] == 1.0
        assert record.usage.calls == 5  # vtracer, the judge and three quiz stages
    by_key = {(m.metric, m.key): m for m in summary.metrics}
    assert by_key[("teachquiz", "gain")].mean == 1.0


def test_a_bad_judge_spec_stops_the_run_before_any_sample(tmp_path: Path) -> None:
    from tests.conftest import write_dataset
    from visioncode import ConfigError

    dataset = write_dataset(tmp_path / "data", n=1)
    config = tmp_path / "pipeline.toml"
    config.write_text(pipeline_toml(dataset, metrics=()) + """
[[metrics]]
use = "vlm-judge"
options = { judge = { use = "replay", options = { paht = "x.jsonl" } } }
""")
    with pytest.raises(ConfigError, match="paht"):
        Runner(load_config(config), tmp_path / "run").run(console="quiet")
    assert not RunStore(tmp_path / "run").load()
