"""Inputs shared by the parity tests and by the script that ran the original code on them
(`tests/parity/README.md` says how). Everything here is deterministic: images drawn with
Pillow from fixed shapes, tiny models built from configs under a fixed seed.

A uniquely named module, so it cannot clash with other test folders' helpers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

#: Image pairs (name -> reference, candidate): identical, a shape moved, colours changed,
#: noise added, a different picture, and a pair of different sizes (embedding metrics only).
PAIRS = ("identical", "moved", "recoloured", "noisy", "different", "resized")


def _scene(size: tuple[int, int], *, dx: int = 0, fill: str = "#d62728",
           second: str = "#1f77b4", text: bool = True) -> Image.Image:
    w, h = size
    im = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(im)
    d.rectangle([w // 8 + dx, h // 6, w // 2 + dx, h // 2], fill=fill)
    d.ellipse([w // 2, h // 2, w - w // 8, h - h // 10], fill=second)
    d.line([0, h - 3, w - 1, 2], fill="black", width=2)
    if text:
        d.text((4, 2), "vc", fill="black")
    return im


def pair(name: str) -> tuple[Image.Image, Image.Image]:
    """The (reference, candidate) images of a named pair, RGB."""
    size = (64, 48)
    ref = _scene(size)
    if name == "identical":
        return ref, _scene(size)
    if name == "moved":
        return ref, _scene(size, dx=9)
    if name == "recoloured":
        return ref, _scene(size, fill="#2ca02c", second="#ff7f0e")
    if name == "noisy":
        rng = np.random.default_rng(7)
        noise = rng.integers(-40, 41, size=(size[1], size[0], 3))
        arr = np.clip(np.asarray(ref, dtype=np.int64) + noise, 0, 255).astype(np.uint8)
        return ref, Image.fromarray(arr, "RGB")
    if name == "different":
        other = Image.new("RGB", size, "#fafad2")
        d = ImageDraw.Draw(other)
        for i in range(0, size[0], 8):
            d.rectangle([i, 0, i + 3, size[1]], fill="#333333")
        return ref, other
    if name == "resized":
        return ref, _scene((80, 80), text=False)
    raise KeyError(name)


def write_pairs(folder: Path, names: tuple[str, ...] = PAIRS) -> dict[str, tuple[Path, Path]]:
    """Each pair saved as PNG: folder/ref/<name>.png and folder/gen/<name>.png."""
    out = {}
    for name in names:
        ref, gen = pair(name)
        (folder / "ref").mkdir(parents=True, exist_ok=True)
        (folder / "gen").mkdir(parents=True, exist_ok=True)
        rp, gp = folder / "ref" / f"{name}.png", folder / "gen" / f"{name}.png"
        ref.save(rp)
        gen.save(gp)
        out[name] = (rp, gp)
    return out


VISION = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
          "num_attention_heads": 2, "image_size": 32, "patch_size": 8}
TEXT = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 2, "max_position_embeddings": 16, "vocab_size": 64}


def make_siglip(folder: Path) -> Path:
    """A random SigLIP (seed 0) with its Pillow image processor."""
    import torch
    from transformers import SiglipConfig, SiglipImageProcessor, SiglipModel

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    SiglipModel(SiglipConfig(vision_config=VISION, text_config=TEXT)).save_pretrained(folder)
    SiglipImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


def make_dinov2(folder: Path) -> Path:
    """A random DINOv2 (seed 1) with DINOv2's preprocessing (shortest edge, centre crop,
    ImageNet statistics), scaled down."""
    import torch
    from transformers import BitImageProcessor, Dinov2Config, Dinov2Model

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(1)
    Dinov2Model(Dinov2Config(**VISION)).save_pretrained(folder)
    BitImageProcessor(size={"shortest_edge": 40}, crop_size={"height": 32, "width": 32},
                      do_center_crop=True, image_mean=[0.485, 0.456, 0.406],
                      image_std=[0.229, 0.224, 0.225]).save_pretrained(folder)
    return folder


def expected(name: str) -> dict[str, Any]:
    """A stored record of the original code's outputs (tests/parity/data/<name>.json)."""
    return json.loads((DATA / f"{name}.json").read_text())


def _b(text: str, x: float, y: float, w: float, h: float,
       color: tuple[int, int, int] = (0, 0, 0)) -> dict[str, Any]:
    return {"text": text, "bbox": (x, y, w, h), "color": color}


_PAGE = [
    _b("welcome to our store", 0.1, 0.05, 0.5, 0.06, (20, 20, 20)),
    _b("fresh fruit every day", 0.1, 0.15, 0.4, 0.04, (90, 90, 90)),
    _b("apples", 0.1, 0.3, 0.1, 0.03, (200, 30, 30)),
    _b("pears", 0.3, 0.3, 0.1, 0.03, (30, 160, 30)),
    _b("contact us at the market", 0.1, 0.8, 0.45, 0.04, (10, 10, 200)),
]

