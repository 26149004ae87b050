"""Tiny random models for the feature-metric tests, built from configs and saved with
`save_pretrained` (nothing is downloaded), and a Hugging Face cache populated by hand.
(A uniquely named module, so it cannot clash with other test folders' helpers.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

VISION = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
          "num_attention_heads": 2, "image_size": 32, "patch_size": 8}
TEXT = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 2, "max_position_embeddings": 16}


def _byte_chars() -> list[str]:
    """GPT-2's printable stand-ins for the 256 byte values (what byte-level BPE uses)."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
            *range(ord("®"), ord("ÿ") + 1)]
    chars, extra = list(keep), 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return [chr(c) for c in chars]


def write_clip_tokenizer(folder: Path) -> int:
    """A character-level CLIP tokenizer (no merges) in `folder`; returns its vocab size."""
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for suffix in ("", "</w>"):
        for c in _byte_chars():
            vocab[c + suffix] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    (folder / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "CLIPTokenizer", "model_max_length": TEXT["max_position_embeddings"]}))
    return len(vocab)


def make_siglip(folder: Path) -> Path:
    import torch
    from transformers import SiglipConfig, SiglipImageProcessor, SiglipModel

    torch.manual_seed(0)
    SiglipModel(SiglipConfig(vision_config=VISION, text_config={**TEXT, "vocab_size": 64})
                ).save_pretrained(folder)
    SiglipImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


def make_dinov2(folder: Path) -> Path:
    import torch
    from transformers import BitImageProcessor, Dinov2Config, Dinov2Model

    torch.manual_seed(1)
    Dinov2Model(Dinov2Config(**VISION)).save_pretrained(folder)
    # DINOv2's own preprocessing: shortest edge 256 -> centre crop 224, scaled down.
    BitImageProcessor(size={"shortest_edge": 40}, crop_size={"height": 32, "width": 32},
                      do_center_crop=True, image_mean=[0.485, 0.456, 0.406],
                      image_std=[0.229, 0.224, 0.225]).save_pretrained(folder)
    return folder


def make_clip(folder: Path) -> Path:
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    folder.mkdir(parents=True, exist_ok=True)
    vocab = write_clip_tokenizer(folder)
    torch.manual_seed(2)
    CLIPModel(CLIPConfig(
        vision_config=VISION,
        text_config={**TEXT, "vocab_size": vocab, "bos_token_id": 0, "eos_token_id": 1,
                     "pad_token_id": 1},
        projection_dim=16)).save_pretrained(folder)
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
                       ).save_pretrained(folder)
    return folder


def populate_hub_cache(hub: Path, model_id: str, folder: Path) -> Path:
    """Put a model folder into a Hugging Face hub cache the way a download leaves it."""
    repo = hub / ("models--" + model_id.replace("/", "--"))
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = repo / "snapshots" / commit
    shutil.copytree(folder, snapshot)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot


def picture(path: Path, *, offset: int = 0, colour: tuple[int, int, int] = (30, 90, 200),
            size: tuple[int, int] = (48, 40)) -> Path:
    img = Image.new("RGB", size, "white")
    ImageDraw.Draw(img).ellipse((8 + offset, 6, 30 + offset, 30), fill=colour)
    img.save(path)
    return path


def rgb(path: Path) -> Image.Image:
    return Image.open(path).convert("RGB")


def cos(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
