"""Rewards for RL training from a pipeline config's `[reward]` table.

`RewardFunction("reward.toml")` is the in-process entry point (TRL's `GRPOTrainer`
reward-function shape); `visioncode.reward.verl` and `visioncode.reward.easyr1` adapt it
to those trainers; `visioncode serve` puts it behind HTTP (`/score`, OpenRLHF's
`/get_reward`). Names are imported on first use, so `visioncode.config` can import the
table's schema (`visioncode.reward.spec`) without starting worker machinery.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .function import AsyncRewardFunction, RewardFunction, RewardInputError
    from .result import RewardItem, RewardResult
    from .spec import RewardSpec

_LAZY = {
    "RewardFunction": "function",
    "AsyncRewardFunction": "function",
    "RewardInputError": "function",
    "RewardItem": "result",
    "RewardResult": "result",
    "RewardSpec": "spec",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'visioncode.reward' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = ["AsyncRewardFunction", "RewardFunction", "RewardInputError", "RewardItem",
           "RewardResult", "RewardSpec"]
