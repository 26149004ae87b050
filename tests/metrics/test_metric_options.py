"""Metric options checked by their effect: the compositing colour of the feature and
LPIPS metrics, CLIP's scale, renderer-agreement's SSIM window, and what the model-backed
metrics (codevqa, teachquiz, vlm-judge) read from the sample and send to their model.

The model-backed metrics get the core's real `testing-scripted` model (`ScriptedModel`),
handed over the way a pipeline does (`ComponentContext.model_factory`); it records every
request, which is where the prompt options show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from metrics_support import failed_round, numpy_ssim_rgb, rendered_round, square_image
from PIL import Image, ImageDraw

from visioncode import ComponentContext, Rendering, RenderSpec, RoundRecord, Sample
from visioncode.registry import load
from visioncode.testing.models import ScriptedModel
from visioncode_metrics.codevqa import Codevqa
from visioncode_metrics.images import load_rgb
from visioncode_metrics.renderer_agreement import RendererAgreement
from visioncode_metrics.teachquiz import Teachquiz
from visioncode_metrics.vlm_judge import VlmJudge

# -- background and image_scale of the embedding metrics ---------------------------------

DRAWN = (30, 90, 200)


def transparent_drawing(path: Path) -> Path:
    """A blue ellipse on a fully transparent canvas: what the background option decides."""
    img = Image.new("RGBA", (64, 48), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((10, 8, 44, 40), fill=(*DRAWN, 255))
    img.save(path)
    return path


def drawing_on(path: Path, background: tuple[int, int, int]) -> Path:
    """The same ellipse, opaque, on `background`."""
    img = Image.new("RGB", (64, 48), background)
    ImageDraw.Draw(img).ellipse((10, 8, 44, 40), fill=DRAWN)
    img.save(path)
    return path


@pytest.fixture(scope="module")
def feature_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from features_support import make_clip, make_dinov2, make_siglip

    root = tmp_path_factory.mktemp("models")
    return {"siglip": make_siglip(root / "siglip"), "dinov2": make_dinov2(root / "dinov2"),
            "clip": make_clip(root / "clip")}


def feature_metric(name: str, folder: Path, tmp_path: Path, **options: Any) -> Any:
    from visioncode_metrics.features.clip import Clip
    from visioncode_metrics.features.dinov2 import Dinov2
    from visioncode_metrics.features.siglip import Siglip

    cls = {"siglip": Siglip, "dinov2": Dinov2, "clip": Clip}[name]
    ctx = ComponentContext(name=name, cache_dir=tmp_path / "cache")
    return cls(cls.Options(local_path=folder, device="cpu", **options), ctx)


@pytest.mark.parametrize("name", ["siglip", "dinov2", "clip"])
def test_feature_metric_background_composites_transparent_renders(
        name: str, feature_models: dict[str, Path], tmp_path: Path) -> None:
    render = transparent_drawing(tmp_path / "render.png")
    on_black = Sample(id="s", image=drawing_on(tmp_path / "black.png", (0, 0, 0)))
    key = {"siglip": "siglip", "dinov2": "dinov2", "clip": "clip_image"}[name]
    black = feature_metric(name, feature_models[name], tmp_path, background="black")
    white = feature_metric(name, feature_models[name], tmp_path)  # default #ffffff
    same = black.score(on_black, rendered_round(render)).values[key]
    differs = white.score(on_black, rendered_round(render)).values[key]
    assert same == pytest.approx(1.0, abs=1e-5)  # over black the render is the reference
    assert differs is not None and differs < same - 1e-4
    # The blank canvas of a failed round is the background colour too.
    blank = feature_metric(name, feature_models[name], tmp_path, background="#000000",
                           failure_policy="blank").score(on_black, failed_round())
    assert blank.details["compared_with"] == "blank canvas #000000"


def test_clip_image_scale_multiplies_the_cosine(feature_models: dict[str, Path],
                                                tmp_path: Path) -> None:
    render = drawing_on(tmp_path / "render.png", (255, 255, 255))
    sample = Sample(id="s", image=drawing_on(tmp_path / "ref.png", (0, 0, 0)))
    one = feature_metric("clip", feature_models["clip"], tmp_path).score(
        sample, rendered_round(render)).values["clip_image"]
    scaled = feature_metric("clip", feature_models["clip"], tmp_path, image_scale=2.5,
                            failure_policy="worst")
    value = scaled.score(sample, rendered_round(render)).values["clip_image"]
    assert one is not None and abs(one) > 1e-3
    assert value == pytest.approx(2.5 * one, rel=1e-5)
    assert scaled.score(sample, failed_round()).values["clip_image"] == -2.5  # worst


def test_lpips_background_composites_transparent_renders(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from test_lpips_metric import random_weights

    from visioncode_metrics.features.lpips import Lpips

    backbone, linear = random_weights("alex", tmp_path / "w")
    render = transparent_drawing(tmp_path / "render.png")
    on_black = Sample(id="s", image=drawing_on(tmp_path / "black.png", (0, 0, 0)))

    def lpips(**options: Any) -> float | None:
        m = Lpips(Lpips.Options(net="alex", backbone_weights=backbone, lpips_weights=linear,
                                device="cpu", **options), ComponentContext(name="lpips"))
        return m.score(on_black, rendered_round(render)).values["lpips"]

    assert lpips(background="black") == pytest.approx(0.0, abs=1e-9)
    white = lpips()
    assert white is not None and white > 1e-3


# -- renderer-agreement's SSIM window ---------------------------------------------------

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 48">'
       '<circle cx="24" cy="22" r="15.3" fill="#c03"/>'
       '<path d="M2 46 L61 3" stroke="#124" stroke-width="1.3"/>'
       '<rect x="40.4" y="26.6" width="17.3" height="13.7" fill="none" stroke="#083" '
       'stroke-width="0.7"/></svg>')


@pytest.mark.slow
def test_renderer_agreement_win_size_sets_the_ssim_window(tmp_path: Path) -> None:
    executor = load("executor", "svg")(context=ComponentContext(name="svg"))
    cairo = load("renderer", "cairosvg")(context=ComponentContext(name="cairosvg"))
    values: dict[int, float] = {}
    try:
        execution = executor.execute(SVG, tmp_path)
        rendering = cairo.render(execution, RenderSpec(width=64, height=48), tmp_path)
        assert rendering.ok, rendering.error
        result = RoundRecord(round=0, execution=execution, rendering=rendering)
        for win in (3, 15):
            metric = RendererAgreement(RendererAgreement.Options(other={"use": "resvg"},
                                                                 win_size=win))
            try:
                values[win] = metric.score(Sample(id="s"), result).values["ssim_between"]
            finally:
                metric.close()
    finally:
        cairo.close()
    assert rendering.image is not None
    a = load_rgb(rendering.image)
    b = load_rgb(tmp_path / "agreement-resvg" / "render.png")
    assert not np.array_equal(a, b)  # the two engines anti-alias differently
    for win, value in values.items():
        assert value == pytest.approx(numpy_ssim_rgb(a, b, win), abs=1e-9), win
    assert abs(values[3] - values[15]) > 1e-6


# -- the model-backed metrics ------------------------------------------------------------

def scripted(answer: str) -> ScriptedModel:
    return ScriptedModel(ScriptedModel.Options(answers=[answer]),
                         ComponentContext(name="testing-scripted"))


def context(name: str, model: ScriptedModel) -> ComponentContext:
    return ComponentContext(name=name, model_factory=lambda spec: model.generate)


QUESTIONS = [{"id": "roof", "question": "What colour is the roof?",
              "choices": ["blue", "red"], "answer": "B"},
             {"id": "doors", "question": "How many doors?", "answer": ["1", "one"]}]


def test_codevqa_questions_field_and_prompts(tmp_path: Path) -> None:
    render = square_image(tmp_path / "render.png")
    sample = Sample(id="house", meta={"probes": QUESTIONS})
    model = scripted("B")
    default = Codevqa(Codevqa.Options(model={"use": "testing-scripted"}),
                      context("codevqa", model))
    none = default.score(sample, rendered_round(render))
    assert none.values["accuracy"] is None and none.details["reason"] == \
        "sample has no meta.questions"
    assert model.requests == []
    metric = Codevqa(Codevqa.Options(
        model={"use": "testing-scripted"}, questions_field="probes",
        multiple_choice_prompt="MC<{question}|{choices}>", open_prompt="OPEN<{question}>"),
        context("codevqa", model))
    score = metric.score(sample, rendered_round(render))
    assert score.values["accuracy"] == 0.5  # "B" is right for the roof only
    texts = {r.purpose: r.messages[0].text for r in model.requests}
    assert texts == {"codevqa:roof": "MC<What colour is the roof?|(A) blue\n(B) red>",
                     "codevqa:doors": "OPEN<How many doors?>"}


QUIZ = [{"id": "slope", "question": "Slope of y = 3x?", "choices": ["1", "3"],
         "answer": "B"}]


def test_teachquiz_fields_and_prompts_reach_the_student(tmp_path: Path) -> None:
    frame = square_image(tmp_path / "frame.png")
    model = scripted("ANSWER = B")
    metric = Teachquiz(Teachquiz.Options(
        student={"use": "testing-scripted"}, quiz_field="exam", concept_from="meta.topic",
        subtitles_field="narration", frames=1,
        baseline_prompt="BASE[{concept}]", unlearn_prompt="FORGET[{concept}]",
        video_prompt="WATCH[{concept}]",
        question_prompt="#{number}: {question} / {options} / {letters}"),
        context("teachquiz", model))
    sample = Sample(id="deriv", text="not the concept",
                    meta={"exam": QUIZ, "topic": "Derivatives"})
    result = RoundRecord(round=0, rendering=Rendering(
        status="ok", renderer="t", frames=[frame], images=[frame],
        metadata={"narration": "the slope is three", "subtitles": "WRONG FIELD"}))
    score = metric.score(sample, result)
    assert score.values["gain"] == 0.0 and score.values["video_accuracy"] == 1.0
    texts = {r.purpose: r.messages[0].text for r in model.requests}
    question = "#1: Slope of y = 3x? / A) 1\nB) 3 / A|B"
    assert texts["teachquiz:baseline:slope"] == f"BASE[Derivatives]\n\n{question}"
    assert texts["teachquiz:unlearned:slope"] == f"FORGET[Derivatives]\n\n{question}"
    video = texts["teachquiz:video:slope"]
    assert "Narration / subtitles of the video:\nthe slope is three" in video
    assert "WRONG FIELD" not in video and video.endswith(f"WATCH[Derivatives]\n\n{question}")
    assert score.details["subtitles"] == "the slope is three"


def test_teachquiz_background_colours_the_blank_frame() -> None:
    model = scripted("ANSWER = A")
    metric = Teachquiz(Teachquiz.Options(student={"use": "testing-scripted"},
                                         failure_policy="blank", background="#ff8000"),
                       context("teachquiz", model))
    sample = Sample(id="s", text="Slopes", meta={"quiz": QUIZ})
    try:
        score = metric.score(sample, failed_round())
        assert score.details["shown"] == "one blank frame #ff8000"
        (video,) = [r for r in model.requests if r.purpose.startswith("teachquiz:video")]
        (frame,) = video.images
        with Image.open(frame.path) as img:
            assert np.unique(np.asarray(img.convert("RGB")).reshape(-1, 3), axis=0).tolist() \
                == [[255, 128, 0]]
    finally:
        metric.close()


RUBRIC = [{"name": "fidelity", "description": "matches", "min": 0, "max": 10}]


def test_vlm_judge_prompt_show_reference_and_background(tmp_path: Path) -> None:
    ref, ren = square_image(tmp_path / "ref.png"), square_image(tmp_path / "ren.png", offset=4)
    sample = Sample(id="s", image=ref, text="Draw a square.")
    model = scripted('{"fidelity": 6}')
    prompt = "RUBRIC {criteria} TASK {task} REF {reference} EX {example}"
    metric = VlmJudge(VlmJudge.Options(judge={"use": "testing-scripted"}, criteria=RUBRIC,
                                       prompt=prompt, show_reference=False),
                      context("vlm-judge", model))
    score = metric.score(sample, rendered_round(ren))
    assert score.values == {"fidelity": 6.0, "overall": 0.6}
    (request,) = model.requests
    assert [i.path for i in request.images] == [ren]  # no reference attached
    assert request.messages[0].text.startswith(
        "RUBRIC - fidelity (0-10): matches TASK \nThe task the program was written for:\n"
        "Draw a square.\n REF  EX ")
    with_ref = VlmJudge(VlmJudge.Options(judge={"use": "testing-scripted"}, criteria=RUBRIC,
                                         prompt=prompt), context("vlm-judge", model))
    with_ref.score(sample, rendered_round(ren))
    assert [i.path for i in model.requests[1].images] == [ren, ref]
    assert "The REFERENCE image shows" in model.requests[1].messages[0].text
    blank = VlmJudge(VlmJudge.Options(judge={"use": "testing-scripted"}, criteria=RUBRIC,
                                      failure_policy="blank", background="rgb(0,0,255)",
                                      show_reference=False), context("vlm-judge", model))
    try:
        judged = blank.score(sample, failed_round())
        assert judged.details["judged"] == "blank canvas rgb(0,0,255)"
        with Image.open(model.requests[2].images[0].path) as img:
            assert np.unique(np.asarray(img.convert("RGB")).reshape(-1, 3), axis=0).tolist() \
                == [[0, 0, 255]]
    finally:
        blank.close()
