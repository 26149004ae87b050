"""DINOv2 score, as StarVector defines it.

Source: StarVector (Rodriguez et al., CVPR 2025, "StarVector: Generating Scalable Vector
Graphics Code from Images and Text"), reference implementation
`starvector/metrics/compute_dino_score.py` of github.com/joanrod/star-vector:
`facebook/dinov2-base` through `AutoModel`/`AutoImageProcessor`, the features of an image
are the mean over tokens of `last_hidden_state` (CLS and patch tokens), and the score is
(cos(f_ref, f_render) + 1) / 2, in [0, 1], higher is better.

StarVector scores an SVG that does not render as a blank (white) image, so the default
failure policy is `blank`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from visioncode import FailurePolicy

from .base import FeatureMetric, FeatureOptions, cosine

#: StarVector's checkpoint.
DINOV2_MODEL = "facebook/dinov2-base"


class Dinov2Options(FeatureOptions):
    #: Hugging Face model id (StarVector: facebook/dinov2-base). Names the model and finds
    #: it in the Hugging Face cache when `local_path` is not set.
    model: str = DINOV2_MODEL
    #: `blank` (StarVector: a failed SVG is scored as a blank canvas), `worst` (0) or
    #: `exclude`.
    failure_policy: FailurePolicy = FailurePolicy.blank


class Dinov2(FeatureMetric):
    """`dinov2`: StarVector's DINO score, (cos + 1) / 2 of mean-pooled DINOv2 last hidden
    states of the render and the reference, in [0, 1], higher is better."""

    Options = Dinov2Options
    options: Dinov2Options

    key = "dinov2"
    worst = 0.0

    def embed_pixels(self, model: Any, pixel_values: Any) -> Any:
        return model(pixel_values=pixel_values).last_hidden_state.mean(dim=1)

    def similarity(self, reference: np.ndarray, candidate: np.ndarray) -> float:
        return (cosine(reference, candidate) + 1.0) / 2.0
