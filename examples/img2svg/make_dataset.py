"""Build the img2svg example dataset: 32 SVG shapes and icons drawn by this script, each
rendered to a 256x256 PNG (the model's input and the reference) with its SVG kept beside
it as ground truth, and questions about each picture with their answers
(`meta.questions`, for the `codevqa` metric: multiple choice with a letter key, or open
with the accepted answers).

    python examples/img2svg/make_dataset.py [--out examples/img2svg/dataset]

Everything here is generated, so the dataset carries no third-party content. Renders go
through visioncode's own `svg` executor and `cairosvg` renderer.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

from visioncode import ComponentContext, RenderSpec
from visioncode.registry import load

PALETTE = ["#e63946", "#f4a261", "#2a9d8f", "#264653", "#e9c46a", "#457b9d", "#8338ec",
           "#ff006e", "#3a86ff", "#06d6a0", "#118ab2", "#ef476f"]

ICONS: dict[str, str] = {
    "house": '<rect x="56" y="120" width="144" height="100" fill="#f4a261"/>'
             '<polygon points="40,124 128,44 216,124" fill="#e63946"/>'
             '<rect x="112" y="160" width="32" height="60" fill="#264653"/>',
    "sun": '<circle cx="128" cy="128" r="52" fill="#e9c46a"/>'
           + "".join(f'<rect x="122" y="24" width="12" height="36" fill="#f4a261" '
                     f'transform="rotate({a} 128 128)"/>' for a in range(0, 360, 45)),
    "flag": '<rect x="48" y="40" width="10" height="180" fill="#264653"/>'
            '<rect x="58" y="44" width="140" height="40" fill="#e63946"/>'
            '<rect x="58" y="84" width="140" height="40" fill="#ffffff"/>'
            '<rect x="58" y="124" width="140" height="40" fill="#457b9d"/>',
    "target": "".join(f'<circle cx="128" cy="128" r="{r}" fill="{c}"/>' for r, c in
                      [(100, "#e63946"), (75, "#ffffff"), (50, "#e63946"), (25, "#ffffff")]),
    "tree": '<rect x="116" y="160" width="24" height="64" fill="#8d5524"/>'
            '<polygon points="128,28 200,168 56,168" fill="#2a9d8f"/>',
    "heart": '<path d="M128 212 C 40 150 40 70 88 60 C 110 56 124 70 128 84 C 132 70 146 56 '
             '168 60 C 216 70 216 150 128 212 Z" fill="#ef476f"/>',
    "star": '<polygon points="128,28 152,100 228,100 166,144 190,218 128,174 66,218 90,144 '
            '28,100 104,100" fill="#e9c46a" stroke="#f4a261" stroke-width="4"/>',
    "cloud": '<ellipse cx="128" cy="140" rx="88" ry="44" fill="#a8dadc"/>'
             '<circle cx="96" cy="116" r="40" fill="#a8dadc"/>'
             '<circle cx="150" cy="104" r="50" fill="#a8dadc"/>',
    "battery": '<rect x="40" y="84" width="160" height="88" rx="12" fill="none" '
               'stroke="#264653" stroke-width="10"/><rect x="200" y="108" width="16" '
               'height="40" fill="#264653"/><rect x="56" y="100" width="90" height="56" '
               'fill="#06d6a0"/>',
    "traffic-light": '<rect x="88" y="24" width="80" height="208" rx="16" fill="#264653"/>'
                     '<circle cx="128" cy="64" r="24" fill="#e63946"/>'
                     '<circle cx="128" cy="128" r="24" fill="#e9c46a"/>'
                     '<circle cx="128" cy="192" r="24" fill="#06d6a0"/>',
    "checkmark": '<circle cx="128" cy="128" r="100" fill="#2a9d8f"/>'
                 '<polyline points="78,130 114,166 182,94" fill="none" stroke="#ffffff" '
                 'stroke-width="20" stroke-linecap="round" stroke-linejoin="round"/>',
    "mountain": '<rect width="256" height="256" fill="#caf0f8"/>'
                '<polygon points="0,220 90,80 160,180 200,130 256,200 256,256 0,256" '
                'fill="#457b9d"/><polygon points="90,80 110,112 70,112" fill="#ffffff"/>',
}


def mc(qid: str, question: str, choices: list[str], answer: str) -> dict[str, object]:
    """A multiple-choice question whose key is the letter of `answer`."""
    return {"id": qid, "question": question, "choices": choices,
            "answer": "ABCDEFGH"[choices.index(answer)]}


def open_q(qid: str, question: str, *answers: str) -> dict[str, object]:
    return {"id": qid, "question": question, "answer": list(answers)}


COLOURS = ["red", "blue", "green", "yellow"]
#: Questions about each icon: what a faithful SVG must keep (colours, counts, shapes).
ICON_QUESTIONS: dict[str, list[dict[str, object]]] = {
    "house": [mc("roof", "What colour is the roof?", COLOURS, "red"),
              open_q("doors", "How many doors does the house have?", "1", "one")],
    "sun": [mc("centre", "What shape is at the centre?",
               ["square", "triangle", "circle", "star"], "circle"),
            open_q("rays", "How many rays does the sun have?", "8", "eight")],
    "flag": [mc("stripes", "How many horizontal stripes does the flag have?",
                ["2", "3", "4", "5"], "3"),
             mc("top", "What colour is the top stripe?", ["red", "white", "blue", "green"],
                "red")],
    "target": [mc("rings", "How many red rings are there?", ["1", "2", "3", "4"], "2")],
    "tree": [mc("trunk", "What colour is the trunk?", ["brown", "green", "blue", "red"],
                "brown"),
             mc("crown", "What shape is the crown of the tree?",
                ["circle", "triangle", "square", "star"], "triangle")],
    "heart": [mc("shape", "What shape is drawn?", ["heart", "star", "circle", "square"],
                 "heart")],
    "star": [mc("points", "How many points does the star have?", ["4", "5", "6", "8"], "5")],
    "cloud": [mc("what", "What is shown?", ["a cloud", "a tree", "a car", "a house"],
                 "a cloud")],
    "battery": [mc("charge", "How charged is the battery?",
                   ["empty", "partly charged", "fully charged"], "partly charged")],
    "traffic-light": [mc("top", "Which light is at the top?", ["red", "yellow", "green"],
                         "red"),
                      open_q("lights", "How many lights are there?", "3", "three")],
    "checkmark": [mc("symbol", "What symbol is inside the circle?",
                     ["a cross", "a check mark", "a plus sign", "a question mark"],
                     "a check mark")],
    "mountain": [mc("snow", "Is there snow on the peak?", ["yes", "no"], "yes"),
                 mc("sky", "What colour is the sky?", ["light blue", "black", "orange"],
                    "light blue")],
}
SHAPE_NAMES = {"circle": "circle", "rect": "rectangle", "ellipse": "ellipse",
               "triangle": "triangle", "line": "line"}
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six"]


def composition_questions(kinds: list[str], seed: int) -> list[dict[str, object]]:
    """How many shapes, and which kind appears (with kinds that do not as distractors)."""
    n = len(kinds)
    questions = [open_q("count", "How many shapes are drawn?", str(n), NUMBER_WORDS[n])]
    absent = [SHAPE_NAMES[k] for k in SHAPE_NAMES if k not in kinds]
    if absent:
        rng = random.Random(seed)
        present = SHAPE_NAMES[kinds[0]]
        choices = [present, *rng.sample(absent, min(3, len(absent)))]
        rng.shuffle(choices)
        questions.append(mc("kind", "Which of these shapes appears in the image?", choices,
                            present))
    return questions


def random_composition(rng: random.Random, kinds: list[str] | None = None) -> str:
    """2-5 primitives (circle, rect, ellipse, triangle, line) in palette colours; the kinds
    drawn are appended to `kinds`."""
    parts = []
    for _ in range(rng.randint(2, 5)):
        c = rng.choice(PALETTE)
        kind = rng.choice(["circle", "rect", "ellipse", "triangle", "line"])
        if kinds is not None:
            kinds.append(kind)
        x, y = rng.randint(40, 216), rng.randint(40, 216)
        if kind == "circle":
            parts.append(f'<circle cx="{x}" cy="{y}" r="{rng.randint(16, 60)}" fill="{c}"/>')
        elif kind == "rect":
            w, h = rng.randint(24, 120), rng.randint(24, 120)
            parts.append(f'<rect x="{x - w // 2}" y="{y - h // 2}" width="{w}" height="{h}" '
                         f'rx="{rng.choice([0, 0, 8])}" fill="{c}"/>')
        elif kind == "ellipse":
            parts.append(f'<ellipse cx="{x}" cy="{y}" rx="{rng.randint(20, 80)}" '
                         f'ry="{rng.randint(12, 50)}" fill="{c}"/>')
        elif kind == "triangle":
            s = rng.randint(24, 70)
            parts.append(f'<polygon points="{x},{y - s} {x + s},{y + s} {x - s},{y + s}" '
                         f'fill="{c}"/>')
        else:
            parts.append(f'<line x1="{rng.randint(10, 120)}" y1="{y}" x2="{rng.randint(136, 246)}" '
                         f'y2="{rng.randint(10, 246)}" stroke="{c}" stroke-width="'
                         f'{rng.randint(4, 14)}" stroke-linecap="round"/>')
    return "".join(parts)


def svg_document(body: str) -> str:
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" '
            f'viewBox="0 0 256 256">{body}</svg>\n')


def build(out: Path, n_random: int = 20, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    programs = {f"icon-{name}": body for name, body in ICONS.items()}
    questions = {f"icon-{name}": qs for name, qs in ICON_QUESTIONS.items()}
    for i in range(n_random):
        kinds: list[str] = []
        programs[f"shapes-{i:02d}"] = random_composition(rng, kinds)
        questions[f"shapes-{i:02d}"] = composition_questions(kinds, seed * 1000 + i)
    executor = load("executor", "svg")(context=ComponentContext(name="svg"))
    renderer = load("renderer", "cairosvg")(context=ComponentContext(name="cairosvg"))
    spec = RenderSpec(width=256, height=256)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "svg").mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for sid, body in sorted(programs.items()):
            svg = svg_document(body)
            (out / "svg" / f"{sid}.svg").write_text(svg)
            with tempfile.TemporaryDirectory() as tmp:
                execution = executor.execute(svg, Path(tmp))
                rendering = renderer.render(execution, spec, Path(tmp))
                if not rendering.ok or rendering.image is None:
                    raise SystemExit(f"{sid}: {rendering.error}")
                (out / "images" / f"{sid}.png").write_bytes(rendering.image.read_bytes())
            rows.append({
                "id": sid,
                "image": f"images/{sid}.png",
                "reference_program": f"svg/{sid}.svg",
                "meta": {"subset": sid.split("-")[0], "questions": questions[sid]},
            })
    finally:
        renderer.close()
    with (out / "samples.jsonl").open("w") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "dataset")
    args = parser.parse_args()
    rows = build(args.out)
    print(f"wrote {len(rows)} samples to {args.out}")
