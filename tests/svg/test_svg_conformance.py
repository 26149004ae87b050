"""A fixed subset of resvg's regression suite, through extraction, the `svg` executor and
both renderers, against the reference PNGs (the suite's own pass rule).

One or two tests per cause of lost fidelity that the framework once had: the document's
own preserveAspectRatio, an explicit zero size, `<use>` cycles, internal entities,
MIME-less and gzip `data:` images, a prefixed `<svg:svg>` root, resvg's dpi and language
list, and blending against a transparent backdrop. Each test is one the bare library
passes (so a failure here is the framework's), or one the framework gains over it (zero
size under resvg, entities under cairosvg). The whole suite runs in
`benchmarks/svg_conformance.py`. Skipped, with the reason, when the suite
(`../shared/conformance/resvg` from the repository root) is absent.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from visioncode import RenderSpec
from visioncode_svg import extract_svg

ROOT = Path(__file__).resolve().parents[2]


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "svg_conformance", ROOT / "benchmarks" / "svg_conformance.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = _benchmark()
SUITE = bench.suite_dir()
pytestmark = pytest.mark.skipif(
    SUITE is None, reason=f"the resvg conformance suite is not at {bench.SUITE} (clone the "
    f"project with ../shared beside it, or set ${bench.SUITE_ENV})")

#: Test ids by cause, and the renderers whose bare library passes them.
BOTH = ("cairosvg", "resvg")
SUBSET = {
    "structure/svg/preserveAspectRatio=xMaxYMax-slice": BOTH,
    "structure/svg/preserveAspectRatio=none": BOTH,
    "structure/svg/preserveAspectRatio-with-viewBox-not-at-zero-pos": BOTH,
    "structure/svg/zero-size": BOTH,
    "structure/use/self-recursive": ("resvg",),
    "structure/use/indirect-recursive-1": ("resvg",),
    "structure/svg/elements-via-ENTITY-reference-3": BOTH,
    "structure/svg/attribute-value-via-ENTITY-reference": BOTH,
    "structure/image/embedded-svg-without-mime": BOTH,
    "structure/image/embedded-jpeg-without-mime": ("resvg",),
    "structure/image/embedded-svgz": BOTH,
    "structure/svg/explicit-svg-namespace": BOTH,
    "shapes/rect/mm-values": BOTH,
    "structure/systemLanguage/en-US": ("resvg",),
    "painting/mix-blend-mode/screen": ("resvg",),
}


@pytest.fixture(scope="module")
def cases() -> dict[str, object]:
    assert SUITE is not None
    return {c.id: c for c in bench.cases(SUITE, set(SUBSET))}


@pytest.mark.parametrize("test_id,engine", [
    (t, e) for t, engines in SUBSET.items() for e in engines])
def test_reference_rendering(test_id: str, engine: str, cases: dict, executor,
                             renderers: dict, tmp_path: Path) -> None:
    case = cases[test_id]
    extraction = extract_svg(case.svg.read_text(encoding="utf-8"))
    assert extraction.program is not None, extraction.notes
    execution = executor.execute(extraction.program, tmp_path / "exec")
    assert execution.ok, execution.error
    rendering = renderers[engine].render(
        execution, RenderSpec(width=case.width, height=case.height), tmp_path / "render")
    assert rendering.ok, rendering.error
    assert bench.passes(rendering.image, case), (
        f"{test_id} through {engine} differs from its reference in more than 1% of pixels")


def test_the_subset_exists(cases: dict) -> None:
    """Every named test is in the suite (a renamed file must not shrink the subset)."""
    assert set(cases) == set(SUBSET)


def test_pass_rule_fails_a_wrong_rendering(cases: dict, tmp_path: Path) -> None:
    """Guard for the rule itself: a blank canvas does not pass a test that draws."""
    from PIL import Image

    case = cases["structure/svg/attribute-value-via-ENTITY-reference"]
    blank = tmp_path / "blank.png"
    Image.new("RGBA", (case.width, case.height), (255, 255, 255, 255)).save(blank)
    assert not bench.passes(blank, case)
    assert bench.passes(case.png, case)
