"""A content-addressed cache of model answers, in one SQLite file.

An answer is stored under the SHA-256 of everything that decides it: the model's
identity (`Model.cache_key()`: provider, base URL, model id, generation options) and the
request's messages, with every image replaced by the SHA-256 of its bytes and its media
type. Paths, sample ids, rounds and purposes are not part of the key, because they are not
what the provider sees: the same question asked from another run directory, another
pipeline, or after a renderer swap is the same question.

One file serves every run on the machine (see `default_cache_path`), so re-running a
finished pipeline into a new run directory asks no model anything. SQLite in WAL mode with
a busy timeout lets the worker processes of a run read and write it concurrently. The
cache holds prompts and answers, never keys; `visioncode cache clear` empties it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from .messages import Completion, ImagePart, ModelRequest, TextPart, VideoPart

CACHE_DIR_ENV = "VISIONCODE_CACHE_DIR"
#: Bumped when the key's layout changes, so old entries are simply never found again.
KEY_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    completion TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_hit_at REAL,
    hits INTEGER NOT NULL DEFAULT 0
)
"""


def default_cache_dir() -> Path:
    """`$VISIONCODE_CACHE_DIR`, else `$XDG_CACHE_HOME/visioncode`, else
    `~/.cache/visioncode`."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "visioncode"


def default_cache_path() -> Path:
    return default_cache_dir() / "responses.sqlite"


def is_sampled(identity: dict[str, Any]) -> bool:
    """Whether a model's answers are draws rather than a function of the request: its
    identity has a `temperature` that is unset (the provider's default) or above 0."""
    if "temperature" not in identity:
        return False
    t = identity["temperature"]
    return t is None or float(t) > 0


def _image_entry(part: ImagePart) -> dict[str, Any]:
    digest = hashlib.sha256(part.read_bytes()).hexdigest()
    entry: dict[str, Any] = {"type": "image", "sha256": digest,
                             "media_type": part.media_type, "detail": part.detail}
    if part.timestamp_s is not None:  # a video frame: its time is part of the request
        entry["timestamp_s"] = part.timestamp_s
    return entry


def _video_entry(part: VideoPart) -> dict[str, Any]:
    digest = hashlib.sha256(part.read_bytes()).hexdigest()
    return {"type": "video", "sha256": digest, "media_type": part.media_type,
            "fps": part.fps}


def _entry(part: TextPart | ImagePart | VideoPart) -> dict[str, Any]:
    if isinstance(part, ImagePart):
        return _image_entry(part)
    if isinstance(part, VideoPart):
        return _video_entry(part)
    return {"type": "text", "text": part.text}


#: path -> (mtime_ns, size, sha256): a file is hashed again only when it changed.
_digests: dict[str, tuple[int, int, str]] = {}
_digests_lock = threading.Lock()
#: Files larger than this are identified by size and modification time, not read.
HASH_LIMIT_BYTES = 1 << 30


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, cached by its modification time and size (weights of a
    local model are hashed once, not once per request)."""
    st = path.stat()
    key = str(path.resolve())
    with _digests_lock:
        known = _digests.get(key)
    if known is not None and known[:2] == (st.st_mtime_ns, st.st_size):
        return known[2]
    if st.st_size > HASH_LIMIT_BYTES:
        digest = f"size:{st.st_size}:mtime:{st.st_mtime_ns}"
    else:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        digest = h.hexdigest()
    with _digests_lock:
        _digests[key] = (st.st_mtime_ns, st.st_size, digest)
    return digest


def tree_digest(root: Path) -> str:
    """SHA-256 over the names and digests of every file under `root` (a file: its own
    digest), skipping `__pycache__` and compiled files."""
    if root.is_file():
        return file_digest(root)
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or path.suffix in {".pyc", ".pyo"} \
                or not path.is_file():
            continue
        h.update(str(path.relative_to(root)).encode() + b"\0")
        h.update(file_digest(path).encode() + b"\0")
    return h.hexdigest()


def _file_contents(identity: Any) -> dict[str, str]:
    """Digests of the local files an identity names (a local model's weights, a replay
    file, a script): a model whose file changed must not be answered from the cache."""
    out: dict[str, str] = {}
    if isinstance(identity, dict):
        for value in identity.values():
            out.update(_file_contents(value))
    elif isinstance(identity, list | tuple):
        for value in identity:
            out.update(_file_contents(value))
    elif isinstance(identity, str | Path) and (os.sep in str(identity)):
        path = Path(identity).expanduser()
        try:
            if path.is_absolute() and path.exists():
                out[str(path)] = tree_digest(path)
        except OSError:
            pass
    return out


def request_key(identity: dict[str, Any], request: ModelRequest) -> str:
    """The cache key of `request` to the model `identity` describes. Reads every image
    and video (raises OSError when one is missing: such a request is not cached). Files
    the identity names by absolute path count by their contents (`_file_contents`)."""
    messages = [{"role": m.role, "content": [_entry(p) for p in m.content]}
                for m in request.messages]
    files = _file_contents(identity)
    if files:
        identity = {**identity, "@files": files}
    blob = json.dumps({"v": KEY_VERSION, "model": identity, "messages": messages},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class ModelStats(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: str
    model: str
    entries: int
    hits: int


class CacheStats(BaseModel):
    """What `visioncode cache stats` shows."""

    model_config = ConfigDict(extra="forbid")
    path: str
    exists: bool
    entries: int = 0
    hits: int = 0
    size_bytes: int = 0
    oldest: float | None = None
    newest: float | None = None
    models: list[ModelStats] = []


class ResponseCache:
    """The SQLite file at `path`, opened on first use. Safe to share between threads of
    a process and between processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=60.0, check_same_thread=False,
                                   isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 60000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(_SCHEMA)
            self._conn = conn
        return self._conn

    def get(self, key: str) -> Completion | None:
        """The stored completion, as it was answered (usage untouched), or None."""
        with self._lock:
            db = self._db()
            row = db.execute("SELECT completion FROM responses WHERE key = ?",
                             (key,)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE responses SET hits = hits + 1, last_hit_at = ? WHERE key = ?",
                       (time.time(), key))
        return Completion.model_validate_json(row[0])

    def put(self, key: str, identity: dict[str, Any], completion: Completion) -> None:
        data = completion.model_dump_json()
        with self._lock:
            self._db().execute(
                "INSERT OR REPLACE INTO responses (key, provider, model, completion, "
                "created_at, hits) VALUES (?, ?, ?, ?, ?, 0)",
                (key, str(identity.get("provider", "")), str(identity.get("model", "")),
                 data, time.time()))

    def stats(self) -> CacheStats:
        if not self.path.exists():
            return CacheStats(path=str(self.path), exists=False)
        with self._lock:
            db = self._db()
            entries, hits, oldest, newest = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(hits), 0), MIN(created_at), MAX(created_at) "
                "FROM responses").fetchone()
            models = [ModelStats(provider=p, model=m, entries=n, hits=h) for p, m, n, h in
                      db.execute("SELECT provider, model, COUNT(*), COALESCE(SUM(hits), 0) "
                                 "FROM responses GROUP BY provider, model "
                                 "ORDER BY COUNT(*) DESC, provider, model")]
        size = sum(p.stat().st_size for p in self._files())
        return CacheStats(path=str(self.path), exists=True, entries=entries, hits=hits,
                          size_bytes=size, oldest=oldest, newest=newest, models=models)

    def clear(self, model: str | None = None, older_than_s: float | None = None) -> int:
        """Delete entries (all, or those of one model id, or older than some seconds);
        returns how many. Space is given back to the file system."""
        if not self.path.exists():
            return 0
        where: list[str] = []
        args: list[Any] = []
        if model is not None:
            where.append("model = ?")
            args.append(model)
        if older_than_s is not None:
            where.append("created_at < ?")
            args.append(time.time() - older_than_s)
        sql = "DELETE FROM responses" + (" WHERE " + " AND ".join(where) if where else "")
        with self._lock:
            db = self._db()
            removed = db.execute(sql, args).rowcount
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.execute("VACUUM")
        return removed

    def _files(self) -> list[Path]:
        names = [self.path, self.path.with_name(self.path.name + "-wal"),
                 self.path.with_name(self.path.name + "-shm")]
        return [p for p in names if p.exists()]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
