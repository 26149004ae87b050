"""How to render (RenderSpec) and what a render produced (Rendering)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class RenderSpec(BaseModel):
    """The canvas every renderer honours, so swapping renderers changes nothing else.

    `fit`: `contain` keeps the program's aspect ratio and centres it on the canvas,
    `stretch` scales each axis to fill it. `background` None means transparent.
    `scale` multiplies width and height (device pixel ratio)."""

    model_config = ConfigDict(extra="forbid")
    width: int = Field(512, ge=1, le=16384)
    height: int = Field(512, ge=1, le=16384)
    fit: Literal["contain", "stretch"] = "contain"
    background: str | None = "#ffffff"
    scale: float = Field(1.0, gt=0, le=16)
    fps: int | None = Field(None, ge=1, le=240)
    frames: int | None = Field(None, ge=1)
    camera: dict[str, Any] | None = None

    @property
    def pixel_size(self) -> tuple[int, int]:
        return round(self.width * self.scale), round(self.height * self.scale)


class Rendering(BaseModel):
    """Pixels from one execution: still images (the first is the primary one), and for
    animations a video and its frames. A failed render carries `status` and `error`."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["ok", "error", "timeout"]
    renderer: str
    renderer_version: str = ""
    images: list[Path] = Field(default_factory=list)
    video: Path | None = None
    frames: list[Path] = Field(default_factory=list)
    width: int | None = None
    height: int | None = None
    duration_s: float = 0.0
    error: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok" and bool(self.images or self.video)

    @property
    def image(self) -> Path | None:
        return self.images[0] if self.images else None


class PromptedImage(BaseModel):
    """A rendering with visual prompts drawn on it, and the legend a model can cite
    ("the circle is in cell D2")."""

    model_config = ConfigDict(extra="forbid")
    image: Path
    legend: str
    marks: list[dict[str, Any]] = Field(default_factory=list)
