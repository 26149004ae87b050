"""Feature-similarity metrics from local weights: SigLIP, DINOv2, CLIP and LPIPS.

They need the optional extra (`pip install "visioncode-metrics[features]"`: torch and
transformers), imported only when a metric is built, so listing plugins stays fast.
Weights come from a local folder (`local_path`) or an already-populated Hugging Face
cache; nothing is ever downloaded. See docs/metrics/ for each metric's formula, source
and failure policy.
"""
