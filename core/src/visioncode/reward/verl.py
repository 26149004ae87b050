"""verl's custom reward function: `custom_reward_function.path` = this file's module path
(`python -c "import visioncode.reward.verl as m; print(m.__file__)"`), `name` =
`compute_score`.

verl's `naive` (and `prime`, `dapo`) reward managers call it once per response:

    compute_score(data_source, solution_str, ground_truth, extra_info=None)

and the `batch` manager once per batch, by keyword:

    compute_score(data_sources=..., solution_strs=..., ground_truths=..., extra_infos=...)

`compute_score` answers both (so one name serves every manager; `compute_score_batch` is
the batch form alone). `ground_truth` is the visioncode sample id (put it in the
dataset's `reward_model.ground_truth`). The config is `extra_info["visioncode_config"]`,
else the `VISIONCODE_REWARD_CONFIG` environment variable; each config's RewardFunction
is started once per process and reused.

The per-response result is `{"score": reward, <term>: value, ..., "failed": 0|1,
"gated": 0|1}` with the same keys for every response (verl gathers each key into a
column of `reward_extra_info`); a term that was not computed is 0.0.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Sequence
from typing import Any

from .function import RewardFunction, RewardInputError
from .result import RewardItem, RewardResult

CONFIG_ENV = "VISIONCODE_REWARD_CONFIG"
CONFIG_KEY = "visioncode_config"

_functions: dict[str, RewardFunction] = {}
_lock = threading.Lock()


def reward_function(extra_info: Any = None) -> RewardFunction:
    """The RewardFunction of the config named by `extra_info` or the environment."""
    path = None
    if isinstance(extra_info, dict):
        path = extra_info.get(CONFIG_KEY)
    path = path or os.environ.get(CONFIG_ENV)
    if not path:
        raise RewardInputError(
            f"no reward config: set {CONFIG_ENV}=path/to/reward.toml in the trainer's "
            f"environment, or put {CONFIG_KEY!r} in each row's extra_info")
    key = os.path.abspath(str(path))
    with _lock:
        rf = _functions.get(key)
        if rf is None:
            rf = _functions[key] = RewardFunction(key)
    return rf


@atexit.register
def close_all() -> None:
    """Stop every started RewardFunction's workers (also run at interpreter exit)."""
    with _lock:
        functions = list(_functions.values())
        _functions.clear()
    for rf in functions:
        rf.close(drain=False)


def as_verl(result: RewardResult) -> dict[str, float]:
    out = {"score": result.reward}
    out.update({name: (value if value is not None else 0.0)
                for name, value in result.terms.items()})
    out["failed"] = 0.0 if result.status in {"ok", "gated"} else 1.0
    out["gated"] = 1.0 if result.status == "gated" else 0.0
    return out


def compute_score_batch(data_sources: Sequence[Any], solution_strs: Sequence[str],
                        ground_truths: Sequence[Any], extra_infos: Sequence[Any] | None = None,
                        **_: Any) -> list[dict[str, float]]:
    """verl's `batch` reward manager signature: one dict per response, in order."""
    n = len(solution_strs)
    infos = list(extra_infos) if extra_infos is not None else [None] * n
    if not (len(ground_truths) == n == len(infos)):
        raise RewardInputError(f"{n} solution_strs, {len(ground_truths)} ground_truths and "
                               f"{len(infos)} extra_infos: pass one of each per response")
    # Rows may name different configs: score each config's rows as one batch.
    groups: dict[int, tuple[RewardFunction, list[int]]] = {}
    for i, info in enumerate(infos):
        rf = reward_function(info)
        groups.setdefault(id(rf), (rf, []))[1].append(i)
    out: list[dict[str, float] | None] = [None] * n
    for rf, indexes in groups.values():
        items = [RewardItem(sample_id=str(ground_truths[i]), completion=solution_strs[i])
                 for i in indexes]
        for i, result in zip(indexes, rf.score(items), strict=True):
            out[i] = as_verl(result)
    return [o for o in out if o is not None]


def compute_score(data_source: Any = None, solution_str: str | None = None,
                  ground_truth: Any = None, extra_info: Any = None, *,
                  data_sources: Sequence[Any] | None = None,
                  solution_strs: Sequence[str] | None = None,
                  ground_truths: Sequence[Any] | None = None,
                  extra_infos: Sequence[Any] | None = None,
                  **kwargs: Any) -> dict[str, float] | list[dict[str, float]]:
    """verl's per-response signature, or, called with `solution_strs=...`, the batch one."""
    if solution_strs is not None:
        return compute_score_batch(
            [None] * len(solution_strs) if data_sources is None else data_sources,
            solution_strs, [] if ground_truths is None else ground_truths, extra_infos,
            **kwargs)
    if solution_str is None or ground_truth is None:
        raise RewardInputError("compute_score needs solution_str and ground_truth (the "
                               "visioncode sample id)")
    rf = reward_function(extra_info)
    [result] = rf.score([RewardItem(sample_id=str(ground_truth), completion=solution_str)])
    return as_verl(result)
