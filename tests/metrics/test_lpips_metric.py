"""lpips against an independent LPIPS written out here with torch.nn.functional on the
same weight files (random backbone and linear weights in torchvision's and the lpips
package's formats), and the weight-finding rules. (The metric's network was also
checked against the `lpips` package itself, which cannot be imported here because it
needs torchvision.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from metrics_support import failed_round, rendered_round  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from visioncode import ComponentContext, Sample  # noqa: E402
from visioncode_metrics.features.backend import MissingModelError  # noqa: E402
from visioncode_metrics.features.lpips import BACKBONE_FILES, Lpips  # noqa: E402

F = torch.nn.functional
#: (kind, conv args) of torchvision's `features`, written independently of the plugin.
VGG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
VGG_TAPS = (3, 8, 15, 22, 29)  # relu1_2, relu2_2, relu3_3, relu4_3, relu5_3
ALEX = [(64, 11, 4, 2), "M", (192, 5, 1, 2), "M", (384, 3, 1, 1), (256, 3, 1, 1),
        (256, 3, 1, 1), "M"]
ALEX_TAPS = (1, 4, 7, 9, 11)


def random_weights(net: str, folder: Path) -> tuple[Path, Path]:
    """A torchvision-style backbone state dict and lpips-style linear weights."""
    gen = torch.Generator().manual_seed(7)
    state: dict[str, torch.Tensor] = {}
    chans, index, taps = 3, 0, []
    spec = VGG if net == "vgg" else ALEX
    for item in spec:
        if item == "M":
            index += 1
            continue
        out, k = (item, 3) if net == "vgg" else (item[0], item[1])
        state[f"features.{index}.weight"] = torch.randn(out, chans, k, k, generator=gen) * (
            2.0 / (chans * k * k)) ** 0.5
        state[f"features.{index}.bias"] = torch.randn(out, generator=gen) * 0.01
        taps.append(out)
        chans, index = out, index + 2  # conv, relu
    state["classifier.0.weight"] = torch.zeros(2, 2)  # present in torchvision's files
    widths = (64, 128, 256, 512, 512) if net == "vgg" else (64, 192, 384, 256, 256)
    linear = {f"lin{i}.model.1.weight": torch.rand(1, c, 1, 1, generator=gen)
              for i, c in enumerate(widths)}
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(state, folder / BACKBONE_FILES[net])
    torch.save(linear, folder / f"{net}.pth")
    return folder / BACKBONE_FILES[net], folder / f"{net}.pth"


def independent_lpips(net: str, backbone: Path, linear: Path, a: np.ndarray, b: np.ndarray,
                      inputs: str) -> float:
    sd = torch.load(backbone, weights_only=True)
    lin = torch.load(linear, weights_only=True)
    x = torch.from_numpy(np.stack([a, b]).transpose(0, 3, 1, 2).astype(np.float32))
    if inputs == "starvector":
        x = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor(
            [0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    else:
        x = x * 2 - 1
    x = (x - torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)) / torch.tensor(
        [0.458, 0.448, 0.450]).view(1, 3, 1, 1)
    taps = []
    index = 0
    for item in VGG if net == "vgg" else ALEX:
        if len(taps) == 5:  # the last pooling is not part of LPIPS
            break
        if item == "M":
            x = F.max_pool2d(x, 2, 2) if net == "vgg" else F.max_pool2d(x, 3, 2)
            index += 1
            continue
        stride, pad = (1, 1) if net == "vgg" else (item[2], item[3])
        x = F.relu(F.conv2d(x, sd[f"features.{index}.weight"], sd[f"features.{index}.bias"],
                            stride=stride, padding=pad))
        if index + 1 in (VGG_TAPS if net == "vgg" else ALEX_TAPS):
            taps.append(x)
        index += 2
    total = 0.0
    for i, t in enumerate(taps):
        n = t / (t.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10)
        d = (n[0] - n[1]).pow(2)
        total += float((d * lin[f"lin{i}.model.1.weight"][0]).sum(dim=0).mean())
    return total


def drawing(path: Path, shift: int = 0) -> Path:
    img = Image.new("RGB", (64, 48), "white")
    ImageDraw.Draw(img).rectangle((10 + shift, 8, 40 + shift, 36), fill=(220, 30, 60))
    ImageDraw.Draw(img).line((0, 45, 63, 2 + shift), fill=(0, 0, 0), width=2)
    img.save(path)
    return path


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0


@pytest.mark.parametrize(("net", "inputs"), [("vgg", "starvector"), ("alex", "lpips")])
def test_lpips_equals_an_independent_computation(tmp_path: Path, net: str,
                                                 inputs: str) -> None:
    backbone, linear = random_weights(net, tmp_path / "w")
    ref, ren = drawing(tmp_path / "ref.png"), drawing(tmp_path / "ren.png", shift=9)
    m = Lpips(Lpips.Options(net=net, inputs=inputs, backbone_weights=backbone,
                            lpips_weights=linear, device="cpu"),
              ComponentContext(name="lpips"))
    score = m.score(Sample(id="s", image=ref), rendered_round(ren))
    expected = independent_lpips(net, backbone, linear, pixels(ref), pixels(ren), inputs)
    assert score.values["lpips"] == pytest.approx(expected, rel=1e-4)
    assert score.values["lpips"] > 0 and score.higher_is_better == {"lpips": False}
    same = m.score(Sample(id="s", image=ref), rendered_round(ref))
    assert same.values["lpips"] == pytest.approx(0.0, abs=1e-9)
    blank = m.score(Sample(id="s", image=ref), failed_round())
    assert not blank.rendered and blank.values["lpips"] > 0  # against a white canvas


def test_weights_are_found_in_torch_hub_cache_and_missing_ones_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    ctx = ComponentContext(name="lpips", slot="metrics[0]")
    with pytest.raises(MissingModelError, match=r"vgg16-397923af\.pth") as err:
        Lpips(Lpips.Options(), ctx)
    assert "backbone_weights" in str(err.value) and "never downloads" in str(err.value)
    backbone, linear = random_weights("vgg", tmp_path / "torch" / "hub" / "checkpoints")
    with pytest.raises(MissingModelError, match="lpips_weights"):
        Lpips(Lpips.Options(lpips_weights=tmp_path / "nope.pth"), ctx)
    m = Lpips(Lpips.Options(lpips_weights=linear), ctx)  # backbone from $TORCH_HOME
    assert m.weight_files() == (backbone, linear)


def test_lpips_refuses_worst_and_small_images(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no worst value"):
        Lpips.Options(failure_policy="worst")
    backbone, linear = random_weights("alex", tmp_path)
    m = Lpips(Lpips.Options(net="alex", backbone_weights=backbone, lpips_weights=linear),
              ComponentContext(name="lpips"))
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (20, 20), "white").save(tiny)
    score = m.score(Sample(id="s", image=tiny), rendered_round(tiny))
    assert score.values["lpips"] is None and "too small" in score.details["reason"]
