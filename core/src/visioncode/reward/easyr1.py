"""EasyR1's reward function: `worker.reward.reward_type=batch` and
`worker.reward.reward_function=<file>:compute_score`, where <file> is a two-line module
of your project:

    from visioncode.reward.easyr1 import compute_score  # noqa: F401

EasyR1's batch reward manager calls `compute_score(reward_inputs)` with one dict per
response (`response`, `response_length`, `ground_truth`) and reads one dict of floats per
response, `overall` being the reward. `ground_truth` is the visioncode sample id; the
config comes from `VISIONCODE_REWARD_CONFIG` (as for verl).
"""

from __future__ import annotations

from typing import Any

from .function import RewardInputError
from .result import RewardItem
from .verl import as_verl, reward_function


def compute_score(reward_inputs: list[dict[str, Any]], **_: Any) -> list[dict[str, float]]:
    if not isinstance(reward_inputs, list):
        raise RewardInputError("visioncode's EasyR1 reward scores batches: set "
                               "worker.reward.reward_type=batch")
    if not reward_inputs:
        return []
    rf = reward_function(reward_inputs[0].get("extra_info"))
    items = [RewardItem(sample_id=str(r["ground_truth"]), completion=str(r["response"]))
             for r in reward_inputs]
    out = []
    for result in rf.score(items):
        scores = as_verl(result)
        scores["overall"] = scores.pop("score")
        out.append(scores)
    return out
