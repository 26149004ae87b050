"""What tests that may use the npm registry share: whether npm and the registry can be
reached (asked once, quickly), and the real cl100k_base rank file when one is installed."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import pytest


@functools.cache
def npm_registry_reachable() -> bool:
    """npm is installed and answers a metadata query within a few seconds."""
    npm = shutil.which("npm")
    if npm is None:
        return False
    try:
        done = subprocess.run(
            [npm, "view", "tiktoken@1.0.22", "version", "--fetch-retries=0",
             "--fetch-timeout=10000"],
            capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0 and done.stdout.strip() == "1.0.22"


def need_npm_registry() -> None:
    if not npm_registry_reachable():
        pytest.skip("npm or the npm registry is not reachable")


def installed_cl100k() -> Path | None:
    """The verified cl100k_base rank file if this machine has one installed (never
    fetched here: tests that fetch are marked `network`)."""
    from visioncode_metrics import tokenizers

    spec = tokenizers.KNOWN["cl100k_base"]
    for place in tokenizers.candidates(spec):
        if place.is_file():
            try:
                tokenizers.read_verified(spec, place)
            except tokenizers.TokenizerError:
                continue
            return place
    return None
