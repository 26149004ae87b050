"""Build the screenshot2html example: screenshot each page in `pages/` (written for this
example) with the project's browser worker, and write the replay file of model answers
from `predictions/` (hand-written approximations of each page, of varying quality).

    .venv/bin/python examples/screenshot2html/make_dataset.py

Writes `dataset/<page>.png`, `dataset/samples.jsonl` (`image` the screenshot,
`reference_program` the page, so `design2code` can render the reference's text blocks)
and `replay/responses.jsonl`.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from visioncode_html.client import BrowserClient, BrowserLimits

HERE = Path(__file__).resolve().parent
WIDTH, HEIGHT = 640, 480


def main() -> None:
    dataset, replays = HERE / "dataset", HERE / "replay"
    shutil.rmtree(dataset, ignore_errors=True)
    dataset.mkdir()
    replays.mkdir(exist_ok=True)
    client = BrowserClient(BrowserLimits(timeout_s=30))
    samples, answers = [], []
    try:
        for page in sorted((HERE / "pages").glob("*.html")):
            answer = client.run({"html": str(page), "out_dir": str(dataset / "tmp"),
                                 "width": WIDTH, "height": HEIGHT, "scale": 1.0,
                                 "background": "#ffffff", "actions": [], "shots": "last",
                                 "dom": False, "collect": False, "timeout_s": 30})
            if answer["status"] != "ok":
                sys.exit(f"{page.name}: {answer['status']}: {answer.get('reason')}")
            png = dataset / f"{page.stem}.png"
            shutil.move(answer["steps"][-1]["screenshot"], png)
            shutil.copy(page, dataset / page.name)
            samples.append({"id": page.stem, "image": png.name,
                            "reference_program": page.name, "meta": {"page": page.stem}})
            prediction = (HERE / "predictions" / page.name).read_text()
            answers.append({"sample_id": page.stem, "text": f"```html\n{prediction}```"})
    finally:
        client.close()
        shutil.rmtree(dataset / "tmp", ignore_errors=True)
    (dataset / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    (replays / "responses.jsonl").write_text("".join(json.dumps(a) + "\n" for a in answers))
    print(f"{len(samples)} samples in {dataset}")


if __name__ == "__main__":
    main()
