"""Finding weights on disk, importing torch lazily and choosing a device.

Nothing here downloads: a model is either a local folder (`local_path`) or a snapshot
already present in the Hugging Face cache (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
`~/.cache/huggingface/hub`), found by its model id. A missing model is a
`MissingModelError` that names the model id, where it looked, and how to provide it;
a pipeline that names the metric fails at start with it, before any sample runs.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from visioncode import VisioncodeError

Device = Literal["auto", "cpu", "cuda", "mps"]

#: The extra that installs what these metrics import.
EXTRA = 'pip install "visioncode-metrics[features]"'


class MissingModelError(VisioncodeError):
    """The weights a feature metric needs are not on this machine."""


class MissingDependencyError(VisioncodeError):
    """torch or transformers is not installed."""


def import_torch() -> ModuleType:
    try:
        import torch
    except ImportError as exc:
        raise MissingDependencyError(
            f"feature metrics need torch, which is not installed ({exc}); {EXTRA}") from None
    return torch


def import_transformers() -> ModuleType:
    import_torch()
    try:
        import transformers
    except ImportError as exc:
        raise MissingDependencyError(
            f"feature metrics need transformers, which is not installed ({exc}); {EXTRA}"
        ) from None
    return transformers


def select_device(name: Device) -> str:
    """`auto`: CUDA if available, else Apple MPS, else CPU. An explicit device that this
    machine lacks is an error, not a silent fallback (the numbers would still agree, but
    the run would be far slower than asked)."""
    torch = import_torch()
    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if name == "auto":
        return "cuda" if cuda else ("mps" if mps else "cpu")
    if (name == "cuda" and not cuda) or (name == "mps" and not mps):
        raise VisioncodeError(f"device {name!r} is not available on this machine; "
                              f"use device = \"auto\" or \"cpu\"")
    return name


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache, by the same variables huggingface_hub reads, read now
    (not when huggingface_hub was imported)."""
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            return Path(os.path.expandvars(os.environ[var])).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.path.expandvars(os.environ["HF_HOME"])).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser() / "huggingface" / "hub"


def cached_snapshot(model_id: str, revision: str = "main") -> Path | None:
    """The folder of `model_id`'s snapshot in the hub cache, or None. The cache layout is
    `models--{org}--{name}/refs/{revision}` (a commit hash) and
    `models--{org}--{name}/snapshots/{commit}/`."""
    repo = hub_cache_dir() / ("models--" + model_id.replace("/", "--"))
    ref = repo / "refs" / revision
    commit = ref.read_text().strip() if ref.is_file() else revision
    snapshot = repo / "snapshots" / commit
    return snapshot if (snapshot / "config.json").is_file() else None


def how_to_provide(model_id: str, option: str = "local_path") -> str:
    return (
        f"provide it in one of two ways: (1) set the metric's `{option}` option to a folder "
        f"holding its config.json, weights and preprocessor_config.json (for example made "
        f"by `huggingface-cli download {model_id} --local-dir DIR` on a machine with "
        f"network); or (2) copy a Hugging Face cache that holds it to this machine and "
        f"point HF_HOME (or HF_HUB_CACHE) at it (looked in: {hub_cache_dir()}). Or set "
        f"`model` to another model id that is cached")


def locate(model_id: str, local_path: Path | None) -> Path:
    """The folder to load `model_id` from, or MissingModelError saying how to get it."""
    if local_path is not None:
        if not (local_path / "config.json").is_file():
            raise MissingModelError(
                f"model {model_id!r}: local_path {local_path} is not a model folder (no "
                f"config.json there); {how_to_provide(model_id)}")
        return local_path
    snapshot = cached_snapshot(model_id)
    if snapshot is None:
        raise MissingModelError(
            f"model {model_id!r} is not in the Hugging Face cache and visioncode never "
            f"downloads weights; {how_to_provide(model_id)}")
    return snapshot


def fingerprint(folder: Path, *extra: Any) -> str:
    """What identifies a model's outputs: its config and preprocessing files' contents,
    its weight files' names, sizes and modification times, and `extra` (how the metric
    uses it). Cached embeddings are keyed by it, so replacing the weights in place (or
    changing the preprocessing) invalidates them."""
    h = hashlib.sha256()
    h.update(json.dumps([str(folder.resolve()), *map(str, extra)]).encode())
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        h.update(path.name.encode())
        if path.suffix == ".json":
            h.update(path.read_bytes())
        else:
            st = path.stat()
            h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()
