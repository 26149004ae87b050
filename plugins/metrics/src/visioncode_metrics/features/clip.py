"""CLIP similarity of the render to the reference image, and to the sample's text.

- `clip_image`: cosine similarity of the CLIP image embeddings of the render and the
  reference, times `image_scale` (default 1: the raw cosine in [-1, 1], as Design2Code's
  CLIP similarity, `metrics/visual_score.py` of github.com/NoviScl/Design2Code, which
  reports it with ViT-B/32 after its own text-inpainting step that is not done here).
- `clip_text`: CLIPScore of the render against the sample's text, `text_scale` x cosine
  of the image and text embeddings (default 100, the torchmetrics CLIPScore convention
  StarVector's `starvector/metrics/compute_clip_score.py` of github.com/joanrod/star-vector
  uses, per sample and without clamping at 0; Hessel et al., 2021 define CLIP-S with
  w = 2.5 and max(cos, 0)). The text is truncated to CLIP's 77 tokens.

Model: `openai/clip-vit-base-patch32` (StarVector's and Design2Code's ViT-B/32).
Failure policy: `blank` by default (StarVector scores a failed SVG as a blank image).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from visioncode import FailurePolicy, Sample

from .backend import import_transformers
from .base import FeatureMetric, FeatureOptions, cosine, image_processor_kwargs, pooled

CLIP_MODEL = "openai/clip-vit-base-patch32"


class ClipOptions(FeatureOptions):
    #: Hugging Face model id (StarVector, Design2Code: openai/clip-vit-base-patch32).
    #: Names the model and finds it in the Hugging Face cache when `local_path` is not set.
    model: str = CLIP_MODEL
    #: `blank` (StarVector), `worst` (-scale) or `exclude`.
    failure_policy: FailurePolicy = FailurePolicy.blank
    #: Where the text for `clip_text` comes from: `text` (the sample's text) or
    #: `meta.KEY` (a field of the sample's meta). No text: `clip_text` is None.
    text_from: str = "text"
    #: `clip_image` = image_scale x cosine (1: the raw cosine, as Design2Code).
    image_scale: float = Field(1.0, gt=0)
    #: `clip_text` = text_scale x cosine (100: CLIPScore as torchmetrics and StarVector).
    text_scale: float = Field(100.0, gt=0)


class Clip(FeatureMetric):
    """`clip`: CLIP image-image similarity to the reference (`clip_image`) and CLIPScore
    against the sample's text (`clip_text`), higher is better."""

    Options = ClipOptions
    options: ClipOptions

    key = "clip_image"
    text_key = "clip_text"
    worst = -1.0  # times the scale, see worst_values

    def load(self, folder: Path) -> tuple[Any, Any, Any | None]:
        transformers = import_transformers()
        model = transformers.AutoModel.from_pretrained(folder)
        processor = transformers.AutoImageProcessor.from_pretrained(
            folder, **image_processor_kwargs(transformers))
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
        return model, processor, tokenizer

    def embed_pixels(self, model: Any, pixel_values: Any) -> Any:
        return pooled(model.get_image_features(pixel_values=pixel_values))

    def embed_text(self, text: str) -> np.ndarray:
        import torch

        lm = self.loaded
        assert lm.tokenizer is not None, "CLIP's loader always returns its tokenizer"
        limit = getattr(lm.model.config.text_config, "max_position_embeddings", 77)
        tokens = lm.tokenizer([text], padding=True, truncation=True, max_length=limit,
                              return_tensors="pt")
        with torch.inference_mode():
            vector = pooled(lm.model.get_text_features(
                input_ids=tokens["input_ids"].to(lm.device),
                attention_mask=tokens["attention_mask"].to(lm.device)))
        return vector[0].float().cpu().numpy()

    def similarity(self, reference: np.ndarray, candidate: np.ndarray) -> float:
        return self.options.image_scale * cosine(reference, candidate)

    def text_of(self, sample: Sample) -> str | None:
        source = self.options.text_from
        if source == "text":
            return sample.text or None
        key = source.removeprefix("meta.")
        value = sample.meta.get(key)
        return str(value) if value not in (None, "") else None

    def values_for(self, sample: Sample, reference: np.ndarray | None,
                   candidates: np.ndarray, labels: list[str],
                   details: dict[str, Any]) -> dict[str, float | None]:
        values = super().values_for(sample, reference, candidates, labels, details)
        text = self.text_of(sample)
        if text is None:
            details["text_reason"] = f"sample has no text ({self.options.text_from})"
            values[self.text_key] = None
        else:
            t = self.embed_text(text)
            sims = [self.options.text_scale * cosine(t, c) for c in candidates]
            if len(sims) > 1:
                details["per_image_text"] = dict(zip(labels, sims, strict=True))
            values[self.text_key] = float(np.mean(sims))
        return values

    def excluded_values(self, sample: Sample) -> dict[str, float | None]:
        return {self.key: None, self.text_key: None}

    def worst_values(self, sample: Sample) -> dict[str, float | None]:
        return {
            self.key: -self.options.image_scale if sample.target_image is not None else None,
            self.text_key: -self.options.text_scale if self.text_of(sample) else None,
        }

    def higher_is_better(self) -> dict[str, bool]:
        return {self.key: True, self.text_key: True}
