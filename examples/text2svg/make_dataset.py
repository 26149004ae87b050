"""Build the text2svg example dataset: 10 descriptions of the img2svg example's icons,
written for this project, each with the icon's SVG as the reference program and its
render as the reference image; and the recorded answers (replay/answers.jsonl) that let
`pipeline.toml` run offline.

    python examples/text2svg/make_dataset.py [--out examples/text2svg]

The icons, their questions and the renders come from `examples/img2svg/make_dataset.py`
(everything there is drawn by the project). The recorded answers are SVGs written for
this example the way models answer: most in a fenced block, some with prose around them,
one with a stray `&`, one cut off mid-tag, one refusal. Renders go through visioncode's
own `svg` executor and `cairosvg` renderer.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import tempfile
from pathlib import Path

from visioncode import ComponentContext, RenderSpec
from visioncode.registry import load

HERE = Path(__file__).parent
NS = 'xmlns="http://www.w3.org/2000/svg"'

DESCRIPTIONS = {
    "house": "A simple house: an orange square body under a red triangular roof, with a "
             "dark blue door in the middle of the front.",
    "sun": "A yellow sun: a circle in the centre with eight short orange rays around it.",
    "flag": "A flag on a dark pole at the left, with three horizontal stripes: red at the "
            "top, white in the middle, blue at the bottom.",
    "target": "A target of concentric circles, alternating red and white, with a white "
              "bullseye.",
    "tree": "A tree: a green triangle above a short brown trunk.",
    "heart": "A single pink-red heart filling most of the picture.",
    "star": "A five-pointed yellow star with an orange outline.",
    "cloud": "A light blue, puffy cloud made of overlapping round shapes.",
    "battery": "A battery icon lying on its side, outlined in dark blue, with a terminal "
               "on the right and a green charge level about two thirds full.",
    "traffic-light": "A traffic light: a dark rounded rectangle with three round lights, "
                     "red at the top, yellow in the middle, green at the bottom.",
}

# What a model might answer, per icon (see the module docstring).
ANSWERS = {
    "house": f"""```svg
<svg viewBox="0 0 100 100" {NS}>
  <rect x="20" y="45" width="60" height="45" fill="#f4a261"/>
  <polygon points="12,48 50,14 88,48" fill="#e63946"/>
  <rect x="43" y="62" width="14" height="28" fill="#264653"/>
</svg>
```""",
    "sun": f"""Here is the sun:

```svg
<svg viewBox="0 0 100 100" {NS}>
  <g fill="#f4a261">
    {"".join(f'<rect x="47" y="6" width="6" height="16" transform="rotate({a} 50 50)"/>'
             for a in range(0, 360, 45))}
  </g>
  <circle cx="50" cy="50" r="22" fill="#e9c46a"/>
</svg>
```

Eight rays surround the circle.""",
    "flag": f"""<svg viewBox="0 0 120 100" {NS}>
<rect x="10" y="8" width="5" height="86" fill="#264653"/>
<rect x="15" y="10" width="90" height="18" fill="#e63946"/>
<rect x="15" y="28" width="90" height="18" fill="#ffffff" stroke="#dddddd" stroke-width="0.5"/>
<rect x="15" y="46" width="90" height="18" fill="#457b9d"/>
</svg>""",
    "target": f"""```svg
<svg viewBox="0 0 100 100" {NS}>
<circle cx="50" cy="50" r="45" fill="#e63946"/><circle cx="50" cy="50" r="34" fill="#fff"/>
<circle cx="50" cy="50" r="23" fill="#e63946"/><circle cx="50" cy="50" r="11" fill="#fff"/>
</svg>
```""",
    "tree": f"""```svg
<svg viewBox="0 0 100 100" {NS}>
  <rect x="45" y="62" width="10" height="28" fill="#8d5524"/>
  <polygon points="50,8 80,66 20,66" fill="#2a9d8f"/>
</svg>
```""",
    "heart": f"""```svg
<svg viewBox="0 0 100 100" {NS}>
  <title>Heart & soul</title>
  <path d="M50 85 C 15 60 15 28 34 24 C 43 22 48 28 50 34
           C 52 28 57 22 66 24 C 85 28 85 60 50 85 Z" fill="#ef476f"/>
</svg>
```""",
    "star": f"""```svg
<svg viewBox="0 0 100 100" {NS}>
  <polygon points="50,6 61,38 95,38 67,58 78,92 50,71 22,92 33,58 5,38 39,38"
           fill="#e9c46a" stroke="#f4a261" stroke-width="2"/>
</svg>
```""",
    "cloud": "I'm sorry, but I can only describe clouds in words.",
    "battery": f"""```svg
<svg viewBox="0 0 100 60" {NS}>
  <rect x="5" y="10" width="80" height="40" rx="5" fill="none" stroke="#264653" stroke-width="4"/>
  <rect x="85" y="22" width="8" height="16" fill="#264653"/>
  <rect x="11" y="16" width="46" height="28" fill="#06d6a0"/>
</svg>
```""",
    "traffic-light": f"""```svg
<svg viewBox="0 0 60 140" {NS}>
  <rect x="5" y="5" width="50" height="130" rx="10" fill="#264653"/>
  <circle cx="30" cy="30" r="14" fill="#e63946"/>
  <circle cx="30" cy="70" r="14" fill="#e9c46a"/>
  <circle cx="30" cy="110" r""",
}


def img2svg_module():  # the icons live in the img2svg example's builder
    path = HERE.parent / "img2svg" / "make_dataset.py"
    spec = importlib.util.spec_from_file_location("img2svg_make_dataset", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(out: Path) -> int:
    icons = img2svg_module()
    executor = load("executor", "svg")(context=ComponentContext(name="svg"))
    renderer = load("renderer", "cairosvg")(context=ComponentContext(name="cairosvg"))
    data = out / "dataset"
    (data / "images").mkdir(parents=True, exist_ok=True)
    (data / "svg").mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for name, text in DESCRIPTIONS.items():
            sid = f"icon-{name}"
            svg = icons.svg_document(icons.ICONS[name])
            (data / "svg" / f"{sid}.svg").write_text(svg)
            with tempfile.TemporaryDirectory() as tmp:
                execution = executor.execute(svg, Path(tmp))
                rendering = renderer.render(execution, RenderSpec(width=256, height=256),
                                            Path(tmp))
                if not rendering.ok or rendering.image is None:
                    raise SystemExit(f"{sid}: {rendering.error}")
                (data / "images" / f"{sid}.png").write_bytes(rendering.image.read_bytes())
            rows.append({"id": sid, "text": text, "reference_image": f"images/{sid}.png",
                         "reference_program": f"svg/{sid}.svg",
                         "meta": {"subset": "icon", "questions": icons.ICON_QUESTIONS[name]}})
    finally:
        renderer.close()
    (data / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (out / "replay").mkdir(exist_ok=True)
    (out / "replay" / "answers.jsonl").write_text("".join(
        json.dumps({"sample_id": f"icon-{name}", "text": answer}) + "\n"
        for name, answer in ANSWERS.items()))
    return len(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    print(f"wrote {build(args.out)} samples to {args.out / 'dataset'}")
