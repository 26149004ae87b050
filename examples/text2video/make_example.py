"""Write the offline text2video example: the dataset of topics and the replayed answers.

    .venv/bin/python examples/text2video/make_example.py

`dataset/samples.jsonl` holds the topics (each with a short quiz in `meta.quiz`, for
TeachQuiz with a real student model). `replay/answers.jsonl` holds, per topic, the
planner's outline (`plan`), the coder's first program (`generate`), a critic's review of
it (`critique`, read only by `pipeline-critic.toml`) and the revised program (`revise`),
from `programs.py`. Run it again after editing `programs.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

from programs import PLANS, PROGRAMS

HERE = Path(__file__).resolve().parent

TOPICS = [
    {"id": "pythagoras", "text": "Explain the Pythagorean theorem",
     "meta": {"subject": "geometry", "quiz": [
         {"question": "A right triangle has legs 6 and 8. How long is the hypotenuse?",
          "choices": ["10", "12", "14", "48"], "answer": "A"}]}},
    {"id": "derivative", "text": "What is the derivative of a function?",
     "meta": {"subject": "calculus", "quiz": [
         {"question": "What is the slope of y = x^2 at x = 1?",
          "choices": ["1", "2", "x", "0"], "answer": "B"}]}},
    {"id": "binary-search", "text": "How does binary search find a number in a sorted list?",
     "meta": {"subject": "algorithms", "quiz": [
         {"question": "How many steps does binary search need at most for 1000 items?",
          "choices": ["10", "100", "500", "1000"], "answer": "A"}]}},
]

#: What a vision critic would say on seeing the gridded keyframes and the layout report.
CRITIQUES = {
    "pythagoras": (
        "Scene Triangle: the formula a² + b² = c² is drawn on top of the label a, both in "
        "D4-E5, so neither can be read; move the formula to the top row (B1-G1, "
        "to_edge(UP)). The note about the right angle starts in F3 and runs off the right "
        "edge past H4; put it along the bottom (row 6, to_edge(DOWN)). The other scenes "
        "are clear."),
    "derivative": (
        "The video did not render: scene Slope fails at line 15, `axes.get_graph(...)`. "
        "Manim Community Edition has no Axes.get_graph; the curve is `axes.plot(lambda x: "
        "x ** 2, color=BLUE)`. Keep everything else."),
    "binary-search": (
        "The keyframes are clear: the title is centred in C3-F4, the row of numbers fits "
        "inside A3-H4 and nothing overlaps. Keep the program as it is."),
}


def fenced(program: str) -> str:
    return f"```python\n{program}```\n"


def main() -> None:
    (HERE / "dataset").mkdir(exist_ok=True)
    (HERE / "replay").mkdir(exist_ok=True)
    with (HERE / "dataset" / "samples.jsonl").open("w", encoding="utf-8") as fh:
        for topic in TOPICS:
            fh.write(json.dumps(topic, ensure_ascii=False) + "\n")
    lines = []
    for topic in TOPICS:
        sid = topic["id"]
        programs = PROGRAMS[sid]
        lines.append({"sample_id": sid, "purpose": "plan", "text": PLANS[sid]})
        lines.append({"sample_id": sid, "round": 0, "purpose": "generate",
                      "text": "Here is the program.\n\n" + fenced(programs[0])})
        lines.append({"sample_id": sid, "round": 0, "purpose": "critique",
                      "text": CRITIQUES[sid]})
        lines.append({"sample_id": sid, "round": 1, "purpose": "revise",
                      "text": fenced(programs[-1])})
    with (HERE / "replay" / "answers.jsonl").open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"wrote {len(TOPICS)} topics and {len(lines)} replayed answers")


if __name__ == "__main__":
    main()
