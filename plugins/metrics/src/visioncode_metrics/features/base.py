"""What the embedding metrics (siglip, dinov2, clip) share: options, finding and loading
the model once per process, batching, the reference-embedding cache, and the failure
policy.

A subclass says how to load its model (`load`), how to turn a batch of preprocessed
images into one vector each (`embed_pixels`), and how two vectors make its value
(`similarity`). Images reach the model the way they reach the pixel metrics: read as
RGB with any transparency composited over `background` (white, the renderers'
background), then handed to the model's own image processor (Pillow backend, as the
reference implementations used), which resizes and normalises them.

Per round, the render (or, with `images = "all"`, every still image and frame) and the
reference, when its embedding is not cached yet, go through the model in one batch of
at most `batch_size` images.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from PIL import Image, UnidentifiedImageError
from pydantic import Field

from visioncode import (
    ComponentContext,
    ComponentOptions,
    FailurePolicy,
    Metric,
    RoundRecord,
    Sample,
    Score,
)

from ..comparison import ImageComparisonMetric
from ..images import RGB, Colour, blank, load_rgb, parse_color
from .backend import Device, fingerprint, import_transformers, locate, select_device
from .embedding_cache import EmbeddingCache, image_key


class FeatureOptions(ComponentOptions):
    #: Hugging Face model id. Names the model, and finds it in the Hugging Face cache when
    #: `local_path` is not set (never downloaded).
    model: str
    #: A folder holding the model (config.json, weights, preprocessor_config.json); when
    #: set, it is used instead of the cache. Relative to the pipeline file.
    local_path: Path | None = None
    #: `auto` (CUDA, else Apple MPS, else CPU), or one of them explicitly.
    device: Device = "auto"
    #: Most images per forward pass.
    batch_size: int = Field(16, ge=1, le=4096)
    #: How a round that did not render is scored: `blank` embeds a blank canvas of the
    #: background colour at the reference's size; `worst` gives the value's lower bound;
    #: `exclude` gives None (left out of the mean).
    failure_policy: FailurePolicy
    #: The colour transparency is composited over, and the colour of the blank canvas.
    background: Colour = "#ffffff"
    #: `first`: score the rendering's first still image; `all`: the mean over every
    #: still image and video frame of the rendering (each one's value in the details).
    images: Literal["first", "all"] = "first"
    #: Keep reference-image embeddings on disk (under the visioncode cache folder) so
    #: later runs skip them.
    cache_embeddings: bool = True


@dataclass
class LoadedModel:
    """A model ready to embed, and what identifies it."""

    model: Any
    processor: Any
    tokenizer: Any | None
    device: str
    folder: Path
    fingerprint: str


def to_pil(pixels: np.ndarray) -> Image.Image:
    """Float RGB in [0, 1] back to 8-bit RGB (exact for images read from 8-bit files)."""
    return Image.fromarray(np.rint(np.clip(pixels, 0.0, 1.0) * 255.0).astype(np.uint8), "RGB")


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors, in float64."""
    a64, b64 = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = max(float(np.linalg.norm(a64) * np.linalg.norm(b64)), 1e-12)
    return float(np.dot(a64, b64) / denom)


def image_processor_kwargs(transformers: Any) -> dict[str, Any]:
    """Ask for the Pillow image processors (what the reference implementations ran; the
    torchvision ones resize slightly differently), in transformers 4 and 5 spelling."""
    major = int(transformers.__version__.split(".")[0])
    return {"backend": "pil"} if major >= 5 else {"use_fast": False}


def pooled(output: Any) -> Any:
    """`get_image_features`/`get_text_features` give a tensor in transformers 4 and an
    output whose `pooler_output` is that tensor in transformers 5."""
    return output if hasattr(output, "shape") else output.pooler_output


