"""Write the recorded model answers the offline img2svg examples replay (replay/*.jsonl).

The answers are written by this script, not by a model: they stand in for what a model
and a policy model would say, so the VCode-protocol, revision and renderer-comparison
configs run without network or keys and show every stage doing its job. Each icon's
"model answer" is its ground-truth SVG with one deliberate, realistic flaw (a wrong
colour, a missing part, prose around a fenced block, a stray `&`, output cut off by the
token limit, a refusal), and the policy model's replies are what a careful reader of
that flawed render would answer, in the varied formats real models use.

    python examples/img2svg/make_replays.py        # rewrites examples/img2svg/replay/

- `replay/ground-truth.jsonl`: every sample answered with its ground-truth SVG
  (compare-renderers.toml, and the benchmark's pipeline run).
- `replay/vcode.jsonl`: the 12 icons' flawed answers, and CodeVQA replies about each
  render (`codevqa:<question id>`) and each original image (`codevqa-original:<id>`)
  (pipeline-vcode.toml).
- `replay/revision.jsonl`: for the first 6 icons, the flawed draft (round 0), a critic's
  difference analysis of it, and the corrected SVG (round 1) (pipeline-revision.toml).
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
SVG = HERE / "dataset" / "svg"

# (flaw applied to the ground-truth text, the critic's analysis of the flawed render)
DRAFTS: dict[str, tuple[str, str]] = {
    "battery": ("charge-full", "The green charge level fills the whole battery in the "
                "rendering; in the original it stops at about two thirds (x = 56 to 146). "
                "Set the green rect's width to 90."),
    "checkmark": ("truncate", "The rendering shows only the teal circle: the white check "
                  "mark (a polyline from 78,130 through 114,166 to 182,94, stroke-width 20, "
                  "round caps) is missing. Add it after the circle."),
    "cloud": ("refuse", "The program did not render: there is no SVG in the answer. Draw "
              "a light blue (#a8dadc) cloud: an ellipse at 128,140 (rx 88, ry 44) and two "
              "circles at 96,116 (r 40) and 150,104 (r 50)."),
    "flag": ("prose", "No visible differences: the pole and the red, white and blue "
             "stripes match the original in position, size and colour."),
    "heart": ("ampersand", "The shape and colour match. The title contains an unescaped "
              "'&' that needed repair; escape it as &amp;."),
    "house": ("roof-blue", "The roof (the polygon at the top) is blue (#457b9d) in the "
              "rendering but red (#e63946) in the original. Change the polygon's fill to "
              "#e63946."),
    "sun": ("four-rays", "The sun has 4 rays in the rendering and 8 in the original: the "
            "diagonal rays (rotate 45, 135, 225, 315) are missing."),
    "target": ("none", ""),
    "tree": ("no-trunk", "The brown trunk below the crown is missing: add a rect at "
             "x=116, y=160, 24 x 64, fill #8d5524, before the triangle."),
    "star": ("none", ""),
    "traffic-light": ("lights-swapped", "The red and green lights are swapped: red "
                      "(#e63946) belongs at the top (cy=64), green (#06d6a0) at the bottom."),
    "mountain": ("none", ""),
}

# Policy-model replies about each flawed render (by question id); the original image's
# replies are all correct except where ORIGINAL_SLIPS says otherwise.
RENDER_REPLIES: dict[str, dict[str, str]] = {
    "battery": {"charge": "C"},
    "checkmark": {"symbol": "There is no symbol inside the circle."},
    "flag": {"stripes": "B", "top": "(A) red"},
    "heart": {"shape": "A"},
    "house": {"roof": "The answer is B.", "doors": "One."},
    "sun": {"centre": "C", "rays": "4"},
    "target": {"rings": "B"},
    "tree": {"trunk": "There is no trunk; the nearest is B", "crown": "B"},
    "star": {"points": "B. 5"},
    "traffic-light": {"top": "C", "lights": "three"},
    "mountain": {"snow": "A", "sky": "A) light blue"},
}
ORIGINAL_SLIPS = {("battery", "charge"): "C"}  # the policy model misreads the original too


def flawed(name: str, svg: str) -> str:
    """The model's answer for an icon: its ground truth with the DRAFTS flaw."""
    flaw = DRAFTS[name][0]
    if flaw == "charge-full":
        return svg.replace('width="90" height="56"', 'width="140" height="56"')
    if flaw == "truncate":
        return svg[: svg.index("<polyline") + 30]  # cut off inside the check mark's tag
    if flaw == "refuse":
        return "I'm sorry, I can't reproduce this image as SVG."
    if flaw == "prose":
        return f"Here is the flag as SVG:\n\n```svg\n{svg}```\n\nIt has three stripes."
    if flaw == "ampersand":
        return svg.replace('viewBox="0 0 256 256">', 'viewBox="0 0 256 256"><title>Love & '
                           'care</title>', 1)
    if flaw == "roof-blue":
        return svg.replace('fill="#e63946"', 'fill="#457b9d"')
    if flaw == "four-rays":
        for angle in (45, 135, 225, 315):
            ray = (f'<rect x="122" y="24" width="12" height="36" fill="#f4a261" '
                   f'transform="rotate({angle} 128 128)"/>')
            svg = svg.replace(ray, "")
        return svg
    if flaw == "no-trunk":
        return svg.replace('<rect x="116" y="160" width="24" height="64" fill="#8d5524"/>',
                           "")
    if flaw == "lights-swapped":
        return (svg.replace('cy="64" r="24" fill="#e63946"', 'cy="64" r="24" fill="@g"')
                .replace('cy="192" r="24" fill="#06d6a0"', 'cy="192" r="24" fill="#e63946"')
                .replace('fill="@g"', 'fill="#06d6a0"'))
    return svg


