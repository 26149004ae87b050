"""A tiny BPE rank file for the tokenizer tests (a uniquely named helper module)."""

from __future__ import annotations

import base64
from pathlib import Path

MERGES = [b"ab", b"abc", b"<s", b"<svg", b"vg"]


def tiny_file(path: Path) -> bytes:
    """Every byte, then a few merges, in tiktoken's rank-file format; returns the bytes."""
    ranks = [bytes([b]) for b in range(256)] + MERGES
    data = "".join(f"{base64.b64encode(t).decode()} {i}\n" for i, t in enumerate(ranks))
    path.write_text(data)
    return data.encode()
