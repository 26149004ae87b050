"""The replay model: lookup rule, missing modes, usage, and line-numbered file errors."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from visioncode import ComponentContext, Message, ModelError, ModelRequest
from visioncode_models.replay import ReplayModel, ReplayOptions
from visioncode_models.replay_file import ReplayFileError


def write_lines(path: Path, *lines: object) -> Path:
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
        + "\n",
        encoding="utf-8",
    )
    return path


def replay(path: Path, missing: str = "error", base_dir: Path | None = None) -> ReplayModel:
    context = ComponentContext(name="replay", base_dir=base_dir or path.parent)
    return ReplayModel(ReplayOptions(path=path, missing=missing), context)


def ask(model: ReplayModel, sample_id: str | None, round: int = 0,
        purpose: str = "generate") -> str:
    request = ModelRequest(messages=[Message.of("user", "draw")], sample_id=sample_id,
                           round=round, purpose=purpose)
    return model.generate(request).text


@pytest.fixture
def responses(tmp_path: Path) -> Path:
    return write_lines(
        tmp_path / "responses.jsonl",
        {"sample_id": "cat", "text": "cat any round"},
        {"sample_id": "cat", "round": 1, "text": "cat round 1"},
        {"sample_id": "cat", "purpose": "critique", "round": 0, "text": "cat critique 0"},
        "",  # blank lines are skipped
        {"sample_id": "dog", "round": 0, "text": "dog round 0"},
    )


def test_explicit_round_wins_over_round_agnostic(responses: Path) -> None:
    model = replay(responses)
    assert ask(model, "cat", round=1) == "cat round 1"


def test_round_agnostic_line_answers_every_other_round(responses: Path) -> None:
    model = replay(responses)
    assert ask(model, "cat", round=0) == "cat any round"
    assert ask(model, "cat", round=5) == "cat any round"


def test_explicit_round_answers_only_that_round(responses: Path) -> None:
    model = replay(responses)
    assert ask(model, "dog", round=0) == "dog round 0"
    with pytest.raises(ModelError, match="round 1"):
        ask(model, "dog", round=1)


def test_purpose_is_part_of_the_key(responses: Path) -> None:
    model = replay(responses)
    assert ask(model, "cat", purpose="critique") == "cat critique 0"
    with pytest.raises(ModelError, match="purpose 'critique'"):
        ask(model, "cat", round=1, purpose="critique")  # no agnostic critique line


def test_missing_error_names_file_sample_round_purpose_and_what_exists(
    responses: Path,
) -> None:
    with pytest.raises(ModelError) as info:
        ask(replay(responses), "cat", round=2, purpose="critique")
    message = str(info.value)
    assert str(responses) in message
    assert "'cat'" in message and "round 2" in message and "'critique'" in message
    assert "round 0 critique" in message and "any round generate" in message
    assert info.value.retryable is False


def test_missing_unknown_sample_and_request_without_sample_id(responses: Path) -> None:
    model = replay(responses)
    with pytest.raises(ModelError, match=r"'cow'.*nothing for this sample"):
        ask(model, "cow")
    with pytest.raises(ModelError, match="no sample_id"):
        ask(model, None)


def test_a_multi_round_file_as_the_pipeline_asks_for_it(tmp_path: Path) -> None:
    # The core asks: round 0 "generate", "critique" of each round, rounds >= 1 "revise".
    path = write_lines(
        tmp_path / "loop.jsonl",
        {"sample_id": "cat", "text": "<svg>first</svg>"},
        {"sample_id": "cat", "purpose": "critique", "text": "move the ear"},
        {"sample_id": "cat", "round": 1, "purpose": "revise", "text": "<svg>fixed</svg>"},
    )
    model = replay(path)
    assert ask(model, "cat", round=0, purpose="generate") == "<svg>first</svg>"
    assert ask(model, "cat", round=0, purpose="critique") == "move the ear"
    assert ask(model, "cat", round=1, purpose="revise") == "<svg>fixed</svg>"
    assert ask(model, "cat", round=1, purpose="critique") == "move the ear"


def test_missing_empty_answers_empty_text(responses: Path) -> None:
    model = replay(responses, missing="empty")
    completion = model.generate(ModelRequest(
        messages=[Message.of("user", "draw")], sample_id="cow"))
    assert completion.text == ""
    assert completion.finish_reason == "missing"
    assert ask(model, "cat", round=1) == "cat round 1"  # present ones still answer


def test_usage_and_model_come_from_the_line(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "r.jsonl",
        {"sample_id": "a", "text": "x", "model": "gpt-4o",
         "usage": {"input_tokens": 812, "output_tokens": 9, "calls": 1, "latency_s": 2.5}},
        {"sample_id": "b", "text": "y"},
    )
    model = replay(path)
    with_usage = model.generate(ModelRequest(messages=[], sample_id="a"))
    assert (with_usage.usage.input_tokens, with_usage.usage.output_tokens) == (812, 9)
    assert with_usage.usage.calls == 1
    assert with_usage.model == "replay (gpt-4o)"
    without = model.generate(ModelRequest(messages=[], sample_id="b"))
    assert (without.usage.input_tokens, without.usage.output_tokens) == (0, 0)
    assert without.model == "replay"


def test_relative_path_resolves_against_the_pipeline_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    write_lines(tmp_path / "data" / "r.jsonl", {"sample_id": "a", "text": "found"})
    model = replay(Path("data/r.jsonl"), base_dir=tmp_path)
    assert ask(model, "a") == "found"


def test_file_is_read_once(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "r.jsonl", {"sample_id": "a", "text": "first"})
    model = replay(path)
    assert ask(model, "a") == "first"
    write_lines(path, {"sample_id": "a", "text": "second"})
    assert ask(model, "a") == "first"


def test_concurrent_first_use_loads_once(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "r.jsonl",
                       *({"sample_id": f"s{i}", "text": str(i)} for i in range(200)))
    model = replay(path)
    tables, answers = [], []

    def work(i: int) -> None:
        tables.append(model.table())
        answers.append(ask(model, f"s{i}"))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(t) for t in tables}) == 1
    assert sorted(answers, key=int) == [str(i) for i in range(16)]


@pytest.mark.parametrize(("lines", "line_no", "fragment"), [
    (['{"sample_id": "a", "text": "x"}', '{"sample_id": "b", "text": '], 2, "not valid JSON"),
    (['["a", "x"]'], 1, "expected a JSON object"),
    (['{"sample_id": "a"}'], 1, "field text: Field required"),
    (['{"text": "x"}'], 1, "field sample_id: Field required"),
    (['{"sample_id": "", "text": "x"}'], 1, "field sample_id"),
    (['{"sample_id": "a", "text": "x", "round": "1"}'], 1, "field round"),
    (['{"sample_id": "a", "text": "x", "round": -1}'], 1, "field round"),
    (['{"sample_id": "a", "text": 3}'], 1, "field text"),
    (['{"sampleid": "a", "text": "x"}'], 1, "field sampleid: Extra inputs"),
    (['{"sample_id": "a", "text": "x", "usage": {"input_tokens": -5}}'], 1,
     "field usage.input_tokens"),
])
def test_bad_lines_are_reported_with_their_line_number(
    tmp_path: Path, lines: list[str], line_no: int, fragment: str
) -> None:
    path = write_lines(tmp_path / "bad.jsonl", *lines)
    with pytest.raises(ReplayFileError) as info:
        ask(replay(path), "a")
    assert f"{path}:{line_no}:" in str(info.value)
    assert fragment in str(info.value)
    assert info.value.line == line_no
    assert isinstance(info.value, ModelError) and info.value.retryable is False


def test_duplicate_explicit_rounds_name_both_lines(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "dup.jsonl",
        {"sample_id": "a", "round": 0, "text": "x"},
        {"sample_id": "b", "text": "y"},
        {"sample_id": "a", "round": 0, "purpose": "generate", "text": "z"},
    )
    with pytest.raises(ReplayFileError, match=r"dup\.jsonl:3: duplicate .*round 0.*'a'"
                                              r".*first on line 1"):
        ask(replay(path), "b")


def test_duplicate_round_agnostic_lines_are_an_error(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "dup.jsonl",
        {"sample_id": "a", "text": "x"},
        {"sample_id": "a", "text": "y"},
    )
    with pytest.raises(ReplayFileError, match=r":2: duplicate round-agnostic.*first on line 1"):
        ask(replay(path), "a")


def test_agnostic_and_explicit_lines_for_the_same_sample_coexist(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "ok.jsonl",
        {"sample_id": "a", "round": 0, "text": "explicit"},
        {"sample_id": "a", "text": "agnostic"},
    )
    model = replay(path)
    assert ask(model, "a", round=0) == "explicit"
    assert ask(model, "a", round=3) == "agnostic"


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReplayFileError, match=r"nope\.jsonl: not found .*path"):
        ask(replay(tmp_path / "nope.jsonl"), "a")


def test_options_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        ReplayOptions(path=tmp_path / "r.jsonl", missing="skip")
    with pytest.raises(ValidationError):
        ReplayOptions()  # path is required
    with pytest.raises(ValidationError):
        ReplayOptions(path=tmp_path / "r.jsonl", file="x")