class FeatureMetric(Metric):
    """Base of metrics comparing embeddings of the render and of the reference."""

    Options = FeatureOptions
    options: FeatureOptions

    #: The key of the image-image value.
    key: ClassVar[str]
    #: The value the `worst` failure policy gives (the lower bound of the value's range).
    worst: ClassVar[float]

    def __init__(self, options: ComponentOptions | None = None,
                 context: ComponentContext | None = None) -> None:
        super().__init__(options, context)
        self._loaded: LoadedModel | None = None
        self._last_reference = "computed"
        self._lock = threading.Lock()
        if self.context.slot:
            # Inside a pipeline: a missing model, torch or device stops the run before any
            # sample.
            import_transformers()
            locate(self.options.model, self._local_path)
            select_device(self.options.device)

    # -- the model ------------------------------------------------------------------------

    @property
    def _local_path(self) -> Path | None:
        p = self.options.local_path
        return None if p is None else self.context.resolve_path(p)

    def load(self, folder: Path) -> tuple[Any, Any, Any | None]:
        """(model, image processor, tokenizer or None) from a model folder. The default
        (AutoModel + AutoImageProcessor, no tokenizer) serves SigLIP and DINOv2."""
        transformers = import_transformers()
        model = transformers.AutoModel.from_pretrained(folder)
        processor = transformers.AutoImageProcessor.from_pretrained(
            folder, **image_processor_kwargs(transformers))
        return model, processor, None

    @abstractmethod
    def embed_pixels(self, model: Any, pixel_values: Any) -> Any:
        """One vector per image of a preprocessed batch (a torch tensor [B, D])."""

    @abstractmethod
    def similarity(self, reference: np.ndarray, candidate: np.ndarray) -> float:
        """The metric's value for two embeddings."""

    def uses(self) -> tuple[Any, ...]:
        """How the metric uses the model, for the embedding cache's key."""
        return (type(self).__name__, self.options.background)

    @property
    def loaded(self) -> LoadedModel:
        with self._lock:
            if self._loaded is None:
                import_transformers()
                folder = locate(self.options.model, self._local_path)
                device = select_device(self.options.device)
                model, processor, tokenizer = self.load(folder)
                model = model.to(device).eval()
                self._loaded = LoadedModel(model=model, processor=processor,
                                           tokenizer=tokenizer, device=device, folder=folder,
                                           fingerprint=fingerprint(folder, *self.uses()))
            return self._loaded

    def embed_images(self, images: list[Image.Image]) -> np.ndarray:
        """Embeddings [N, D] (float32) of PIL images, `batch_size` at a time."""
        import torch

        lm = self.loaded
        out = []
        size = self.options.batch_size
        for start in range(0, len(images), size):
            batch = lm.processor(images=images[start:start + size], return_tensors="pt")
            pixels = batch["pixel_values"].to(lm.device)
            with torch.inference_mode():
                vectors = self.embed_pixels(lm.model, pixels)
            out.append(vectors.float().cpu().numpy())
        return np.concatenate(out, axis=0).astype(np.float32)

    def _cache(self) -> EmbeddingCache:
        root = self.context.cache_dir if self.options.cache_embeddings else None
        return EmbeddingCache(root, self.loaded.fingerprint)

    # -- scoring --------------------------------------------------------------------------

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        background = parse_color(self.options.background)
        reference_path = sample.target_image
        details: dict[str, Any] = {"model": self.options.model}
        reference: Image.Image | None = None
        if reference_path is None:
            details["reason"] = ("sample has no reference image (set image or "
                                 "reference_image in the dataset)")
        else:
            details["reference"] = str(reference_path)
            reference = to_pil(ImageComparisonMetric._load_reference(
                sample, reference_path, background))
        candidates, about = self._candidates(result, background)
        details.update(about)
        rendered = candidates is not None
        policy = self.options.failure_policy
        if candidates is None:
            if policy is FailurePolicy.exclude:
                return self._score(self.excluded_values(sample), False, details)
            if policy is FailurePolicy.worst:
                return self._score(self.worst_values(sample), False, details)
            size = reference.size if reference is not None else self._canvas(result)
            canvas = to_pil(blank(*size, background))
            details["compared_with"] = f"blank canvas {self.options.background}"
            candidates = [("blank", canvas)]
        ref_vec, cand_vecs = self._embed(reference, reference_path, candidates, background)
        details["device"] = self.loaded.device
        if reference is not None:
            details["reference_embedding"] = self._last_reference
        values = self.values_for(sample, ref_vec, cand_vecs, [c[0] for c in candidates],
                                 details)
        return self._score(values, rendered, details)

    def values_for(self, sample: Sample, reference: np.ndarray | None,
                   candidates: np.ndarray, labels: list[str],
                   details: dict[str, Any]) -> dict[str, float | None]:
        """The metric's values from the embeddings (the image-image value here)."""
        if reference is None:
            return {self.key: None}
        sims = [self.similarity(reference, c) for c in candidates]
        if len(sims) > 1:
            details["per_image"] = dict(zip(labels, sims, strict=True))
        return {self.key: float(np.mean(sims))}

    def excluded_values(self, sample: Sample) -> dict[str, float | None]:
        return {self.key: None}

    def worst_values(self, sample: Sample) -> dict[str, float | None]:
        return {self.key: self.worst if sample.target_image is not None else None}

    def higher_is_better(self) -> dict[str, bool]:
        return {self.key: True}

    def _score(self, values: dict[str, float | None], rendered: bool,
               details: dict[str, Any]) -> Score:
        return Score(metric=self.name, values=values, rendered=rendered,
                     policy=self.options.failure_policy,
                     higher_is_better=self.higher_is_better(), details=details)

    @staticmethod
    def _canvas(result: RoundRecord) -> tuple[int, int]:
        r = result.rendering
        if r is not None and r.width and r.height:
            return r.width, r.height
        return 512, 512

    def _candidates(self, result: RoundRecord, background: RGB,
                    ) -> tuple[list[tuple[str, Image.Image]] | None, dict[str, Any]]:
        """The render's images to score and `{"render": ...}`, or None and `{"failure"}`."""
        first, about = ImageComparisonMetric._load_render(result, background)
        if first is None:
            return None, about
        assert result.rendering is not None and result.rendering.image is not None
        images = [(str(result.rendering.image), to_pil(first))]
        if self.options.images == "all":
            rest = [*result.rendering.images[1:], *result.rendering.frames]
            for path in rest:
                try:
                    images.append((str(path), to_pil(load_rgb(path, background))))
                except (OSError, UnidentifiedImageError) as exc:
                    about.setdefault("unreadable", []).append(f"{path}: {exc}")
        return images, about

    def _embed(self, reference: Image.Image | None, reference_path: Path | None,
               candidates: list[tuple[str, Image.Image]], background: RGB,
               ) -> tuple[np.ndarray | None, np.ndarray]:
        """Embeddings of the reference (from the cache when there) and the candidates,
        in one batched pass."""
        cache = self._cache()
        ref_vec = key = None
        if reference is not None and reference_path is not None:
            key = image_key(reference_path, background)
            ref_vec = cache.get(key)
            self._last_reference = "cache" if ref_vec is not None else "computed"
        batch = [img for _, img in candidates]
        if reference is not None and ref_vec is None:
            batch.append(reference)
        vectors = self.embed_images(batch)
        if reference is not None and ref_vec is None:
            ref_vec = vectors[-1]
            vectors = vectors[:-1]
            if key is not None:
                cache.put(key, ref_vec)
        return ref_vec, vectors
