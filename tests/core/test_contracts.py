"""The contract suites of `visioncode.testing`, run against the project's own components:
the same checks a third-party plugin runs against itself, so a suite that is too weak or
too strict shows here first."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import ClassVar

import pytest

from visioncode import Execution, ModelRequest, registry
from visioncode.testing import (
    ExecutorContract,
    MetricContract,
    ModelContract,
    RendererContract,
    ScriptedModel,
    VisualPrompterContract,
)

SVG = ("<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'>"
       "<rect x='0' y='0' width='5' height='10' fill='#ff0000'/>"
       "<circle cx='7' cy='5' r='2' fill='#0000ff'/></svg>")
EMPTY_SVG = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'/>"


def svg_execution(program: str, workdir: Path) -> Execution:
    executor = registry.load("executor", "svg")()
    execution = executor.execute(program, workdir)  # type: ignore[attr-defined]
    assert execution.ok, execution
    return execution


class TestSvgExecutor(ExecutorContract):
    component = registry.load("executor", "svg")  # type: ignore[assignment]
    name = "svg"
    program = SVG
    fence = "svg"
    bad_programs: ClassVar[dict[str, str]] = {
        "<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>": "parse_error",
        "<!DOCTYPE svg [<!ENTITY a SYSTEM 'file:///etc/hostname'>]>"
        "<svg xmlns='http://www.w3.org/2000/svg'>&a;</svg>":
            "parse_error",
    }
    no_time_limit_reason = ("SVG is parsed in-process under size limits (max_bytes, "
                            "max_elements, max_use_expansion): nothing runs, so there is "
                            "no program time to limit; renderers limit the render time")


class _SvgRendererContract(RendererContract):
    artifact_roles = ("svg",)

    def execution(self, workdir: Path) -> Execution:
        return svg_execution(SVG, workdir)

    def empty_execution(self, workdir: Path) -> Execution:
        return svg_execution(EMPTY_SVG, workdir)


class TestCairoSvgRenderer(_SvgRendererContract):
    component = registry.load("renderer", "cairosvg")  # type: ignore[assignment]
    name = "cairosvg"


class TestResvgRenderer(_SvgRendererContract):
    component = registry.load("renderer", "resvg")  # type: ignore[assignment]
    name = "resvg"


class TestScriptedModel(ModelContract):
    component = ScriptedModel
    name = "testing-scripted"
    options: ClassVar[dict[str, object]] = {"answers": [SVG, EMPTY_SVG]}

    def test_answers_by_round_and_sample(self) -> None:
        model = ScriptedModel(ScriptedModel.Options(
            answers=["a", "b"], by_sample={"s": ["only"]}, critique="too red"))

        def ask(sample: str, r: int, purpose: str = "generate") -> str:
            return model.generate(ModelRequest(messages=[], sample_id=sample, round=r,
                                               purpose=purpose)).text

        assert [ask("x", 0), ask("x", 1), ask("x", 5)] == ["a", "b", "b"]
        assert ask("s", 3) == "only" and ask("x", 0, "critique") == "too red"
        assert len(model.requests) == 5


class TestVtracerModel(ModelContract):
    component = registry.load("model", "vtracer")  # type: ignore[assignment]
    name = "vtracer"


class TestReplayModel(ModelContract):
    component = registry.load("model", "replay")  # type: ignore[assignment]
    name = "replay"
    options: ClassVar[dict[str, object]] = {"path": "responses.jsonl"}

    def request(self, tmp_path: Path) -> ModelRequest:
        line = {"sample_id": "0-circle", "text": SVG}
        (tmp_path / "responses.jsonl").write_text(json.dumps(line) + "\n")
        return super().request(tmp_path)


class TestMse(MetricContract):
    component = registry.load("metric", "mse")  # type: ignore[assignment]
    name = "mse"


class TestPsnr(MetricContract):
    component = registry.load("metric", "psnr")  # type: ignore[assignment]
    name = "psnr"


class TestSsim(MetricContract):
    component = registry.load("metric", "ssim")  # type: ignore[assignment]
    name = "ssim"


class TestRenderSuccess(MetricContract):
    component = registry.load("metric", "render-success")  # type: ignore[assignment]
    name = "render-success"
    compares_images = False


class TestProgramSize(MetricContract):
    component = registry.load("metric", "program-size")  # type: ignore[assignment]
    name = "program-size"
    compares_images = False


BAD_COMPONENTS = '''
from pathlib import Path

from PIL import Image

from visioncode import CodeExecutor, Execution, Renderer, Rendering, RenderSpec
from visioncode.testing import ExecutorContract, RendererContract


class SloppyRenderer(Renderer):
    """Ignores the spec (always 10x10 black) and raises on what it cannot read."""

    def render(self, execution: Execution, spec: RenderSpec, workdir: Path) -> Rendering:
        data = execution.artifacts["svg"].read_bytes()
        out = workdir / "out.png"
        Image.new("RGB", (10, 10), "black" if data.startswith(b"<") else "white").save(out)
        return Rendering(status="ok", renderer="sloppy", images=[out])


class RaisingExecutor(CodeExecutor):
    def execute(self, program: str, workdir: Path) -> Execution:
        if not program.startswith("ok"):
            raise ValueError("cannot run that")
        (workdir / "a.txt").write_text(program)
        return Execution(status="ok", program=program, artifacts={"text": workdir / "a.txt"})


def _svg(workdir: Path) -> Execution:
    (workdir / "a.svg").write_text("<svg/>")
    return Execution(status="ok", program="<svg/>", artifacts={"svg": workdir / "a.svg"})


class TestSloppy(RendererContract):
    component = SloppyRenderer
    artifact_roles = ("svg",)
    execution = staticmethod(_svg)  # type: ignore[assignment]
    empty_execution = staticmethod(_svg)  # type: ignore[assignment]


class TestRaising(ExecutorContract):
    component = RaisingExecutor
    program = "ok go"
    bad_programs = {"nope": "error"}
    slow_program = "ok but slow"
'''


@pytest.mark.slow
def test_contracts_catch_broken_components(tmp_path: Path) -> None:
    """The suites fail a renderer that ignores its RenderSpec and an executor that
    raises on bad programs, each on the check that names the fault."""
    import subprocess
    import sys

    (tmp_path / "test_bad.py").write_text(BAD_COMPONENTS)
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider",
                          str(tmp_path / "test_bad.py")], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    failed = set(re.findall(r"FAILED \S+::(\w+::\w+)", res.stdout))
    assert {
        "TestSloppy::test_honours_render_spec_size",
        "TestSloppy::test_honours_background_colour",
        "TestSloppy::test_honours_transparent_background",
        "TestSloppy::test_draws_the_program",
        "TestSloppy::test_bad_input_is_a_failed_rendering",
        "TestSloppy::test_missing_artifacts_are_a_failed_rendering",
        "TestSloppy::test_reports_name_and_version",
        "TestRaising::test_bad_programs_fail_with_a_reason",
        "TestRaising::test_never_raises_on_garbage",
        "TestRaising::test_enforces_its_time_limit",
    } <= failed, res.stdout[-3000:]
    passed = {"TestSloppy::test_registers_with_the_plugin_manager",
              "TestRaising::test_runs_a_good_program"}
    assert not passed & failed


class TestAnchorGrid(VisualPrompterContract):
    component = registry.load("visual_prompter", "anchor-grid")  # type: ignore[assignment]
    name = "anchor-grid"


def test_public_fixtures(visioncode_plugin_manager, visioncode_tiny_samples,  # type: ignore[no-untyped-def]
                         visioncode_tiny_dataset, visioncode_scripted_model) -> None:
    """The fixtures `visioncode.testing` gives plugin authors (through its pytest11
    entry point), used as a plugin's tests would use them."""
    from PIL import Image

    from visioncode.samples import load_manifest

    assert [s.meta["shape"] for s in visioncode_tiny_samples] == ["square", "circle",
                                                                   "triangle"]
    with Image.open(visioncode_tiny_samples[0].image) as img:
        assert img.size == (32, 32) and img.getpixel((16, 16)) == (214, 39, 40)
    assert [s.id for s in load_manifest(visioncode_tiny_dataset)] == [
        "0-square", "1-circle", "2-triangle"]
    visioncode_plugin_manager.register_component(visioncode_scripted_model, "model")
    completion = visioncode_plugin_manager.hook.visioncode_generate(
        request=ModelRequest(messages=[], sample_id="0-square"))
    assert completion.text.startswith("<svg") and completion.model == "testing-scripted"
    assert len(visioncode_scripted_model.requests) == 1