def key_reply(question: dict[str, object]) -> str:
    answer = question["answer"]
    return answer if isinstance(answer, str) else str(answer[0])  # type: ignore[index]


def lines_for(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def build(out: Path) -> dict[str, int]:
    samples = [json.loads(line) for line in (HERE / "dataset" / "samples.jsonl").open()]
    truth = [{"sample_id": s["id"], "text": (SVG / f"{s['id']}.svg").read_text()}
             for s in samples]
    vcode: list[dict[str, object]] = []
    revision: list[dict[str, object]] = []
    icons = [s for s in samples if s["id"].startswith("icon-")]
    for s in icons:
        name = s["id"].removeprefix("icon-")
        svg = (SVG / f"{s['id']}.svg").read_text()
        draft = flawed(name, svg)
        vcode.append({"sample_id": s["id"], "text": draft})
        for q in s["meta"]["questions"]:
            qid = q["id"]
            reply = RENDER_REPLIES.get(name, {}).get(qid)
            if reply is not None:
                vcode.append({"sample_id": s["id"], "purpose": f"codevqa:{qid}",
                              "text": reply})
            original = ORIGINAL_SLIPS.get((name, qid), key_reply(q))
            vcode.append({"sample_id": s["id"], "purpose": f"codevqa-original:{qid}",
                          "text": original})
    for s in icons[:6]:
        name = s["id"].removeprefix("icon-")
        svg = (SVG / f"{s['id']}.svg").read_text()
        revision += [
            {"sample_id": s["id"], "round": 0, "text": flawed(name, svg)},
            {"sample_id": s["id"], "round": 0, "purpose": "critique", "text": DRAFTS[name][1]},
            {"sample_id": s["id"], "round": 1, "purpose": "revise", "text": svg},
        ]
    out.mkdir(parents=True, exist_ok=True)
    files = {"ground-truth.jsonl": truth, "vcode.jsonl": vcode, "revision.jsonl": revision}
    for name, rows in files.items():
        (out / name).write_text(lines_for(rows), encoding="utf-8")
    return {name: len(rows) for name, rows in files.items()}


if __name__ == "__main__":
    for name, n in build(HERE / "replay").items():
        print(f"wrote {n} answers to {HERE / 'replay' / name}")
