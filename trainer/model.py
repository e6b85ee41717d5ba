"""TintaNet: EfficientNet-Lite0 U-Net with hint fusion, regression/class/scene/seg heads and an optional cVAE latent.

Shapes (NCHW, float32): L [N,1,H,W] in 0..100, hint_ab [N,2,H,W] in CIE units, hint_mask [N,1,H,W]
in {0,1}; H and W multiples of 32. Features at strides 2, 4, 8, 16, 32; class head at stride 4,
regression head at stride 2.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from trainer.bins import annealed_mean
from trainer.lite0 import EfficientNetLite0, load_pretrained, normalize

STRIDES = (2, 4, 8, 16, 32)


@dataclass
class ModelConfig:
    num_bins: int = 262
    reg_head: bool = True
    class_head: bool = True
    scene_head: bool = True
    seg_classes: int = 0          # >0 adds the segmentation head (SegClassRegSoft)
    latent_dim: int = 0           # >0 makes it a conditional VAE
    decoder_channels: tuple[int, ...] = field(default=(192, 128, 64, 32))  # strides 16, 8, 4, 2
    pretrained: bool = True
    # False: the stem's hint fusion sees no hints, so the encoder depends on L alone and the engine runs it once
    # per photo rather than once per stroke (hints still enter at every skip). On tinta-base 1.6's weights the
    # engine's hint results moved by <= 0.01 dB on the validation split (docs/history-tinta-base.md, 1.7).
    stem_hints: bool = True


def _conv_bn(cin: int, cout: int, k: int = 3) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


def hint_pyramid(hint_ab: torch.Tensor, hint_mask: torch.Tensor, stride: int) -> torch.Tensor:
    """[N,4,H/s,W/s]: mean hinted ab (scaled), hint coverage, and hint presence (max-pooled so 1 px survives)."""
    if stride == 1:
        return torch.cat([hint_ab * hint_mask / 100.0, hint_mask, hint_mask], 1)
    cover = F.avg_pool2d(hint_mask, stride)
    ab = F.avg_pool2d(hint_ab * hint_mask, stride) / (cover + 1e-6)
    present = F.max_pool2d(hint_mask, stride)
    return torch.cat([ab * present / 100.0, cover, present], 1)


class HintFusion(nn.Module):
    """Adds an embedding of the hints to a feature map; zero-initialised so pretraining is kept at start."""

    def __init__(self, channels: int, stride: int):
        super().__init__()
        self.stride = stride
        self.net = nn.Sequential(nn.Conv2d(4, 32, 3, padding=1), nn.ReLU(inplace=True),
                                 nn.Conv2d(32, channels, 1))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, x: torch.Tensor, hint_ab: torch.Tensor, hint_mask: torch.Tensor) -> torch.Tensor:
        return x + self.net(hint_pyramid(hint_ab, hint_mask, self.stride))


class FiLM(nn.Module):
    """Scales and shifts channels from a global vector (scene context and/or latent z)."""

    def __init__(self, dim: int, channels: int):
        super().__init__()
        self.lin = nn.Linear(dim, 2 * channels)
        nn.init.zeros_(self.lin.weight)
        nn.init.zeros_(self.lin.bias)

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.lin(g).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
        return x * (1 + gamma) + beta


class UpBlock(nn.Module):
    def __init__(self, cin: int, cskip: int, cout: int, gdim: int):
        super().__init__()
        self.conv1 = _conv_bn(cin + cskip, cout)
        self.conv2 = _conv_bn(cout, cout)
        self.film = FiLM(gdim, cout)

    def forward(self, x: torch.Tensor, skip: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        x = self.conv1(torch.cat([x, skip], 1))
        return self.film(self.conv2(x), g)


class Posterior(nn.Module):
    """q(z | true ab, gray features): a small conv net over ab at stride 8 and the stride-8 features."""

    def __init__(self, feat_channels: int, latent_dim: int):
        super().__init__()
        self.net = nn.Sequential(_conv_bn(2 + feat_channels, 64), nn.MaxPool2d(2), _conv_bn(64, 128),
                                 nn.MaxPool2d(2), _conv_bn(128, 128))
        self.out = nn.Linear(128, 2 * latent_dim)

    def forward(self, ab: torch.Tensor, feat8: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ab8 = F.adaptive_avg_pool2d(ab, feat8.shape[-2:]) / 100.0
        h = self.net(torch.cat([ab8, feat8.detach()], 1)).mean(dim=(2, 3))
        mu, logvar = self.out(h).chunk(2, dim=1)
        return mu, logvar.clamp(-8, 8)


class TintaNet(nn.Module):
    def __init__(self, cfg: ModelConfig, bins: torch.Tensor | None = None):
        super().__init__()
        self.cfg = cfg
        self.encoder = EfficientNetLite0()
        if cfg.pretrained:
            load_pretrained(self.encoder)
        chans = EfficientNetLite0.FEATURE_CHANNELS  # strides 2..32
        self.stem_hints = HintFusion(32, 2)
        self.skip_hints = nn.ModuleList(HintFusion(c, s) for c, s in zip(chans, STRIDES))
        self.gdim = 128 + cfg.latent_dim
        self.context = nn.Sequential(nn.Linear(1280, 128), nn.ReLU(inplace=True))
        d16, d8, d4, d2 = cfg.decoder_channels
        self.bottleneck = _conv_bn(chans[4], 256, 1)
        self.bottleneck_film = FiLM(self.gdim, 256)
        self.up16 = UpBlock(256, chans[3], d16, self.gdim)
        self.up8 = UpBlock(d16, chans[2], d8, self.gdim)
        self.up4 = UpBlock(d8, chans[1], d4, self.gdim)
        self.up2 = UpBlock(d4, chans[0], d2, self.gdim)
        if cfg.class_head:
            self.cls = nn.Sequential(_conv_bn(d4, d4), nn.Conv2d(d4, cfg.num_bins, 1))
        if cfg.reg_head or not cfg.class_head:
            self.reg = nn.Sequential(_conv_bn(d2 + 1, d2), nn.Conv2d(d2, 2, 3, padding=1))
        if cfg.seg_classes:
            self.seg = nn.Conv2d(d4, cfg.seg_classes, 1)
        if cfg.latent_dim:
            self.posterior = Posterior(chans[2], cfg.latent_dim)
        self.register_buffer("bins", bins if bins is not None else torch.zeros(cfg.num_bins, 2))

    # -- the photo-and-hints part (runs once per photo) -------------------------------------
    def encode(self, L: torch.Tensor, hint_ab: torch.Tensor, hint_mask: torch.Tensor):
        """Returns (skips [5 maps], global context [N,128], scene logits [N,1000])."""
        x = normalize((L / 100.0).expand(-1, 3, -1, -1))
        if self.cfg.stem_hints:
            feats = self.encoder.features(x, after_stem=lambda s: self.stem_hints(s, hint_ab, hint_mask))
        else:  # the fusion's answer to no hints, made from the stem's own shape so that nothing reads the hints
            feats = self.encoder.features(x, after_stem=lambda s: s + self.stem_hints.net(s.new_zeros(
                s.shape[0], 4, s.shape[2], s.shape[3])))
        skips = [fuse(f, hint_ab, hint_mask) for fuse, f in zip(self.skip_hints, feats)]
        pooled, scene = self.encoder.head(feats[-1])
        return skips, self.context(pooled), scene

    # -- the z-dependent part (runs once per sample) ----------------------------------------
    def decode(self, skips, ctx: torch.Tensor, L: torch.Tensor, temperature: torch.Tensor,
               z: torch.Tensor | None = None, class_head: bool = True) -> dict[str, torch.Tensor]:
        """Heads' outputs, plus feat8 (the decoder's stride-8 map, which trainer/variant_head.py reads).
        class_head=False skips the class head (half the CPU time) when only the regression head is wanted."""
        g = ctx if z is None else torch.cat([ctx, z], 1)
        x = self.bottleneck_film(self.bottleneck(skips[4]), g)
        x = self.up16(x, skips[3], g)
        x8 = self.up8(x, skips[2], g)
        x4 = self.up4(x8, skips[1], g)
        x2 = self.up2(x4, skips[0], g)
        out: dict[str, torch.Tensor] = {"feat8": x8}
        size = L.shape[-2:]
        if self.cfg.class_head and class_head:
            logits = self.cls(x4)
            out["logits"] = logits
            out["prob"] = F.softmax(logits.float(), dim=1)
            ab_cls = annealed_mean(logits, self.bins, temperature)
            out["ab_cls"] = ab_cls
        if hasattr(self, "reg"):
            l2 = F.avg_pool2d(L, 2) / 100.0
            reg = self.reg(torch.cat([x2, l2.to(x2.dtype)], 1)).float() * 100.0
            out["ab_reg"] = F.interpolate(reg, size=size, mode="bilinear", align_corners=False)
        if self.cfg.seg_classes:
            out["seg"] = self.seg(x4)
        main = out["ab_cls"] if "ab_cls" in out else out["ab_reg"]
        out["ab"] = F.interpolate(main, size=size, mode="bilinear", align_corners=False)
        if "ab_reg" not in out:
            out["ab_reg"] = out["ab"]
        return out

    def forward(self, L, hint_ab, hint_mask, temperature, z=None, ab_true=None):
        skips, ctx, scene = self.encode(L, hint_ab, hint_mask)
        extra = {"scene": scene}
        if self.cfg.latent_dim:
            if ab_true is not None:
                mu, logvar = self.posterior(ab_true, skips[2])
                z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
                extra.update(mu=mu, logvar=logvar)
            elif z is None:
                z = torch.zeros(L.shape[0], self.cfg.latent_dim, device=L.device, dtype=ctx.dtype)
        out = self.decode(skips, ctx, L, temperature, z)
        out.update(extra)
        return out


def build_model(cfg: ModelConfig | None = None, bins=None) -> TintaNet:
    cfg = cfg or ModelConfig()
    if bins is not None and not torch.is_tensor(bins):
        bins = torch.as_tensor(bins, dtype=torch.float32)
    if bins is not None:
        cfg.num_bins = len(bins)
    return TintaNet(cfg, bins)
