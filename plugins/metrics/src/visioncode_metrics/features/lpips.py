"""LPIPS perceptual distance of the render to the reference, from local weights.

Source: Zhang et al., CVPR 2018, "The Unreasonable Effectiveness of Deep Features as a
Perceptual Metric"; reference implementation github.com/richzhang/PerceptualSimilarity
(the `lpips` package, version 0.1). For two images x, y:

    LPIPS(x, y) = sum_l mean_{h,w} ( w_l . (f_l(x) - f_l(y))^2 )

where f_l are the activations of five layers of an ImageNet backbone (VGG16: relu1_2,
relu2_2, relu3_3, relu4_3, relu5_3; AlexNet: relu1..relu5), each normalised to unit
length over channels (x / (||x|| + 1e-10)), and w_l the learned linear weights (a 1x1
convolution without bias). Inputs pass the LPIPS scaling layer, (x - shift) / scale
with shift = (-0.030, -0.088, -0.188), scale = (0.458, 0.448, 0.450). 0 is identical,
lower is better; there is no fixed upper bound (values are usually below 1).

The network is rebuilt here in plain torch (the `lpips` package imports torchvision,
which visioncode does not depend on) and loads two local files, never downloaded:

- `backbone_weights`: torchvision's ImageNet state dict (`vgg16-397923af.pth` or
  `alexnet-owt-7be5be79.pth`); default: that file in torch's hub cache
  (`$TORCH_HOME/hub/checkpoints`, where torchvision keeps downloads);
- `lpips_weights`: the linear layers, `weights/v0.1/{vgg,alex}.pth` of the `lpips`
  package; default: that file inside an installed `lpips` package (found without
  importing it).

`inputs` decides what the network sees. `starvector` (default) follows StarVector's
`starvector/metrics/compute_LPIPS.py` (github.com/joanrod/star-vector), the img2svg
system that reports LPIPS: `lpips.LPIPS(net="vgg")` fed with ImageNet-normalised tensors
((x - mean) / std, mean = (0.485, 0.456, 0.406), std = (0.229, 0.224, 0.225)).
`lpips` feeds 2x - 1 (the [-1, 1] range the LPIPS authors specify). The two give
different numbers; compare only runs that used the same setting.

Failure policy: `blank` (default, as the pixel metrics and StarVector) or `exclude`;
`worst` is refused because LPIPS has no worst value.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import field_validator

from visioncode import ComponentContext, ComponentOptions, FailurePolicy

from ..comparison import Comparison, ImageComparisonMetric, ImageMetricOptions
from .backend import Device, MissingModelError, import_torch, select_device

#: torchvision's file names for the ImageNet weights LPIPS v0.1 was calibrated on.
BACKBONE_FILES = {"vgg": "vgg16-397923af.pth", "alex": "alexnet-owt-7be5be79.pth"}
#: Channels of the five compared layers.
CHANNELS = {"vgg": (64, 128, 256, 512, 512), "alex": (64, 192, 384, 256, 256)}
#: Where each layer's activations are taken: the index (in torchvision's `features`)
#: of the last module of each slice, exclusive.
SLICE_ENDS = {"vgg": (4, 9, 16, 23, 30), "alex": (2, 5, 8, 10, 12)}
#: Smallest image side the backbone accepts.
MIN_SIDE = {"vgg": 16, "alex": 32}
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def backbone_layers(net: str) -> list[tuple[str, tuple[int, ...]]]:
    """torchvision's `features` layout: ("conv", (in, out, kernel, stride, padding)),
    ("relu", ()) or ("pool", (kernel, stride)), in order, so its state dict loads as is."""
    if net == "alex":
        return [("conv", (3, 64, 11, 4, 2)), ("relu", ()), ("pool", (3, 2)),
                ("conv", (64, 192, 5, 1, 2)), ("relu", ()), ("pool", (3, 2)),
                ("conv", (192, 384, 3, 1, 1)), ("relu", ()),
                ("conv", (384, 256, 3, 1, 1)), ("relu", ()),
                ("conv", (256, 256, 3, 1, 1)), ("relu", ()), ("pool", (3, 2))]
    layers: list[tuple[str, tuple[int, ...]]] = []
    channels = 3
    for width, convs in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(convs):
            layers += [("conv", (channels, width, 3, 1, 1)), ("relu", ())]
            channels = width
        layers.append(("pool", (2, 2)))
    return layers


def build_backbone(net: str) -> Any:
    """An `nn.Sequential` with torchvision's `features` layout for `net`."""
    nn = import_torch().nn
    modules: list[Any] = []
    for kind, args in backbone_layers(net):
        if kind == "conv":
            c_in, c_out, k, s, p = args
            modules.append(nn.Conv2d(c_in, c_out, kernel_size=k, stride=s, padding=p))
        elif kind == "relu":
            modules.append(nn.ReLU(inplace=False))
        else:
            modules.append(nn.MaxPool2d(kernel_size=args[0], stride=args[1]))
    return nn.Sequential(*modules)


