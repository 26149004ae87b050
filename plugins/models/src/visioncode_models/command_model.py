"""A model that is a local executable: the request goes in as JSON on stdin, the answer
comes out on stdout. For users' own scripts, local models and anything visioncode has no
provider for.

The process gets this JSON object on stdin (images by absolute path, so a script reads
only the ones it needs; a frame sampled from the sample's video also has `timestamp_s`,
and a whole video, `task.video.mode = "whole"`, is `{"type": "video", "path": ...,
"media_type": "video/mp4", "fps": 1.0}`)::

    {"messages": [{"role": "user",
                   "content": [{"type": "text", "text": "Turn the image into SVG."},
                               {"type": "image", "path": "/abs/cat.png",
                                "media_type": "image/png", "detail": "auto"}]}],
     "purpose": "generate", "sample_id": "cat", "round": 0, "metadata": {}}

and answers on stdout with the text (`output = "text"`), or with one JSON object
(`output = "json"`): `{"text": "...", "model": "...", "usage": {"input_tokens": 10,
"output_tokens": 20}, "finish_reason": "stop"}`, of which only `text` is required.

Exit status 0 is an answer; 75 (EX_TEMPFAIL) a failure worth retrying (the core retries
it with backoff); 77 (EX_NOPERM) an authentication failure (never retried, stops the
run); anything else a failure of this request, reported with the end of stderr. A process
that outlives `timeout_s` is killed with its process group and the call is retried.

The process runs in the pipeline file's folder and inherits visioncode's environment plus
`env`. It is the user's own program, not model-written code, so it is not sandboxed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from visioncode import (
    Completion,
    ComponentContext,
    ComponentOptions,
    ImagePart,
    Model,
    ModelError,
    ModelRequest,
    Usage,
)
from visioncode.messages import VideoPart

EX_TEMPFAIL = 75
EX_NOPERM = 77
STDERR_TAIL = 2000


class CommandOptions(ComponentOptions):
    #: The program and its arguments, e.g. `["python", "my_model.py", "--size", "7b"]`.
    #: A path with a `/` is relative to the pipeline file's folder, where it also runs.
    command: list[str] = Field(min_length=1)
    #: `text`: stdout is the answer. `json`: stdout is one object with `text` and
    #: optionally `model`, `usage` and `finish_reason`.
    output: Literal["text", "json"] = "text"
    #: Seconds before the process (and its process group) is killed and the call retried.
    timeout_s: float = Field(600.0, gt=0)
    #: Extra environment variables. They are recorded with the run's config: put no
    #: secrets here (the process inherits visioncode's environment anyway).
    env: dict[str, str] = Field(default_factory=dict)
    #: Let the core cache answers. Only for deterministic programs that answer from the
    #: messages alone (not from sample_id, round, purpose or metadata); the key covers the
    #: messages, the command, `env`, `output` and the bytes of every argument that is a
    #: file.
    cache: bool = False
    #: Share the core's `max_connections` limit between all workers calling this command
    #: (a local model on one GPU); false runs as many at once as there are workers.
    limit_concurrency: bool = True


class CommandAnswer(BaseModel):
    """The `output = "json"` answer."""

    model_config = ConfigDict(extra="forbid")

    class AnswerUsage(BaseModel):
        model_config = ConfigDict(extra="forbid")
        input_tokens: int = Field(0, ge=0)
        output_tokens: int = Field(0, ge=0)

    text: str
    model: str | None = None
    usage: AnswerUsage | None = None
    finish_reason: str | None = None


def wire_request(request: ModelRequest) -> dict[str, Any]:
    """The JSON object the process reads on stdin."""
    messages = []
    for m in request.messages:
        content: list[dict[str, Any]] = []
        for p in m.content:
            if isinstance(p, ImagePart):
                image: dict[str, Any] = {"type": "image", "path": str(p.path.resolve()),
                                         "media_type": p.media_type, "detail": p.detail}
                if p.timestamp_s is not None:  # a frame of the sample's video
                    image["timestamp_s"] = p.timestamp_s
                content.append(image)
            elif isinstance(p, VideoPart):
                content.append({"type": "video", "path": str(p.path.resolve()),
                                "media_type": p.media_type, "fps": p.fps})
            else:
                content.append({"type": "text", "text": p.text})
        messages.append({"role": m.role, "content": content})
    return {"messages": messages, "purpose": request.purpose, "sample_id": request.sample_id,
            "round": request.round, "metadata": request.metadata}


class CommandModel(Model):
    """Runs a local executable per request: the request as JSON on stdin, the answer
    on stdout. Exit 75 asks for a retry, 77 reports an authentication failure."""

    Options = CommandOptions
    options: CommandOptions

    def __init__(
        self, options: ComponentOptions | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(options, context)
        self.argv = self._resolve(self.options.command)
        self._files_digest: dict[str, str] | None = None

    def _resolve(self, command: list[str]) -> list[str]:
        """argv with the program found: a path (with `/`) against the pipeline folder, a
        bare name on PATH. A missing program stops the run before the first sample."""
        program = command[0]
        if "/" in program:
            path = self.context.resolve_path(program)
            if not path.is_file():
                raise ModelError(f"{self.name}: program {path} not found (command[0]; "
                                 f"relative to the pipeline file's folder)")
            if not os.access(path, os.X_OK):
                raise ModelError(f"{self.name}: program {path} is not executable "
                                 f"(chmod +x it, or run it through an interpreter)")
            return [str(path), *command[1:]]
        found = shutil.which(program)
        if found is None:
            raise ModelError(f"{self.name}: program {program!r} not found on PATH")
        return [found, *command[1:]]

    # -- identity, for the core ---------------------------------------------------------

    def endpoint(self) -> str | None:
        return "command:" + json.dumps(self.argv) if self.options.limit_concurrency else None

    def cache_key(self) -> dict[str, Any] | None:
        if not self.options.cache:
            return None
        if self._files_digest is None:
            self._files_digest = {}
            for arg in self.argv:
                path = self.context.resolve_path(arg)
                try:
                    if path.is_file():
                        self._files_digest[arg] = hashlib.sha256(path.read_bytes()).hexdigest()
                except OSError:
                    continue
        return {"provider": "command", "model": Path(self.argv[0]).name,
                "command": self.argv, "env": self.options.env, "output": self.options.output,
                "files": self._files_digest}

    # -- the call -----------------------------------------------------------------------

    def generate(self, request: ModelRequest) -> Completion:
        stdin = json.dumps(wire_request(request)).encode()
        started = time.perf_counter()
        proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=self.context.base_dir, env={**os.environ, **self.options.env},
            start_new_session=True)
        try:
            out, err = proc.communicate(stdin, timeout=self.options.timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.communicate()
            raise ModelError(f"{self.name}: {self._shown()} gave no answer within "
                             f"{self.options.timeout_s:g} s (timeout_s); killed",
                             retryable=True) from None
        except BaseException:
            _kill_group(proc)
            proc.communicate()
            raise
        latency = time.perf_counter() - started
        if proc.returncode != 0:
            raise self._exit_error(proc.returncode, err)
        text = out.decode("utf-8", errors="replace")
        if self.options.output == "text":
            return Completion(text=text, model=Path(self.argv[0]).name,
                              usage=Usage(calls=1, latency_s=latency), finish_reason="stop")
        return self._parse_json(text, latency)

    def _parse_json(self, text: str, latency: float) -> Completion:
        try:
            answer = CommandAnswer.model_validate_json(text)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(answer)'}: {e['msg']}"
                                 for e in exc.errors())
            raise ModelError(f"{self.name}: {self._shown()} printed no valid JSON answer "
                             f"(output = \"json\"): {problems}; stdout begins {text[:200]!r}",
                             retryable=False) from None
        usage = answer.usage or CommandAnswer.AnswerUsage()
        return Completion(text=answer.text, model=answer.model or Path(self.argv[0]).name,
                          usage=Usage(calls=1, input_tokens=usage.input_tokens,
                                      output_tokens=usage.output_tokens, latency_s=latency),
                          finish_reason=answer.finish_reason or "stop")

    def _exit_error(self, code: int, stderr: bytes) -> ModelError:
        tail = stderr.decode("utf-8", errors="replace")[-STDERR_TAIL:].strip()
        how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
        message = f"{self.name}: {self._shown()} {how}" + (f": {tail}" if tail else "")
        return ModelError(message, retryable=code == EX_TEMPFAIL, auth=code == EX_NOPERM)

    def _shown(self) -> str:
        return " ".join(self.options.command)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
