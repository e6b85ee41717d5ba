"""A perceptual loss on EfficientNet-Lite1 feature maps, between the colorized crop and the true one.

The per-pixel regression loss rewards the desaturated middle of every possible colour; a feature-space loss rewards
colourings whose objects look like the true photo's to an image classifier. It uses Lite1, not Lite0: the
evaluation's Fréchet distance is on Lite0's pooled features, and a loss on the judge's own features would game it.
Features are compared unit-normalised over channels at each position (as LPIPS does, without learned weights) at
strides 4, 8 and 16; the coarser end of the network is skipped, as it is costly and mostly class identity.
With `pooled=True` the whole network runs and its pooled 1280-d feature (after the head conv, what a classifier
reads) is matched too, unit-normalised: a loss on whether the whole crop still reads as the same kind of thing, the
level the evaluation's Fréchet distance compares at, on Lite1 rather than the judge's Lite0.

Shapes: L [N,1,H,W] in 0..100, ab [N,2,H,W] in CIE units, rgb [N,3,H,W] sRGB in 0..1.
"""
from __future__ import annotations

import torch
from torch import nn

from trainer.gpu_data import _M, _WHITE
from trainer.lite0 import LITE_STAGES, EfficientNetLite0, load_pretrained, normalize, weights_path

TAPS = (3, 6, 10)  # the last block at strides 4 and 8, and the first stage at stride 16
_M_INV = torch.linalg.inv(_M)  # linear sRGB <- XYZ, once rather than per step


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """[N,3,H,W] CIE Lab -> sRGB in 0..1 (clipped), differentiable: the inverse of trainer/gpu_data.py's rgb_to_lab."""
    L, a, b = lab[:, :1], lab[:, 1:2], lab[:, 2:3]
    fy = (L + 16) / 116
    f = torch.cat([fy + a / 500, fy, fy - b / 200], 1)
    d = 6 / 29
    xyz = torch.where(f > d, f ** 3, 3 * d * d * (f - 4 / 29)) * _WHITE.to(lab).view(1, 3, 1, 1)
    lin = torch.einsum("ij,bjhw->bihw", _M_INV.to(lab), xyz).clamp(1e-6, 1.0)
    return torch.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)


def _unit(x: torch.Tensor) -> torch.Tensor:
    return x / (x.norm(dim=1, keepdim=True) + 1e-6)


class PerceptualLoss(nn.Module):
    def __init__(self, weights: str | None = None, pooled: bool = False):
        super().__init__()
        net = load_pretrained(EfficientNetLite0(stages=LITE_STAGES[1]), weights or weights_path(1))
        self.stem = nn.Sequential(net._conv_stem, net._bn0, nn.ReLU6())
        self.blocks = nn.ModuleList(net._blocks if pooled else net._blocks[:TAPS[-1] + 1])
        self.head = nn.Sequential(net._conv_head, net._bn1, nn.ReLU6()) if pooled else None
        self.eval().requires_grad_(False)

    def train(self, mode: bool = True):  # frozen: BatchNorm always uses ImageNet statistics
        return super().train(False)

    def features(self, rgb: torch.Tensor) -> list[torch.Tensor]:
        """The unit-normalised maps at TAPS, then (when pooled) the unit-normalised pooled feature [N,1280]."""
        x = self.stem(normalize(rgb))
        out = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in TAPS:
                out.append(_unit(x))
        if self.head is not None:
            out.append(_unit(self.head(x).mean(dim=(2, 3))))
        return out

    def terms(self, L: torch.Tensor, ab: torch.Tensor, rgb_true: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(the feature-map loss, the pooled-feature loss: 0 unless built with pooled=True), from one pass."""
        pred = lab_to_rgb(torch.cat([L.float(), ab.float()], 1))
        with torch.no_grad():
            want = self.features(rgb_true.float())
        got = self.features(pred)
        maps = sum(((g - w) ** 2).sum(1).mean() for g, w in zip(got[:len(TAPS)], want)) / len(TAPS)
        pooled = ((got[-1] - want[-1]) ** 2).sum(1).mean() if self.head is not None else maps.new_zeros(())
        return maps, pooled

    def forward(self, L: torch.Tensor, ab: torch.Tensor, rgb_true: torch.Tensor) -> torch.Tensor:
        return self.terms(L, ab, rgb_true)[0]
