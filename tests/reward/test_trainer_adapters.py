"""verl's and EasyR1's reward-function calls, made the way their reward managers make
them (keywords, numpy object arrays from `non_tensor_batch`, per-row extra_info)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest

from visioncode.reward import RewardFunction, RewardInputError, easyr1, verl

from . import programs as p

KEYS = {"score", "ssim", "pixel", "length", "failed", "gated"}


@pytest.fixture
def configured(reward_fn: RewardFunction, monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[RewardFunction]:
    """The config named as the trainers name it (the environment), served by the
    session's warm RewardFunction instead of a second pool."""
    monkeypatch.setenv(verl.CONFIG_ENV, str(p.CONFIG))
    key = os.path.abspath(str(p.CONFIG))
    monkeypatch.setitem(verl._functions, key, reward_fn)
    yield reward_fn


def test_naive_manager_call(configured: RewardFunction) -> None:
    # verl's NaiveRewardManager: compute_score(data_source=, solution_str=,
    # ground_truth=, extra_info=) per response.
    good = verl.compute_score(data_source="img2svg", solution_str=p.reference("shapes-01"),
                              ground_truth="shapes-01", extra_info={"index": 0})
    bad = verl.compute_score(data_source="img2svg", solution_str=p.TEXT_CAPTION,
                             ground_truth="shapes-01", extra_info=None)
    assert isinstance(good, dict) and isinstance(bad, dict)
    assert set(good) == set(bad) == KEYS
    assert good["score"] > 0.9 and good["failed"] == 0.0
    assert bad["score"] == -1.0 and bad["gated"] == 1.0 and bad["ssim"] == 0.0


def test_batch_manager_call(configured: RewardFunction) -> None:
    # verl's BatchRewardManager passes non_tensor_batch columns: numpy object arrays.
    scores = verl.compute_score(
        data_sources=np.array(["img2svg"] * 3, dtype=object),
        solution_strs=np.array([p.reference("shapes-02"), p.BLANK, p.NO_SVG], dtype=object),
        ground_truths=np.array(["shapes-02"] * 3, dtype=object),
        extra_infos=np.array([{"split": "train"}] * 3, dtype=object))
    assert isinstance(scores, list) and len(scores) == 3
    assert [set(s) for s in scores] == [KEYS] * 3
    assert scores[0]["score"] > 0.9
    assert [s["score"] for s in scores[1:]] == [-1.0, -1.0]
    assert [s["gated"] for s in scores] == [0.0, 1.0, 0.0]
    assert [s["failed"] for s in scores] == [0.0, 0.0, 1.0]
    assert verl.compute_score_batch(["x"], [p.reference("shapes-02")], ["shapes-02"],
                                    None)[0] == scores[0]


def test_config_from_extra_info(reward_fn: RewardFunction,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(verl.CONFIG_ENV, raising=False)
    monkeypatch.setitem(verl._functions, os.path.abspath(str(p.CONFIG)), reward_fn)
    score = verl.compute_score("img2svg", p.reference("shapes-05"), "shapes-05",
                               {verl.CONFIG_KEY: str(p.CONFIG)})
    assert isinstance(score, dict) and score["score"] > 0.9


def test_no_config_says_how_to_name_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(verl.CONFIG_ENV, raising=False)
    with pytest.raises(RewardInputError, match="VISIONCODE_REWARD_CONFIG"):
        verl.compute_score("img2svg", "<svg/>", "shapes-05", None)


def test_easyr1_batch_call(configured: RewardFunction) -> None:
    # EasyR1's BatchFunctionRewardManager: one dict per response.
    scores = easyr1.compute_score([
        {"response": p.reference("shapes-06"), "response_length": 100,
         "ground_truth": "shapes-06"},
        {"response": p.TINY_VIEWBOX, "response_length": 30, "ground_truth": "shapes-06"}])
    assert scores[0]["overall"] > 0.9 and scores[1]["overall"] == -1.0
    assert "score" not in scores[0] and scores[1]["gated"] == 1.0
    with pytest.raises(RewardInputError, match="reward_type=batch"):
        easyr1.compute_score({"response": "x", "ground_truth": "y"})  # type: ignore[arg-type]
