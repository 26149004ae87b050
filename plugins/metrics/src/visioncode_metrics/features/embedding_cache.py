"""Reference-image embeddings kept on disk across runs.

A dataset's reference images are embedded once per model: every later run (another
model, another renderer, a resumed run) reads them back. The key is the model's
fingerprint (weights, config, preprocessing, how the metric uses it) and the SHA-256 of
the image file's bytes together with anything else that changes the pixels fed to the
model (the background transparency is composited over). Files are written atomically,
so worker processes sharing the cache never read half an array; an unreadable entry is
recomputed.

Layout: `<cache_dir>/embeddings/<fingerprint[:24]>/<key>.npy` (float32).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np


def image_key(path: Path, *extra: object) -> str:
    """SHA-256 of the file's bytes and of `extra`."""
    h = hashlib.sha256(path.read_bytes())
    h.update(repr(extra).encode())
    return h.hexdigest()


class EmbeddingCache:
    """Embeddings of one model, by image key. `root=None` disables caching."""

    def __init__(self, root: Path | None, model_fingerprint: str) -> None:
        self.dir = None if root is None else root / "embeddings" / model_fingerprint[:24]

    def get(self, key: str) -> np.ndarray | None:
        if self.dir is None:
            return None
        path = self.dir / f"{key}.npy"
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None

    def put(self, key: str, embedding: np.ndarray) -> None:
        if self.dir is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, np.asarray(embedding, dtype=np.float32), allow_pickle=False)
            os.replace(tmp, self.dir / f"{key}.npy")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
