"""Build the offline img2scene example: reference images rendered by the project itself
from scene programs it writes, the dataset manifest, and the recorded model answers.

    .venv/bin/python examples/img2scene/make_dataset.py

Writes
- `dataset/programs/<id>.py`: each reference scene's full bpy program (scenes/common.py
  followed by scenes/<id>.py);
- `dataset/images/<id>.png`: its Cycles render (256x192, 16 samples), through the same
  `blender` executor and `cycles` renderer the pipeline uses, so the reference and a
  correct reconstruction are rendered identically;
- `dataset/samples.jsonl`: the manifest;
- `replay/replay.jsonl`: what the `replay` model answers. Round 0 is the reference
  program for every scene but `stack`, whose draft puts the blue box on the ground
  beside the stack; the critic's answer names it by the id the `object-ids` prompter
  draws (Box.Blue), and round 1 is the corrected program. These answers are written
  here, not by a model: they stand in for one so the example runs without keys.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from visioncode import RenderSpec
from visioncode_blender.executor import BlenderExecutor
from visioncode_blender.renderers import CyclesOptions, CyclesRenderer

HERE = Path(__file__).resolve().parent
SCENES = ("stack", "shapes", "tower")
SPEC = RenderSpec(width=256, height=192, background="#ffffff")
DRAFT_FLAW = ("(\"Box.Blue\", 0.6, 2.7, 0.15, blue)", "(\"Box.Blue\", 0.6, 0.3, -1.6, blue)")
CRITIQUES = {
    "stack": "Box.Blue is on the ground left of the stack; in the reference it sits on top "
             "of Box.Green. Move Box.Blue to x=0.15, z=2.7. Everything else matches.",
}
AGREE = "The render matches the reference: same objects, colours, positions and camera. " \
        "Keep the program unchanged."


def program(scene: str) -> str:
    """scenes/common.py, then the scene's fragment (without its linter directive)."""
    common = (HERE / "scenes" / "common.py").read_text(encoding="utf-8")
    lines = (HERE / "scenes" / f"{scene}.py").read_text(encoding="utf-8").splitlines(True)
    return common + "\n" + "".join(x for x in lines if not x.startswith("# ruff:"))


def fenced(code: str) -> str:
    return f"```python\n{code}```"


def main() -> None:
    data = HERE / "dataset"
    (data / "programs").mkdir(parents=True, exist_ok=True)
    (data / "images").mkdir(parents=True, exist_ok=True)
    executor = BlenderExecutor()
    renderer = CyclesRenderer(CyclesOptions(samples=16))
    rows, replies = [], []
    try:
        for scene in SCENES:
            code = program(scene)
            (data / "programs" / f"{scene}.py").write_text(code, encoding="utf-8")
            with tempfile.TemporaryDirectory() as tmp:
                execution = executor.execute(code, Path(tmp))
                if not execution.ok:
                    raise SystemExit(f"{scene}: {execution.error}")
                rendering = renderer.render(execution, SPEC, Path(tmp))
                if not rendering.ok or rendering.image is None:
                    raise SystemExit(f"{scene}: {rendering.error}")
                shutil.copyfile(rendering.image, data / "images" / f"{scene}.png")
            rows.append({"id": scene, "image": f"images/{scene}.png",
                         "reference_program": f"programs/{scene}.py",
                         "meta": {"objects": sorted(o["name"] for o in
                                                    execution.metadata["scene"]["objects"])}})
            draft = code.replace(*DRAFT_FLAW) if scene == "stack" else code
            replies += [
                {"sample_id": scene, "round": 0, "text": fenced(draft)},
                {"sample_id": scene, "round": 0, "purpose": "critique",
                 "text": CRITIQUES.get(scene, AGREE)},
                {"sample_id": scene, "round": 1, "purpose": "revise", "text": fenced(code)},
            ]
    finally:
        executor.close()
        renderer.close()
    with (data / "samples.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    (HERE / "replay").mkdir(exist_ok=True)
    with (HERE / "replay" / "replay.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in replies)
    print(f"wrote {len(rows)} samples and {len(replies)} recorded answers under {HERE}")


if __name__ == "__main__":
    main()
