"""Writes the animated-svg example: the dataset (descriptions of short animations, their
reference SVG programs and the reference frames those programs render to) and the
replayed model answers (replay/answers.jsonl) the pipeline runs offline.

    .venv/bin/python examples/animated-svg/make_example.py

The reference frames are rendered with the pipeline's own renderer and RenderSpec
(chromium-svg, 160 x 120, 4 fps, 8 frames), so a program that animates exactly like
its reference scores SSIM 1.0 on every frame. The answers:

- `bouncing-ball`: right the first time (SMIL); the critic says so and the revision
  keeps it.
- `spinner`: round 0 draws the spinner but does not animate it (a still picture passed
  off as an animation: `motion` 0); the critic, looking at the contact sheet of
  gridded frames, says nothing moves; round 1 adds the CSS rotation.
- `traffic-light`: round 0 switches the lights at the wrong times (SMIL `<set>`), so
  the worst frames are the switches; round 1 fixes the timing.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from visioncode import Execution, RenderSpec
from visioncode_html.renderers import ChromiumSvgRenderer

HERE = Path(__file__).resolve().parent
SPEC = RenderSpec(width=160, height=120, fps=4, frames=8, background="#ffffff")

BALL = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 120">
  <rect x="0" y="110" width="160" height="10" fill="#6b705c"/>
  <circle cx="80" cy="20" r="12" fill="#e63946">
    <animate attributeName="cy" values="20;98;20" dur="2s" repeatCount="indefinite"/>
  </circle>
</svg>"""

SPINNER_STILL = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 120">
  <g transform="translate(80 60)">
    <circle r="34" fill="none" stroke="#dddddd" stroke-width="10"/>
    <path d="M 0 -34 A 34 34 0 0 1 34 0" fill="none" stroke="#1d3557" stroke-width="10"/>
  </g>
</svg>"""

SPINNER = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 120">
  <style>
    @keyframes turn { from { transform: rotate(0deg) } to { transform: rotate(360deg) } }
    .arc { animation: turn 2s linear infinite; transform-origin: 0 0 }
  </style>
  <g transform="translate(80 60)">
    <circle r="34" fill="none" stroke="#dddddd" stroke-width="10"/>
    <path class="arc" d="M 0 -34 A 34 34 0 0 1 34 0" fill="none" stroke="#1d3557"
          stroke-width="10"/>
  </g>
</svg>"""


def light(red: str, green: str) -> str:
    """A traffic light: red on until `red`, then green until `green`, then amber."""
    return f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 120">
  <rect x="55" y="4" width="50" height="112" rx="8" fill="#222222"/>
  <circle cx="80" cy="24" r="13" fill="#550000">
    <set attributeName="fill" to="#ff2020" begin="0s" end="{red}"/></circle>
  <circle cx="80" cy="60" r="13" fill="#554400">
    <set attributeName="fill" to="#ffbf00" begin="{green}"/></circle>
  <circle cx="80" cy="96" r="13" fill="#003300">
    <set attributeName="fill" to="#20d040" begin="{red}" end="{green}"/></circle>
</svg>"""


SAMPLES = {
    "bouncing-ball": {
        "text": "A red ball bouncing on a grey floor: it falls from the top, touches the "
                "floor at 1 s and is back at the top at 2 s, forever.",
        "reference": BALL,
        "answers": [BALL, BALL],
        "critique": "The contact sheet shows the ball falling from row 1 to the floor in "
                    "row 6 and rising again: the bounce is there and on time. Keep it.",
    },
    "spinner": {
        "text": "A loading spinner: a light grey ring with a dark blue quarter arc that "
                "turns clockwise once every 2 seconds.",
        "reference": SPINNER,
        "answers": [SPINNER_STILL, SPINNER],
        "critique": "Nothing moves: every frame of the contact sheet shows the dark blue "
                    "arc in the same place (top right, cells E2-F3). Make the arc turn "
                    "clockwise around the ring's centre, one turn every 2 s.",
    },
    "traffic-light": {
        "text": "A traffic light: red for the first second, then green until 1.5 s, then "
                "amber.",
        "reference": light("1s", "1.5s"),
        "answers": [light("0.5s", "1.25s"), light("1s", "1.5s")],
        "critique": "The lights switch too early: red goes out before 1 s (frame t=0.5s "
                    "already shows green) and amber comes on at 1.25 s. Red must stay on "
                    "until 1 s and green until 1.5 s.",
    },
}


def fenced(svg: str, note: str) -> str:
    return f"{note}\n\n```svg\n{svg}\n```"


def render_reference(name: str, svg: str, out: Path) -> list[str]:
    renderer = ChromiumSvgRenderer(ChromiumSvgRenderer.Options(animation={"video": False}))
    work = Path(tempfile.mkdtemp(prefix="animated-svg-"))
    try:
        program = work / "program.svg"
        program.write_text(svg, encoding="utf-8")
        rendering = renderer.render(Execution(status="ok", program=svg,
                                              artifacts={"svg": program}), SPEC, work / "r")
        if not rendering.ok:
            raise SystemExit(f"{name}: the reference did not render: {rendering.error}")
        out.mkdir(parents=True, exist_ok=True)
        names = []
        for k, frame in enumerate(rendering.frames):
            dest = out / f"{name}-{k:02d}.png"
            shutil.copyfile(frame, dest)
            names.append(str(dest.relative_to(HERE / "dataset")))
        return names
    finally:
        renderer.close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    dataset = HERE / "dataset"
    shutil.rmtree(dataset / "frames", ignore_errors=True)
    (dataset / "svg").mkdir(parents=True, exist_ok=True)
    lines, answers = [], []
    for name, s in SAMPLES.items():
        (dataset / "svg" / f"{name}.svg").write_text(s["reference"] + "\n", encoding="utf-8")
        frames = render_reference(name, s["reference"], dataset / "frames")
        lines.append({"id": name, "text": s["text"], "reference_image": frames[-1],
                      "reference_images": frames, "reference_program": f"svg/{name}.svg",
                      "meta": {"reference_fps": SPEC.fps}})
        first, second = s["answers"]
        answers += [
            {"sample_id": name, "round": 0, "purpose": "generate",
             "text": fenced(first, "Here is the animation.")},
            {"sample_id": name, "round": 0, "purpose": "critique", "text": s["critique"]},
            {"sample_id": name, "round": 1, "purpose": "revise",
             "text": fenced(second, "Revised animation.")},
        ]
    (dataset / "samples.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    (HERE / "replay").mkdir(exist_ok=True)
    (HERE / "replay" / "answers.jsonl").write_text(
        "".join(json.dumps(a) + "\n" for a in answers), encoding="utf-8")
    print(f"wrote {len(lines)} samples and {len(answers)} answers under {HERE}")


if __name__ == "__main__":
    main()
