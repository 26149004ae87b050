"""siglip, dinov2 and clip against a direct computation with the same tiny random model
(the model's own forward pass, not the metric's code path), loaded through the metrics'
real loading code: a local folder, or the Hugging Face cache by model id."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from features_support import (  # noqa: E402
    cos,
    make_clip,
    make_dinov2,
    make_siglip,
    picture,
    populate_hub_cache,
    rgb,
)
from metrics_support import failed_round, rendered_round  # noqa: E402
from PIL import Image  # noqa: E402

from visioncode import ComponentContext, Rendering, RoundRecord, Sample  # noqa: E402
from visioncode_metrics.features.backend import (  # noqa: E402
    MissingModelError,
    select_device,
)
from visioncode_metrics.features.clip import Clip  # noqa: E402
from visioncode_metrics.features.dinov2 import Dinov2  # noqa: E402
from visioncode_metrics.features.siglip import SIGLIP_MODEL, Siglip  # noqa: E402


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    return {"siglip": make_siglip(root / "siglip"), "dinov2": make_dinov2(root / "dinov2"),
            "clip": make_clip(root / "clip")}


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    return {"reference": picture(tmp_path / "reference.png"),
            "render": picture(tmp_path / "render.png", offset=7, colour=(200, 60, 40)),
            "frame": picture(tmp_path / "frame.png", offset=3)}


def metric(cls: type, tmp_path: Path, **options: object):
    ctx = ComponentContext(name=cls.__name__.lower(), cache_dir=tmp_path / "cache")
    return cls(cls.Options(**options), ctx)


def siglip_pixels(path: Path) -> torch.Tensor:
    """SigLIP's preprocessing, written out: bicubic resize to 32 x 32, [0, 1], then
    (x - 0.5) / 0.5."""
    img = rgb(path).resize((32, 32), Image.Resampling.BICUBIC)
    x = np.asarray(img, dtype=np.float32) / 255.0
    return torch.from_numpy(((x - 0.5) / 0.5).transpose(2, 0, 1).copy())


def test_siglip_equals_cosine_of_the_models_image_embeddings(
        models: dict[str, Path], images: dict[str, Path], tmp_path: Path) -> None:
    from transformers import SiglipModel

    m = metric(Siglip, tmp_path, local_path=models["siglip"])
    score = m.score(Sample(id="s", image=images["reference"]), rendered_round(images["render"]))
    model = SiglipModel.from_pretrained(models["siglip"]).eval()
    with torch.no_grad():
        out = model(input_ids=torch.zeros((1, 4), dtype=torch.long),
                    pixel_values=torch.stack([siglip_pixels(images["reference"]),
                                              siglip_pixels(images["render"])]))
    expected = cos(out.image_embeds[0], out.image_embeds[1])
    assert score.values["siglip"] == pytest.approx(expected, abs=1e-5)
    assert score.rendered and score.policy.value == "exclude"
    assert score.details["device"] == "cpu" and score.details["model"] == SIGLIP_MODEL
    same = m.score(Sample(id="s", image=images["reference"]),
                   rendered_round(images["reference"]))
    assert same.values["siglip"] == pytest.approx(1.0, abs=1e-5)


def test_model_is_found_in_the_hugging_face_cache_by_id(
        models: dict[str, Path], images: dict[str, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    populate_hub_cache(tmp_path / "hf" / "hub", SIGLIP_MODEL, models["siglip"])
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    sample = Sample(id="s", image=images["reference"])
    cached = metric(Siglip, tmp_path).score(sample, rendered_round(images["render"]))
    local = metric(Siglip, tmp_path / "b", local_path=models["siglip"]).score(
        sample, rendered_round(images["render"]))
    assert cached.values["siglip"] == pytest.approx(local.values["siglip"], abs=1e-6)


def test_missing_model_is_a_clear_error_before_any_sample(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    ctx = ComponentContext(name="siglip", slot="metrics[0]", cache_dir=tmp_path)
    with pytest.raises(MissingModelError) as err:  # as a pipeline builds it
        Siglip(Siglip.Options(), ctx)
    message = str(err.value)
    assert SIGLIP_MODEL in message and "local_path" in message and "HF_HOME" in message
    assert "never downloads" in message
    with pytest.raises(MissingModelError, match="not a model folder"):
        Siglip(Siglip.Options(local_path=tmp_path / "nothing"), ctx)


def test_reference_embeddings_are_cached_across_instances(
        models: dict[str, Path], images: dict[str, Path], tmp_path: Path) -> None:
    sample = Sample(id="s", image=images["reference"])
    first = metric(Siglip, tmp_path, local_path=models["siglip"])
    a = first.score(sample, rendered_round(images["render"]))
    assert a.details["reference_embedding"] == "computed"
    files = list((tmp_path / "cache" / "embeddings").rglob("*.npy"))
    assert len(files) == 1
    second = metric(Siglip, tmp_path, local_path=models["siglip"])  # a later run
    b = second.score(sample, rendered_round(images["render"]))
    assert b.details["reference_embedding"] == "cache"
    # Equal up to float32 rounding: a batch of two and a batch of one differ in the 8th digit.
    assert b.values["siglip"] == pytest.approx(a.values["siglip"], abs=1e-6)
    other = metric(Dinov2, tmp_path, local_path=models["dinov2"])  # another model: own key
    assert other.score(sample, rendered_round(images["render"])).details[
        "reference_embedding"] == "computed"
    off = metric(Siglip, tmp_path / "off", local_path=models["siglip"], cache_embeddings=False)
    off.score(sample, rendered_round(images["render"]))
    assert not (tmp_path / "off" / "cache").exists()


def test_all_images_are_batched_and_each_scored(
        models: dict[str, Path], images: dict[str, Path], tmp_path: Path) -> None:
    m = metric(Siglip, tmp_path, local_path=models["siglip"], images="all", batch_size=2)
    calls = []
    original = m.embed_pixels
    m.embed_pixels = lambda model, px: calls.append(len(px)) or original(model, px)  # type: ignore[method-assign]
    result = RoundRecord(round=0, rendering=Rendering(
        status="ok", renderer="t", images=[images["render"], images["reference"]],
        frames=[images["frame"]]))
    score = m.score(Sample(id="s", image=images["reference"]), result)
    assert calls == [2, 2]  # three candidates and the reference, two at a time
    per = score.details["per_image"]
    assert list(per) == [str(images["render"]), str(images["reference"]), str(images["frame"])]
    single = metric(Siglip, tmp_path / "x", local_path=models["siglip"])
    for path, value in per.items():
        alone = single.score(Sample(id="s", image=images["reference"]),
                             rendered_round(Path(path)))
        assert value == pytest.approx(alone.values["siglip"], abs=1e-5)
    assert score.values["siglip"] == pytest.approx(np.mean(list(per.values())))


def test_failure_policies(models: dict[str, Path], images: dict[str, Path],
                          tmp_path: Path) -> None:
    sample = Sample(id="s", image=images["reference"])
    excluded = metric(Siglip, tmp_path, local_path=models["siglip"]).score(
        sample, failed_round())
    assert excluded.values == {"siglip": None} and not excluded.rendered
    assert excluded.details["failure"]["status"] == "render_error"
    worst = metric(Siglip, tmp_path, local_path=models["siglip"], failure_policy="worst")
    assert worst.score(sample, failed_round()).values == {"siglip": -1.0}
    blank_metric = metric(Siglip, tmp_path, local_path=models["siglip"],
                          failure_policy="blank")
    blank = blank_metric.score(sample, failed_round())
    white = Image.new("RGB", rgb(images["reference"]).size, "white")
    white.save(tmp_path / "white.png")
    direct = blank_metric.score(sample, rendered_round(tmp_path / "white.png"))
    assert blank.values["siglip"] == pytest.approx(direct.values["siglip"], abs=1e-6)
    assert not blank.rendered and blank.details["compared_with"] == "blank canvas #ffffff"
    no_ref = metric(Siglip, tmp_path, local_path=models["siglip"]).score(
        Sample(id="t", text="x"), rendered_round(images["render"]))
    assert no_ref.values == {"siglip": None} and "reference" in no_ref.details["reason"]


def test_dinov2_is_starvectors_rescaled_cosine_of_mean_hidden_states(
        models: dict[str, Path], images: dict[str, Path], tmp_path: Path) -> None:
    from transformers import AutoImageProcessor, Dinov2Model

    m = metric(Dinov2, tmp_path, local_path=models["dinov2"])
    score = m.score(Sample(id="s", image=images["reference"]), rendered_round(images["render"]))
    processor = AutoImageProcessor.from_pretrained(models["dinov2"])
    model = Dinov2Model.from_pretrained(models["dinov2"]).eval()
    with torch.no_grad():
        feats = [model(**processor(images=rgb(images[k]), return_tensors="pt"))
                 .last_hidden_state.mean(dim=1) for k in ("reference", "render")]
    expected = (cos(feats[0], feats[1]) + 1) / 2
    assert score.values["dinov2"] == pytest.approx(expected, abs=1e-5)
    assert score.policy.value == "blank" and 0.0 <= score.values["dinov2"] <= 1.0
    assert m.score(Sample(id="s", image=images["reference"]), failed_round()
                   ).values["dinov2"] is not None  # StarVector scores failures as blank


def test_clip_image_and_text_values(models: dict[str, Path], images: dict[str, Path],
                                    tmp_path: Path) -> None:
    from transformers import AutoImageProcessor, AutoTokenizer, CLIPModel

    text = "a blue circle"  # 11 characters: fits the tiny model's 16 positions
    m = metric(Clip, tmp_path, local_path=models["clip"])
    score = m.score(Sample(id="s", image=images["reference"], text=text),
                    rendered_round(images["render"]))
    processor = AutoImageProcessor.from_pretrained(models["clip"])
    tokens = AutoTokenizer.from_pretrained(models["clip"])([text], return_tensors="pt")
    model = CLIPModel.from_pretrained(models["clip"]).eval()
    with torch.no_grad():
        out = model(**tokens, pixel_values=processor(
            images=[rgb(images["reference"]), rgb(images["render"])],
            return_tensors="pt")["pixel_values"])
    assert score.values["clip_image"] == pytest.approx(
        cos(out.image_embeds[0], out.image_embeds[1]), abs=1e-5)
    assert score.values["clip_text"] == pytest.approx(
        100 * cos(out.text_embeds[0], out.image_embeds[1]), abs=1e-3)
    no_text = m.score(Sample(id="s", image=images["reference"]),
                      rendered_round(images["render"]))
    assert no_text.values["clip_text"] is None and "text" in no_text.details["text_reason"]
    meta = metric(Clip, tmp_path, local_path=models["clip"], text_from="meta.caption",
                  text_scale=2.5).score(
        Sample(id="s", meta={"caption": text}), rendered_round(images["render"]))
    assert meta.values["clip_image"] is None
    assert meta.values["clip_text"] == pytest.approx(
        2.5 * cos(out.text_embeds[0], out.image_embeds[1]), abs=1e-4)
    long = m.score(Sample(id="s", text=text * 10), rendered_round(images["render"]))
    assert long.values["clip_text"] is not None  # truncated to the model's positions
    worst = metric(Clip, tmp_path, local_path=models["clip"], failure_policy="worst").score(
        Sample(id="s", image=images["reference"], text=text), failed_round())
    assert worst.values == {"clip_image": -1.0, "clip_text": -100.0}


def test_device_selection() -> None:
    assert select_device("cpu") == "cpu"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert select_device("auto") in {expected, "mps"}
    if not torch.cuda.is_available():
        with pytest.raises(Exception, match="not available"):
            select_device("cuda")


def test_feature_metrics_in_a_pipeline(models: dict[str, Path], tmp_path: Path,
                                       private_model_state: Path) -> None:
    import os

    from tests.conftest import pipeline_toml, write_dataset
    from visioncode.config import load_config
    from visioncode.runner import Runner
    from visioncode.store import RunStore

    dataset = write_dataset(tmp_path / "data", n=2)
    relative = os.path.relpath(models["siglip"], tmp_path)  # resolved against the file
    extra = f"""
