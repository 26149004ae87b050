"""A third-party plugin written from the plugin guide, whose components raise in the stage
their options name. `install` copies this file into a site folder as the top-level
package `vc_stage_test`, beside a real dist-info with entry points, as pip would for a
local install; the stage, validate and cache tests run pipelines of it."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from pydantic import Field

from visioncode import (
    CodeExecutor,
    Completion,
    ComponentOptions,
    Execution,
    Extraction,
    Metric,
    Model,
    ModelRequest,
    PromptedImage,
    Renderer,
    Rendering,
    RenderSpec,
    RoundRecord,
    Sample,
    Score,
    Usage,
    VisualPrompter,
)

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'
ENTRY_POINTS = {
    "visioncode.models": {"stage-model": "StageModel"},
    "visioncode.executors": {"stage-executor": "StageExecutor",
                             "stage-bad-signature": "BadSignatureExecutor"},
    "visioncode.renderers": {"stage-renderer": "StageRenderer"},
    "visioncode.visual_prompters": {"stage-prompter": "StagePrompter"},
    "visioncode.metrics": {"stage-metric": "StageMetric"},
}


class Failing(ComponentOptions):
    fail: bool = Field(False, description="Raise in this component's stage.")


class ModelOptions(ComponentOptions):
    fail_on: str = Field("", description="Raise for requests of this purpose.")


class StageModel(Model):
    Options = ModelOptions
    options: ModelOptions

    def generate(self, request: ModelRequest) -> Completion:
        if request.purpose == self.options.fail_on:
            raise RuntimeError(f"model failed on purpose {request.purpose}")
        return Completion(text="Fine as it is." if request.purpose == "critique" else SVG,
                          model="stage-model", usage=Usage(calls=1))


class ExecutorOptions(ComponentOptions):
    fail_in: str = Field("", description="`extract` or `execute`: raise there.")


class StageExecutor(CodeExecutor):
    Options = ExecutorOptions
    options: ExecutorOptions

    def extract(self, text: str) -> Extraction:
        if self.options.fail_in == "extract":
            raise RuntimeError("executor failed in extract")
        return Extraction(program=text)

    def execute(self, program: str, workdir: Path) -> Execution:
        if self.options.fail_in == "execute":
            raise RuntimeError("executor failed in execute")
        return Execution(status="ok", program=program)


class BadSignatureExecutor(StageExecutor):
    """`execute` asks for a parameter the hook never passes: rejected at registration."""

    def execute(self, program: str, workdir: Path, timeout: float) -> Execution:  # type: ignore[override]
        return super().execute(program, workdir)


class StageRenderer(Renderer):
    Options = Failing
    options: Failing

    def render(self, execution: Execution, spec: RenderSpec, workdir: Path) -> Rendering:
        if self.options.fail:
            raise RuntimeError("renderer failed in render")
        path = workdir / "render.png"
        Image.new("RGB", (spec.width, spec.height), "white").save(path)
        return Rendering(status="ok", renderer=self.name, images=[path],
                         width=spec.width, height=spec.height)


class StagePrompter(VisualPrompter):
    Options = Failing
    options: Failing

    def prompt(self, rendering: Rendering, workdir: Path) -> PromptedImage:
        if self.options.fail:
            raise RuntimeError("prompter failed in visual_prompt")
        assert rendering.image is not None
        return PromptedImage(image=rendering.image, legend="")


class StageMetric(Metric):
    Options = Failing
    options: Failing

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        if self.options.fail:
            raise RuntimeError("metric failed in score")
        return Score(metric=self.name, values={"one": 1.0})


PACKAGE = "vc_stage_test"


def install(site: Path) -> Path:
    """Install this plugin into `site` (a folder for sys.path and PYTHONPATH): the
    package `vc_stage_test` (this file's code, editable there) and its dist-info."""
    (site / PACKAGE).mkdir(parents=True, exist_ok=True)
    (site / PACKAGE / "__init__.py").write_text(Path(__file__).read_text())
    info = site / "vc_stage_test-0.1.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vc-stage-test\n"
                                   "Version: 0.1\n")
    lines = []
    for group, names in ENTRY_POINTS.items():
        lines.append(f"[{group}]")
        lines += [f"{name} = {PACKAGE}:{cls}" for name, cls in names.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return site
