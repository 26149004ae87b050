"""The one error the sandbox raises to its callers."""

from __future__ import annotations

__all__ = ["SandboxError"]


class SandboxError(Exception):
    """A child did not give a usable result. `reason` is the short status an executor
    records: `timeout`, `crashed`, `memory` (the child timed out or died), `bad_answer`
    (its answer failed validation), `unsafe_output` (a file it left is a link, a device,
    a hard link, outside its folder or over the cap), `missing_output` (a file it should
    have left is not there). The message says what happened and to which file."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)