[[metrics]]
use = "siglip"
options = {{ local_path = "{relative}", device = "cpu" }}

[[metrics]]
use = "dinov2"
options = {{ local_path = "{models['dinov2']}" }}
"""
    config = tmp_path / "pipeline.toml"
    config.write_text(pipeline_toml(dataset, metrics=("render-success",)) + extra)
    summary = Runner(load_config(config), tmp_path / "run").run(console="quiet")
    assert summary.ok == 2
    for record in RunStore(tmp_path / "run").load():
        assert -1.0 <= record.scores["siglip"].values["siglip"] <= 1.0
        assert 0.0 <= record.scores["dinov2"].values["dinov2"] <= 1.0
    cached = list((private_model_state / "cache" / "embeddings").rglob("*.npy"))
    assert len(cached) == 4  # two references, two models
    by_key = {(m.metric, m.key): m for m in summary.metrics}
    assert by_key[("siglip", "siglip")].n == 2
    assert by_key[("siglip", "siglip")].ci_low is not None


def test_frames_compares_each_frame_with_the_embedding_metric(
        models: dict[str, Path], images: dict[str, Path], tmp_path: Path) -> None:
    """`frames` with `compare = "dinov2"`: each frame pair gets the still metric's own
    value (checked against dinov2 on that pair), the mean and the worst frame follow."""
    from visioncode_metrics.frames import Frames

    reference = [images["reference"], images["reference"]]
    rendered = [images["reference"], images["render"]]
    ctx = ComponentContext(name="frames", cache_dir=tmp_path / "cache")
    frames = Frames(Frames.Options(compare="dinov2",
                                   compare_options={"local_path": str(models["dinov2"])}),
                    ctx)
    rendering = Rendering(status="ok", renderer="t", images=[rendered[-1]], frames=rendered,
                          metadata={"fps": 2})
    score = frames.score(Sample(id="s", reference_images=reference),
                         RoundRecord(round=0, rendering=rendering))
    still = metric(Dinov2, tmp_path, local_path=models["dinov2"])
    other = still.score(Sample(id="s", image=images["reference"]),
                        rendered_round(images["render"])).values["dinov2"]
    assert score.values["frames_compared"] == 2
    assert score.details["per_frame"][0] == pytest.approx(1.0, abs=1e-5)
    assert score.details["per_frame"][1] == pytest.approx(other, abs=1e-5)
    assert score.values["dinov2_worst"] == pytest.approx(other, abs=1e-5)
    assert score.values["dinov2_mean"] == pytest.approx((1.0 + other) / 2, abs=1e-5)
    assert other < 0.999