class LpipsNetwork:
    """Backbone + linear layers on one device; `distance(x, y)` for [0, 1] images."""

    def __init__(self, net: str, backbone: dict[str, Any], linear: dict[str, Any],
                 device: str, inputs: str) -> None:
        torch = import_torch()
        self.net, self.device, self.inputs = net, device, inputs
        self.features = build_backbone(net)
        state = {k.removeprefix("features."): v for k, v in backbone.items()
                 if k.startswith("features.")}
        self.features.load_state_dict(state, strict=True)
        self.features.to(device).eval()
        self.lins = [linear[f"lin{i}.model.1.weight"].to(device, torch.float32)
                     for i in range(5)]
        for i, (w, c) in enumerate(zip(self.lins, CHANNELS[net], strict=True)):
            if tuple(w.shape) != (1, c, 1, 1):
                raise MissingModelError(
                    f"lpips weights: lin{i} has shape {tuple(w.shape)}, expected "
                    f"(1, {c}, 1, 1) for net {net!r}: are they the {net} file?")
        view = (1, 3, 1, 1)
        self.shift = torch.tensor(SHIFT, device=device).view(view)
        self.scale = torch.tensor(SCALE, device=device).view(view)
        self.mean = torch.tensor(IMAGENET_MEAN, device=device).view(view)
        self.std = torch.tensor(IMAGENET_STD, device=device).view(view)

    def _activations(self, x: Any) -> list[Any]:
        outs, start = [], 0
        for end in SLICE_ENDS[self.net]:
            for module in self.features[start:end]:
                x = module(x)
            outs.append(x)
            start = end
        return outs

    def distance(self, reference: np.ndarray, candidate: np.ndarray) -> float:
        torch = import_torch()
        pair = np.stack([reference, candidate]).transpose(0, 3, 1, 2)
        x = torch.from_numpy(np.ascontiguousarray(pair, dtype=np.float32)).to(self.device)
        x = (x - self.mean) / self.std if self.inputs == "starvector" else 2.0 * x - 1.0
        x = (x - self.shift) / self.scale
        with torch.inference_mode():
            total = 0.0
            for w, act in zip(self.lins, self._activations(x), strict=True):
                unit = act / (torch.sqrt(torch.sum(act * act, dim=1, keepdim=True)) + 1e-10)
                diff = (unit[0:1] - unit[1:2]) ** 2
                total += float(torch.nn.functional.conv2d(diff, w).mean())
        return total


class LpipsOptions(ImageMetricOptions):
    #: `blank` (default: a failed round is compared with a blank canvas) or `exclude`;
    #: `worst` is refused, LPIPS has no worst value.
    failure_policy: FailurePolicy = FailurePolicy.blank
    #: Backbone: `vgg` (StarVector) or `alex` (the LPIPS authors' default).
    net: Literal["vgg", "alex"] = "vgg"
    #: What the network is fed: `starvector` (ImageNet-normalised, as StarVector's
    #: evaluation) or `lpips` (2x - 1, the range the LPIPS authors specify).
    inputs: Literal["starvector", "lpips"] = "starvector"
    #: torchvision's ImageNet state dict for `net` (default: vgg16-397923af.pth or
    #: alexnet-owt-7be5be79.pth in $TORCH_HOME/hub/checkpoints). Relative to the pipeline.
    backbone_weights: Path | None = None
    #: The LPIPS v0.1 linear layers for `net` (default: weights/v0.1/NET.pth inside an
    #: installed `lpips` package). Relative to the pipeline file.
    lpips_weights: Path | None = None
    #: `auto` (CUDA, else Apple MPS, else CPU), or one of them explicitly.
    device: Device = "auto"

    @field_validator("failure_policy")
    @classmethod
    def _no_worst(cls, value: FailurePolicy) -> FailurePolicy:
        if value is FailurePolicy.worst:
            raise ValueError("LPIPS has no worst value: use blank or exclude")
        return value


