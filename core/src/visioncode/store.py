"""The run directory: the one place a run's results live, safe to interrupt at any point.

    run.json              what produced the run (config hash, component versions)
    config.json           the resolved pipeline config
    records.jsonl         one SampleRecord per line, appended atomically (fsynced at
                          most every `SYNC_EVERY_S` and when the run ends)
    artifacts/<sample>/   outputs, programs and renders of each round
    log.jsonl             structured events of every process
    summary.json, .md     aggregates, rewritten at the end of each run

Paths inside records are stored relative to the run directory, so a run can be moved.
A line cut short by a crash is dropped (and cut off the file) on the next open: no
truncated record is ever read back, and its sample simply runs again on resume.
"""

from __future__ import annotations

import errno
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from .errors import RunDirError
from .records import RunManifest, SampleRecord

RECORDS = "records.jsonl"
#: Seconds between two fsyncs of the records file (see `RunStore.append`).
SYNC_EVERY_S = 1.0
_FULL = (errno.ENOSPC, errno.EDQUOT)


def _disk_full_error(text: str) -> bool:
    """Whether a component's failure (a traceback) was the disk filling up."""
    return any(f"[Errno {code}]" in text for code in _FULL)


class RunStore:
    def __init__(self, run_dir: Path) -> None:
        self.dir = run_dir.resolve()
        self.records_path = self.dir / RECORDS
        self.artifacts = self.dir / "artifacts"
        self._synced = float("-inf")  # monotonic time of the last fsync of the records
        self._unsynced = False

    # -- opening ----------------------------------------------------------------------

    def check_location(self) -> None:
        """A run directory must be a folder or not exist yet, and every existing folder
        above it a folder: a clear RunDirError instead of NotADirectoryError later."""
        for path in (self.dir, *self.dir.parents):
            if path.exists() and not path.is_dir():
                where = ("is" if path == self.dir
                         else f"is above the run directory {self.dir} and is")
                raise RunDirError(
                    f"{path} {where} a file, not a folder: a run directory cannot be made "
                    f"there; choose another --out (or run.out in the pipeline file)")
            if path.is_dir():
                return

    def exists(self) -> bool:
        return (self.dir / "run.json").is_file()

    def manifest(self) -> RunManifest:
        return RunManifest.model_validate_json((self.dir / "run.json").read_text())

    def create(self, manifest: RunManifest, config: dict[str, Any]) -> None:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.dir / "config.json", json.dumps(config, indent=2))
        _write_atomic(self.dir / "run.json", manifest.model_dump_json(indent=2))
        self.records_path.touch()

    def check_resumable(self, config_hash: str) -> None:
        if not self.exists():
            raise RunDirError(f"{self.dir}: not a run directory (no run.json), so there is "
                              f"nothing to resume; run without --resume to start a run in a "
                              f"new or empty folder")
        have = self.manifest().config_hash
        if have != config_hash:
            raise RunDirError(
                f"{self.dir}: was made by a different pipeline config (hash {have}, now "
                f"{config_hash}); resuming would mix results. Use a new --out, or restore "
                f"the config in {self.dir / 'config.json'}"
            )

    # -- records ----------------------------------------------------------------------

    def append(self, record: SampleRecord) -> None:
        """Append one record as one write of one line: after a crash the file holds whole
        records plus at most one partial line, which `load` discards. A killed process
        loses nothing it wrote (the kernel has it); the file is fsynced at most every
        `SYNC_EVERY_S` seconds and by `sync()` at the end of a run, so a machine that
        loses power loses at most that much, while a run of thousands of fast samples
        does not wait for the disk after each one (an fsync per record cost about 5% of
        an SVG run's time).

        A full disk stops the run with a RunDirError that says so (the records written so
        far stay valid and `--resume` continues); a sample whose component failed only
        because the disk was full is not recorded, so it runs again on resume instead of
        being kept as an error."""
        if record.status == "error" and _disk_full_error(record.error or ""):
            raise self._disk_full(f"sample {record.sample_id} could not write its outputs")
        line = (_relative_json(record.model_dump(mode="json"), str(self.dir) + os.sep)
                + "\n").encode()
        try:
            fd = os.open(self.records_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                written = os.write(fd, line)
                while written < len(line):  # short writes are rare but legal
                    written += os.write(fd, line[written:])
                now = time.monotonic()
                if now - self._synced >= SYNC_EVERY_S:
                    os.fsync(fd)
                    self._synced = now
                else:
                    self._unsynced = True
            finally:
                os.close(fd)
        except OSError as exc:
            if exc.errno in _FULL:
                raise self._disk_full(f"the record of sample {record.sample_id} could not "
                                      "be written") from None
            raise

    def sync(self) -> None:
        """fsync the records written since the last one (the end of a run calls it)."""
        if not self._unsynced or not self.records_path.exists():
            return
        fd = os.open(self.records_path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self._unsynced = False
        self._synced = time.monotonic()

    def _disk_full(self, what: str) -> RunDirError:
        return RunDirError(
            f"{self.dir}: {os.strerror(errno.ENOSPC)} (or quota exceeded): {what}. "
            "Every record written before is intact; free some space, then continue this "
            "run with --resume (finished samples are not run again).")

    def load(self, repair: bool = False) -> list[SampleRecord]:
        """Every whole record. With `repair`, a partial last line is cut off the file."""
        if not self.records_path.exists():
            return []
        raw = self.records_path.read_bytes()
        records: dict[str, SampleRecord] = {}
        good_end = 0
        pos = 0
        for line in raw.splitlines(keepends=True):
            pos += len(line)
            if not line.endswith(b"\n"):
                break
            try:
                rec = SampleRecord.model_validate_json(line)
            except ValueError:
                break
            records[rec.sample_id] = rec  # a re-run sample: the later record wins
            good_end = pos
        if repair and good_end < len(raw):
            with self.records_path.open("r+b") as fh:
                fh.truncate(good_end)
        return list(records.values())

    def finished(self, retry_errors: bool = False) -> set[str]:
        """Ids with a record (with `retry_errors`, those whose record is not an `error`:
        a sample that crashed a component or ran out of model retries runs again)."""
        return {r.sample_id for r in self.load(repair=True)
                if not (retry_errors and r.status == "error")}

    def write_text(self, name: str, text: str) -> None:
        _write_atomic(self.dir / name, text)


def _relative_json(data: Any, prefix: str) -> str:
    """`data` as compact JSON with every string value that starts with `prefix` (the run
    directory) cut to the rest: the run can be moved. Done on the encoded text, where such
    a value is a quote followed by the encoded prefix (a walk over the record in Python
    cost more than the encoding)."""
    text = json.dumps(data, separators=(",", ":"))
    quoted = json.dumps(prefix)[:-1]  # '"' + the prefix as JSON encodes it
    if quoted not in text:
        return text
    # An opening quote follows ':', ',' or '[' in compact JSON; a quote inside a string
    # is escaped, so it never does.
    return re.sub(r"(?<=[:,\[])" + re.escape(quoted), '"', text)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
