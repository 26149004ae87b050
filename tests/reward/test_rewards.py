"""Rewards of real completions through real components (svg executor, cairosvg, ssim,
mse), hostile ones mixed in: each failure costs its own completion, never the batch."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import threading
from pathlib import Path

import pytest
from PIL import Image

from visioncode.reward import AsyncRewardFunction, RewardFunction, RewardInputError, RewardItem
from visioncode.reward.function import completion_text
from visioncode.reward.scorer import banned_elements, content_fraction, length_reward, view_box

from . import programs as p


def test_length_term_is_rlrfs_formula() -> None:
    # 1 - ((1/L_gt) * max(0, L_pred - L_gt/2))^2
    assert length_reward(50, 100) == 1.0          # up to half the reference: free
    assert length_reward(10, 100) == 1.0          # short programs are not rewarded more
    assert length_reward(100, 100) == pytest.approx(0.75)
    assert length_reward(150, 100) == pytest.approx(0.0)
    assert length_reward(250, 100) == pytest.approx(1 - 2.0 ** 2)
    with pytest.raises(ValueError, match="empty"):
        length_reward(10, 0)


def test_gate_helpers_read_programs_and_pixels(tmp_path: Path) -> None:
    assert banned_elements(p.TEXT_CAPTION, ["text", "tspan", "textPath"]) == ["text"]
    assert banned_elements(p.reference("icon-cloud"), ["text"]) == []
    # A document that is not XML cannot hide its <tspan> from the gate.
    assert banned_elements('<svg><tspan>x</svg', ["tspan"]) == ["tspan"]
    assert view_box(p.TINY_VIEWBOX) == (0.0, 0.0, 0.25, 0.25)
    assert view_box(f'<svg {p.SVG} width="30px" height="20"/>') == (0.0, 0.0, 30.0, 20.0)
    assert view_box(f"<svg {p.SVG}/>") is None
    image = tmp_path / "a.png"
    im = Image.new("RGB", (10, 10), "white")
    im.paste((0, 0, 0), (0, 0, 5, 2))
    im.save(image)
    assert content_fraction(image, "#ffffff", 8) == pytest.approx(0.1)
    assert content_fraction(image, "#000000", 8) == pytest.approx(0.9)


def test_completion_text_accepts_trl_shapes() -> None:
    assert completion_text("<svg/>") == "<svg/>"
    assert completion_text([{"role": "assistant", "content": "<svg/>"}]) == "<svg/>"
    assert completion_text([{"role": "assistant",
                             "content": [{"type": "text", "text": "<svg/>"}]}]) == "<svg/>"
    with pytest.raises(RewardInputError, match="string or a list of messages"):
        completion_text(3)


@pytest.mark.slow
def test_hostile_batch_costs_each_its_own_failure(reward_fn: RewardFunction) -> None:
    good = p.reference("icon-cloud")
    batch = [
        ("good", good), ("hang", p.HANG), ("bomb", p.ENTITY_BOMB),
        ("text", p.TEXT_CAPTION), ("blank", p.BLANK), ("tiny", p.TINY_VIEWBOX),
        ("none", p.NO_SVG), ("broken", p.BROKEN_XML), ("good2", good + " "),
    ]
    results = reward_fn.score([{"sample_id": "icon-cloud", "completion": c}
                               for _, c in batch])
    by = {name: r for (name, _), r in zip(batch, results, strict=True)}
    assert by["good"].status == "ok" and by["good2"].status == "ok"
    assert by["good"].terms["ssim"] > 0.95 and by["good"].reward > 0.9
    assert by["good"].terms["length"] == pytest.approx(0.75, abs=0.01)
    assert by["hang"].status == "timeout" and "3s" in (by["hang"].reason or "")
    assert by["hang"].duration_s < 10  # its own timeout, not the backstop's
    # Refused or defused by the executor (never expanded), whichever it does: a failure.
    assert by["bomb"].status in {"parse_error", "gated"} and by["bomb"].duration_s < 3
    assert (by["text"].status, by["text"].gate) == ("gated", "format")
    assert "<text>" in (by["text"].reason or "")
    assert (by["blank"].status, by["blank"].gate) == ("gated", "min-content")
    assert (by["tiny"].status, by["tiny"].gate) == ("gated", "viewbox")
    assert by["none"].status == "no_svg"
    assert by["broken"].status == "parse_error"
    for name in ("hang", "bomb", "text", "blank", "tiny", "none", "broken"):
        assert by[name].reward == -1.0, name
        assert set(by[name].terms) == {"ssim", "pixel", "length"}
        assert all(v is None for v in by[name].terms.values())


def test_same_completion_same_reward_from_the_cache(reward_fn: RewardFunction) -> None:
    item = {"sample_id": "shapes-03", "completion": p.reference("shapes-03")}
    first, = reward_fn.score([item])
    again, = reward_fn.score([item])
    assert not first.cached and again.cached
    assert again.reward == first.reward and again.terms == first.terms
    # Another sample, same completion: another key.
    other, = reward_fn.score([{**item, "sample_id": "shapes-04"}])
    assert not other.cached and other.reward < first.reward


def test_trl_call_shape(reward_fn: RewardFunction) -> None:
    logged: dict[str, float] = {}
    rewards = reward_fn(
        prompts=["Draw it."] * 3,
        completions=[[{"role": "assistant", "content": p.reference("icon-heart")}],
                     [{"role": "assistant", "content": p.NO_SVG}],
                     p.reference("icon-star")],
        sample_id=["icon-heart", "icon-heart", "icon-star"],
        completion_ids=[[1], [2], [3]], trainer_state=None,
        log_metric=lambda name, value: logged.__setitem__(name, value))
    assert len(rewards) == 3 and all(isinstance(r, float) for r in rewards)
    assert rewards[0] > 0.9 and rewards[1] == -1.0 and rewards[2] > 0.9
    assert logged["visioncode/failed"] == pytest.approx(1 / 3)
    assert logged["visioncode/ssim"] > 0.9
    assert reward_fn.__name__ == "visioncode_reward"


def test_bad_calls_say_what_to_pass(reward_fn: RewardFunction) -> None:
    with pytest.raises(RewardInputError, match=r"sample_id=.* is required"):
        reward_fn(prompts=["x"], completions=["<svg/>"])
    with pytest.raises(RewardInputError, match="2 completions but 1 sample ids"):
        reward_fn(completions=["a", "b"], sample_id=["icon-cloud"])
    with pytest.raises(RewardInputError, match=r"not in the dataset.*'nope'"):
        reward_fn.score([{"sample_id": "nope", "completion": "<svg/>"}])


def test_a_worker_killed_mid_completion_costs_that_completion(
        reward_fn: RewardFunction) -> None:
    """The worker scoring a hang is killed from outside (as the OOM killer would): that
    completion gets `worker_died`, the pool replaces the worker, the next one scores."""
    hang = reward_fn.pool.submit(
        RewardItem(sample_id="icon-sun", completion=p.HANG + "<!-- killed -->"))
    busy = threading.Event()

    def watch() -> None:  # the condition: a worker holds the job
        while not hang.done():
            slots = [s for s in reward_fn.pool._slots if s.job is not None]
            if slots:
                os.kill(slots[0].proc.pid, signal.SIGKILL)
                busy.set()
                return
            threading.Event().wait(0.01)

    threading.Thread(target=watch).start()
    result = hang.result(timeout=60)
    assert busy.is_set()
    assert result.status == "worker_died" and result.reward == -1.0
    ok, = reward_fn.score([{"sample_id": "icon-sun", "completion": p.reference("icon-sun")}])
    assert ok.status == "ok"


def test_async_variant_is_a_coroutine_for_trl() -> None:
    # TRL's is_async_callable looks at an instance's __call__ the same way.
    assert inspect.iscoroutinefunction(AsyncRewardFunction.__call__)
    assert not inspect.iscoroutinefunction(RewardFunction.__call__)


def test_async_score_waits_without_blocking(reward_fn: RewardFunction) -> None:
    async def main() -> list[float]:
        results = await reward_fn.ascore(
            [{"sample_id": "icon-tree", "completion": p.reference("icon-tree")}])
        return [r.reward for r in results]

    assert asyncio.run(main())[0] > 0.9