class Lpips(ImageComparisonMetric):
    """`lpips`: LPIPS perceptual distance (Zhang et al. 2018) of the render to the
    reference, lower is better, 0 for identical images."""

    Options = LpipsOptions
    options: LpipsOptions

    key = "lpips"
    higher_is_better = False
    worst = float("nan")  # refused by the options: LPIPS has no worst value
    network_cache: ClassVar[dict[tuple[Any, ...], LpipsNetwork]] = {}

    def __init__(self, options: ComponentOptions | None = None,
                 context: ComponentContext | None = None) -> None:
        super().__init__(options, context)
        self._network: LpipsNetwork | None = None
        self._lock = threading.Lock()
        if self.context.slot:  # inside a pipeline: fail before any sample runs
            import_torch()
            self.weight_files()
            select_device(self.options.device)

    def weight_files(self) -> tuple[Path, Path]:
        """(backbone, linear) weight files, or MissingModelError saying how to get them."""
        net = self.options.net
        if self.options.backbone_weights is not None:
            backbone = self.context.resolve_path(self.options.backbone_weights)
        else:
            backbone = Path(import_torch().hub.get_dir()) / "checkpoints" / BACKBONE_FILES[net]
        if not backbone.is_file():
            raise MissingModelError(
                f"lpips: backbone weights {backbone} not found. visioncode never downloads "
                f"weights: copy torchvision's ImageNet {net} weights ({BACKBONE_FILES[net]}, "
                f"from a machine where torchvision downloaded them) there, or set the "
                f"metric's `backbone_weights` option to the file")
        if self.options.lpips_weights is not None:
            linear = self.context.resolve_path(self.options.lpips_weights)
        else:
            spec = importlib.util.find_spec("lpips")
            folder = (Path(next(iter(spec.submodule_search_locations)))
                      if spec and spec.submodule_search_locations else None)
            linear = (folder / "weights" / "v0.1" / f"{net}.pth") if folder else \
                Path(f"<lpips package>/weights/v0.1/{net}.pth")
        if not linear.is_file():
            raise MissingModelError(
                f"lpips: linear-layer weights {linear} not found. Set the metric's "
                f"`lpips_weights` option to weights/v0.1/{net}.pth of the lpips package "
                f"(`pip download lpips --no-deps` and unzip the wheel on a machine with "
                f"network), or install the lpips package here")
        return backbone, linear

    @property
    def network(self) -> LpipsNetwork:
        with self._lock:
            if self._network is None:
                torch = import_torch()
                backbone, linear = self.weight_files()
                device = select_device(self.options.device)
                key = (str(backbone), str(linear), device, self.options.net,
                       self.options.inputs)
                if key not in self.network_cache:
                    self.network_cache[key] = LpipsNetwork(
                        self.options.net,
                        torch.load(backbone, map_location="cpu", weights_only=True),
                        torch.load(linear, map_location="cpu", weights_only=True),
                        device, self.options.inputs)
                self._network = self.network_cache[key]
            return self._network

    def compare(self, reference: np.ndarray, candidate: np.ndarray) -> Comparison:
        details: dict[str, Any] = {"net": self.options.net, "inputs": self.options.inputs}
        if min(reference.shape[:2]) < MIN_SIDE[self.options.net]:
            details["reason"] = (f"image smaller than {MIN_SIDE[self.options.net]} pixels: "
                                 f"too small for the {self.options.net} backbone")
            return None, details
        details["device"] = self.network.device
        return self.network.distance(reference, candidate), details
