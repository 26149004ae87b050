"""Chat messages, model requests and completions.

Messages carry text, images and videos as file paths, not bytes: runs are local, records
stay small, and a provider reads and encodes a file only when it actually sends it. A
sample's video reaches a model as its sampled frames (image parts with `timestamp_s`, in
time order) or, for providers that take video, whole (a `VideoPart`); `task.video`
decides which.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class TextPart(BaseModel):
    """A span of text inside a message."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["text"] = "text"
    text: str


class ImagePart(BaseModel):
    """An image inside a message, by path. `detail` is a hint some providers honour;
    `timestamp_s` is set on a frame sampled from a video (its time in the video), so a
    provider that can say so (the `command` model's JSON) passes it on."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["image"] = "image"
    path: Path
    detail: Literal["auto", "low", "high"] = "auto"
    timestamp_s: float | None = Field(None, ge=0)

    @property
    def media_type(self) -> str:
        return mimetypes.guess_type(self.path.name)[0] or "image/png"

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


class VideoPart(BaseModel):
    """A whole video inside a message, by path, for providers that take video
    (`task.video.mode = "whole"`); the others refuse it with a message saying to sample
    frames instead. `fps` is the sampling rate the task asks the provider to use."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["video"] = "video"
    path: Path
    fps: float | None = Field(None, gt=0)

    @property
    def media_type(self) -> str:
        return mimetypes.guess_type(self.path.name)[0] or "video/mp4"

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


Part = Annotated[TextPart | ImagePart | VideoPart, Field(discriminator="type")]


class Message(BaseModel):
    """One chat turn. `content` mixes text and image parts in order."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant"]
    content: list[Part]

    @classmethod
    def of(cls, role: Literal["system", "user", "assistant"],
           *parts: str | Path | TextPart | ImagePart | VideoPart) -> Message:
        """Build a message from strings (text), paths (images) and ready parts, in order."""
        content: list[TextPart | ImagePart | VideoPart] = [
            ImagePart(path=p) if isinstance(p, Path)
            else TextPart(text=p) if isinstance(p, str) else p
            for p in parts
        ]
        return cls(role=role, content=content)

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.content if isinstance(p, TextPart))

    @property
    def images(self) -> list[ImagePart]:
        return [p for p in self.content if isinstance(p, ImagePart)]

    @property
    def videos(self) -> list[VideoPart]:
        return [p for p in self.content if isinstance(p, VideoPart)]


#: The purposes the pipeline sends: `plan` (once per sample, when the task has a plan
#: prompt), round 0 asks to `generate`, the critic is asked to `critique` a round, and
#: every later round asks the generator to `revise`.
PURPOSES = ("plan", "generate", "critique", "revise")


class ModelRequest(BaseModel):
    """What a Model is asked. `purpose` (one of PURPOSES, or a metric's own, e.g. `codevqa`),
    `sample_id` and `round` say where in a run the request comes from: recorded-response
    models key on them, and logs are bound to them."""

    model_config = ConfigDict(extra="forbid")
    messages: list[Message]
    purpose: str = "generate"
    sample_id: str | None = None
    round: int = 0
    # Prior model output of this sample/round, for models that condition on more than messages.
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def images(self) -> list[ImagePart]:
        return [img for m in self.messages for img in m.images]

    @property
    def videos(self) -> list[VideoPart]:
        return [v for m in self.messages for v in m.videos]


class Usage(BaseModel):
    """Token counts and wall time of one or more model calls.

    `calls`, `input_tokens` and `output_tokens` count what this run asked a model for
    and was answered (what a provider bills). A completion served from the core's
    response cache costs nothing: it counts one `cache_hits` and moves the tokens it
    originally cost to `saved_input_tokens`/`saved_output_tokens`, so summing a run's
    usage gives both what it paid and what the cache saved. `retries` counts attempts
    that failed with a retryable error before the call succeeded."""

    model_config = ConfigDict(extra="forbid")
    input_tokens: int = 0
    output_tokens: int = 0
    calls: int = 0
    latency_s: float = 0.0
    cache_hits: int = 0
    saved_input_tokens: int = 0
    saved_output_tokens: int = 0
    retries: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(**{name: getattr(self, name) + getattr(other, name)
                        for name in type(self).model_fields})

    def served_from_cache(self, lookup_s: float) -> Usage:
        """This usage as it counts when the same answer comes from the response cache."""
        return Usage(cache_hits=1, saved_input_tokens=self.input_tokens,
                     saved_output_tokens=self.output_tokens, latency_s=lookup_s)


class Completion(BaseModel):
    """A model's answer: the text, what it cost, and which model gave it. `cached` is
    True when the core answered from its response cache and the model was not called."""

    model_config = ConfigDict(extra="forbid")
    text: str
    model: str = ""
    usage: Usage = Field(default_factory=lambda: Usage(calls=1))
    finish_reason: str | None = None
    cached: bool = False