#: Design2Code block lists (prediction, reference), boxes as page fractions, lower-cased
#: text: the scoring steps after block detection, case by case.
BLOCK_CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "identical": (_PAGE, _PAGE),
    "text_changed": ([_b("welcome to my shop", 0.1, 0.05, 0.45, 0.06, (20, 20, 20)),
                      *_PAGE[1:]], _PAGE),
    "split_line": ([_b("welcome to", 0.1, 0.05, 0.22, 0.06, (20, 20, 20)),
                    _b("our store", 0.34, 0.05, 0.2, 0.06, (20, 20, 20)), *_PAGE[1:]], _PAGE),
    "moved_recoloured": ([{**b, "bbox": (b["bbox"][0] + 0.2, b["bbox"][1] + 0.05,
                                         *b["bbox"][2:]), "color": (b["color"][2],
                                                                    b["color"][0], 120)}
                          for b in _PAGE], _PAGE),
    "missing_block": ([_PAGE[0], _PAGE[1], _PAGE[4]], _PAGE),
    "same_box_twice": ([*_PAGE[:2], _b("apples", 0.1, 0.3, 0.1, 0.03, (200, 30, 30)),
                        _b("and more", 0.1, 0.3, 0.1, 0.03, (100, 30, 30)), *_PAGE[3:]], _PAGE),
    "list_items": ([_b(f"item number {i}", 0.1, 0.1 * i, 0.3, 0.04) for i in range(1, 7)],
                   [_b(f"item number {i}", 0.12, 0.1 * i + 0.01, 0.3, 0.04)
                    for i in (1, 2, 4, 3, 5, 6)]),
    "no_match": ([_b("zzz qqq", 0.2, 0.2, 0.2, 0.05)], _PAGE),
    "no_prediction_text": ([], _PAGE),
}


_STYLE = ("<style>body{margin:24px;font-family:sans-serif;background:#fdfdf8}"
          "h1{color:#1f3b70;font-size:32px}.card{width:360px;padding:12px;margin:8px 0;"
          "background:#e8eef8}.note{color:#8a2be2}</style>")


def _page(title: str = "Fresh fruit market", intro: str = "Apples and pears every day.",
          cards: tuple[str, ...] = ("Opening hours: 8 to 18", "Find us by the river"),
          h1: str = "#1f3b70", note: str = "#8a2be2", move: int = 0) -> str:
    items = "".join(f"<div class='card'>{c}</div>" for c in cards)
    return (f"<html><head>{_STYLE}</head><body><h1 style='color:{h1}'>{title}</h1>"
            f"<p style='margin-left:{move}px'>{intro}</p>{items}"
            f"<p class='note' style='color:{note}'>Call 555 0100</p></body></html>")


#: Design2Code page pairs (prediction HTML, reference HTML), scored by the whole
#: protocol: Chromium screenshots, block detection and scoring.
PAGES: dict[str, tuple[str, str]] = {
    "identical": (_page(), _page()),
    "text_changed": (_page(title="FRESH FRUIT STORE"), _page()),
    "block_moved": (_page(move=300), _page()),
    "colours_changed": (_page(h1="#c0392b", note="#27ae60"), _page()),
    "block_missing": (_page(cards=("Opening hours: 8 to 18",)), _page()),
    "different_page": ("<html><body style='font-family:serif'><h2>Login</h2><form>"
                       "<button>Sign in</button></form></body></html>", _page()),
}


#: HTML documents for Design2Code's page preparation (clean-up, colour coding, text and
#: colour extraction), compared as strings.
HTML_CASES: dict[str, str] = {
    "page": _page(),
    "fragment": "<h1>Just a heading</h1> and some <b>bold</b> text",
    "styled": ("<html><body><div style='color: red; background-color: blue;'>Red "
               "<span style='color:rgb(0, 128, 0)'>green</span><!-- hidden --></div>"
               "<p style='color: navy'>Navy <a href='#'>link</a></p></body></html>"),
    "repeated": ("<html><body>" + "".join(f"<p>Row of the table number {i % 3} with the same "
                                        "words again and again and again.</p>"
                                        for i in range(40)) + "</body></html>"),
    "many_elements": "<html><body>" + "<li>same</li>" * 60 + "</body></html>",
}


#: ChartMimic program pairs from examples/chart2code: name -> (sample id, generated
#: program). "answer" is the example's replayed answer for that sample; "retitled" is the
#: reference with the edits of CHART_RETITLE.
CHART_EXAMPLE = HERE.parents[1] / "examples" / "chart2code"
CHART_PAIRS = {"identical": ("grouped-bar", "answer"),
               "recoloured-bar": ("bar-sales", "answer"),
               "recoloured-line": ("line-temperature", "answer"),
               "recoloured-pie": ("pie-browsers", "answer"),
               "missing-panel": ("subplots-2x2", "answer"),
               "changed-text": ("line-temperature", "retitled")}
CHART_RETITLE = (('"Mean monthly temperature"', '"Average monthly temperature"'),
                 ('label="Rome"', 'label="Madrid"'))
#: Colour pairs whose similarity is compared on its own (`calculate_similarity_single`):
#: the recolourings above, black and white, and hues more than 180 degrees apart.
COLOUR_PAIRS = (("#4C72B0", "#000000"), ("#1F77B4", "#000000"), ("#D62728", "#7F7F7F"),
                ("#4285F4", "#17BECF"), ("#000000", "#FFFFFF"), ("#F1BCB0", "#C53EDF"),
                ("#FF0000", "#0000FF"), ("#00FF00", "#FF00FF"))


def chart_pairs() -> dict[str, tuple[str, str]]:
    """name -> (golden program, generated program), as source text."""
    import re

    answers = {}
    for line in (CHART_EXAMPLE / "replay" / "answers.jsonl").read_text().splitlines():
        row = json.loads(line)
        code = re.search(r"```python\n(.*?)```", row["text"], re.S)
        if code:
            answers[row["sample_id"]] = code.group(1)
    out = {}
    for name, (sample, how) in CHART_PAIRS.items():
        golden = (CHART_EXAMPLE / "dataset" / "programs" / f"{sample}.py").read_text()
        generated = answers[sample] if how == "answer" else golden
        if how == "retitled":
            for old, new in CHART_RETITLE:
                assert old in generated, (sample, old)
                generated = generated.replace(old, new)
        out[name] = (golden, generated)
    return out
