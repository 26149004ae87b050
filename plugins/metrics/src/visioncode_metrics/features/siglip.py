"""SigLIP image-image similarity, as VCode reports it.

Source: VCode (Lin et al., 2025, "VCode: a Multimodal Coding Benchmark with SVG as
Symbolic Visual Representation"), reference implementation `evaluation/metrics.py` of
github.com/CSU-JPG/VCode: `SiglipModel`/`SiglipProcessor` from
`google/siglip2-so400m-patch14-384`, `get_image_features` of each image, L2-normalised,
cosine similarity. The value is cos(e_ref, e_render) in [-1, 1], higher is better.

VCode averages over the renders that exist (a failed SVG has no render and is left out:
the success rate is reported beside), so the default failure policy is `exclude`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from visioncode import FailurePolicy

from .base import FeatureMetric, FeatureOptions, cosine, pooled

#: VCode's checkpoint.
SIGLIP_MODEL = "google/siglip2-so400m-patch14-384"


class SiglipOptions(FeatureOptions):
    #: Hugging Face model id (VCode: google/siglip2-so400m-patch14-384). Names the model
    #: and finds it in the Hugging Face cache when `local_path` is not set.
    model: str = SIGLIP_MODEL
    #: `exclude` (VCode: failed renders are left out of the mean), `blank` or `worst` (-1).
    failure_policy: FailurePolicy = FailurePolicy.exclude


class Siglip(FeatureMetric):
    """`siglip`: cosine similarity of SigLIP image embeddings of the render and the
    reference (VCode), in [-1, 1], higher is better."""

    Options = SiglipOptions
    options: SiglipOptions

    key = "siglip"
    worst = -1.0

    def embed_pixels(self, model: Any, pixel_values: Any) -> Any:
        return pooled(model.get_image_features(pixel_values=pixel_values))

    def similarity(self, reference: np.ndarray, candidate: np.ndarray) -> float:
        return cosine(reference, candidate)
