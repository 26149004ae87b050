"""Build the gui-next-state example: replay each page's scripted actions in Chromium and
record every transition (screen before, action, screen after) as a sample.

    .venv/bin/python examples/gui-next-state/make_dataset.py

Reads `pages/*.html` (written for this example), `scripts.json` (the actions of each
page) and `selection.json` (action-selection cases). Writes, next to this file:

- `dataset/states/<page>/step-<k>.html|png`: the DOM (with live form state) and the
  screenshot after k actions, from the project's own browser worker;
- `dataset/samples.jsonl`: one sample per transition: `image` the screen before,
  `reference_image` the screen after, `reference_program` the DOM after, `meta.html` the
  DOM before, `meta.action` the action and `meta.action_text` it in words;
- `dataset/select.jsonl`: action-selection samples (candidates, the best one, a goal);
- `replay/oracle.jsonl`: a world model that is always right (answers with the true next
  DOM), `replay/identity.jsonl`: one that predicts "nothing changes" (answers with the
  current DOM); the two bound what a real model scores;
- `replay/select.jsonl`: for the selection samples, world-model answers (each
  candidate's true next DOM, replayed in Chromium) and recorded judge replies. The judge
  here is a rule (pick the candidate whose predicted screen shows the goal's text), so the
  example runs offline; a real run names a vision-language model as the judge.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

from visioncode_html.client import BrowserClient, BrowserLimits

HERE = Path(__file__).resolve().parent
WIDTH, HEIGHT = 480, 360
PAGES = ("form", "menu", "dialog", "tabs", "list")


def replay(client: BrowserClient, page: Path, actions: list[dict], out: Path) -> list[dict]:
    answer = client.run({"html": str(page), "out_dir": str(out), "width": WIDTH,
                         "height": HEIGHT, "scale": 1.0, "background": "#ffffff",
                         "actions": actions, "shots": "all", "dom": True, "collect": True,
                         "timeout_s": 30})
    if answer["status"] != "ok":
        sys.exit(f"{page.name}: {answer['status']}: {answer.get('reason')}")
    return answer["steps"]


def visible_text(html: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def main() -> None:
    scripts = json.loads((HERE / "scripts.json").read_text())
    selection = json.loads((HERE / "selection.json").read_text())
    dataset, replays = HERE / "dataset", HERE / "replay"
    shutil.rmtree(dataset, ignore_errors=True)
    dataset.mkdir()
    replays.mkdir(exist_ok=True)
    client = BrowserClient(BrowserLimits(timeout_s=30))
    samples, oracle, identity = [], [], []
    try:
        for name in PAGES:
            folder = dataset / "states" / name
            steps = replay(client, HERE / "pages" / f"{name}.html", scripts[name], folder)
            for k, action in enumerate(scripts[name]):
                before, after = steps[k], steps[k + 1]
                sid = f"{name}-{k}"
                rel = lambda p: str(Path(p).relative_to(dataset))  # noqa: E731
                current = Path(before["dom"]).read_text()
                nxt = Path(after["dom"]).read_text()
                samples.append({
                    "id": sid, "text": action["description"], "image": rel(before["screenshot"]),
                    "reference_image": rel(after["screenshot"]),
                    "reference_program": rel(after["dom"]),
                    "meta": {"page": name, "step": k, "html": current, "action": action,
                             "action_text": action["description"]}})
                oracle.append({"sample_id": sid, "text": f"```html\n{nxt}\n```"})
                identity.append({"sample_id": sid, "text": f"```html\n{current}\n```"})
        select, select_replies = [], []
        with tempfile.TemporaryDirectory() as tmp:
            for case in selection:
                name, k = case["page"], case["step"]
                script = scripts[name]
                right = script[k]
                options = [right, *case["distractors"]]
                shift = k % len(options)  # the right answer is not always first
                options = options[shift:] + options[:shift]
                best = options.index(right)
                sid = f"select-{name}-{k}"
                current = (dataset / "states" / name / f"step-{k}.html").read_text()
                predicted = []
                for i, option in enumerate(options):
                    steps = replay(client, HERE / "pages" / f"{name}.html",
                                   [*script[:k], option], Path(tmp) / sid / str(i))
                    dom = Path(steps[-1]["dom"]).read_text()
                    predicted.append(dom)
                    select_replies.append({"sample_id": sid, "purpose": f"world-model:{i}",
                                           "text": f"```html\n{dom}\n```"})
                shows = [i for i, dom in enumerate(predicted)
                         if case["goal_text"] in visible_text(dom)
                         and case["goal_text"] not in visible_text(current)]
                pick = shows[0] + 1 if shows else 1
                select_replies.append({"sample_id": sid, "purpose": "action-judge",
                                       "text": f"{pick}"})
                select_replies.append({"sample_id": sid, "text": f"```html\n{current}\n```"})
                select.append({"id": sid, "text": case["goal"],
                               "image": f"states/{name}/step-{k}.png",
                               "meta": {"page": name, "step": k, "html": current,
                                        "goal": case["goal"], "candidates": options,
                                        "best": best}})
    finally:
        client.close()

    def write(path: Path, rows: list[dict]) -> None:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

    write(dataset / "samples.jsonl", samples)
    write(dataset / "select.jsonl", select)
    write(replays / "oracle.jsonl", oracle)
    write(replays / "identity.jsonl", identity)
    write(replays / "select.jsonl", select_replies)
    print(f"{len(samples)} transitions, {len(select)} selection samples in {dataset}")


if __name__ == "__main__":
    main()
