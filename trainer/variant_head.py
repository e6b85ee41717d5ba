"""A light variant sampler on the shipped default model: a latent z moves the default's colours, at stride 8.

The cVAE sampler of version 1 runs a whole U-Net decoder per variant and decodes the class head's annealed
mean, so its variants cost 8 decoders and look like version 1's colours. This one keeps the default model
frozen and adds a small conditional head: variant(z) = reg_gain * ab_reg + up8(head(feat8, ctx, z)), times
the vividness (default temperature / temperature, as the engine's regression decoding does). feat8 is the
default decoder's stride-8 map and ctx its scene context; q(z | true ab, feat8) is the posterior while
training, and z ~ N(0, spread^2 I) when sampling. At z's prior mean the head is close to 0, so variant 0 is
close to the default colorization.

Exported as the engine's variant-sampler pair (engine/variants.py), so the engine needs no change:
  encoder  (L, hint_ab, hint_mask) -> ab_reg [1,2,H,W], feat8 [1,128,H/8,W/8], ctx [1,128], and the encoder's
           skip8 and skip16 (for engine/reference.py): the default network without its class head
  decoder  (ab_reg, feat8, ctx, z [N,D], temperature) -> ab [N,2,H,W]; the first conv runs at batch 1

Train and export: trainer/variant_train.py.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from trainer.model import FiLM, TintaNet, _conv_bn

FEAT8_CHANNELS = 128  # ModelConfig.decoder_channels[1]
CTX_CHANNELS = 128


class VariantHead(nn.Module):
    """(feat8 [B,128,h,w], ctx [B,128] or [1,128], z [N,D]) -> chroma offset [N,2,h,w] in ab units.

    The first conv sees only the default model's features, so a batch of N samples of one photo runs it once
    (B = 1) and broadcasts; the rest is FiLM-modulated by [ctx, z]. The output conv starts at zero: before
    training every variant is the default colorization.
    """

    def __init__(self, latent_dim: int = 16, width: int = 96, feat_channels: int = FEAT8_CHANNELS):
        super().__init__()
        self.latent_dim, self.width = int(latent_dim), int(width)
        gdim = CTX_CHANNELS + self.latent_dim
        self.conv1 = nn.Sequential(nn.Conv2d(feat_channels, width, 3, padding=1), nn.ReLU(inplace=True))
        self.film1 = FiLM(gdim, width)
        self.conv2 = nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.ReLU(inplace=True))
        self.film2 = FiLM(gdim, width)
        self.conv3 = nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.ReLU(inplace=True))
        self.film3 = FiLM(gdim, width)
        self.out = nn.Conv2d(width, 2, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, feat8: torch.Tensor, ctx: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        n = z.shape[0]
        g = torch.cat([ctx.expand(n, -1), z], 1)
        x = self.conv1(feat8.float())
        x = self.film1(x.expand(n, -1, -1, -1), g)
        x = self.film2(self.conv2(x), g)
        x = self.film3(self.conv3(x), g)
        return self.out(x) * 10.0  # the conv's unit output is 10 ab units, so plain initial rates suffice


class Posterior(nn.Module):
    """q(z | residual, feat8): the truth's offset from the default colours, pooled to stride 8, beside feat8.

    The residual is scaled to a few units (ab / 10): scaled by 1/100, as the first sampler's posterior had it,
    it is a small perturbation next to the features and the posterior learns to read it too slowly.
    """

    def __init__(self, feat_channels: int, latent_dim: int):
        super().__init__()
        self.net = nn.Sequential(_conv_bn(2 + feat_channels, 64), nn.MaxPool2d(2), _conv_bn(64, 128))
        self.out = nn.Linear(128, 2 * latent_dim)

    def forward(self, residual: torch.Tensor, feat8: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        r8 = F.adaptive_avg_pool2d(residual.float(), feat8.shape[-2:]) / 10.0
        h = self.net(torch.cat([r8, feat8.float()], 1)).mean(dim=(2, 3))
        mu, logvar = self.out(h).chunk(2, dim=1)
        return mu, logvar.clamp(-8, 8)


class VariantModel(nn.Module):
    """Head and posterior, trained together; the base model is separate and frozen."""

    def __init__(self, latent_dim: int = 16, width: int = 96, feat_channels: int = FEAT8_CHANNELS):
        super().__init__()
        self.head = VariantHead(latent_dim, width, feat_channels)
        self.posterior = Posterior(feat_channels, latent_dim)


def base_outputs(net: TintaNet, L, hint_ab, hint_mask, with_skips: bool = False) -> tuple[torch.Tensor, ...]:
    """The frozen default model's (ab_reg [N,2,H,W], feat8 [N,128,H/8,W/8], ctx [N,128]), class head skipped;
    with_skips adds its encoder's skip8 and skip16 maps (what engine/reference.py matches photos by)."""
    skips, ctx, _ = net.encode(L, hint_ab, hint_mask)
    out = net.decode(skips, ctx, L, ctx.new_ones(1), None, class_head=False)  # no class head: T is unused
    return (out["ab_reg"], out["feat8"], ctx) + ((skips[2], skips[3]) if with_skips else ())


def compose(ab_reg: torch.Tensor, delta: torch.Tensor, reg_gain: float) -> torch.Tensor:
    """reg_gain * ab_reg [1 or N,2,H,W] plus delta [N,2,h,w] upsampled to H x W -> [N,2,H,W]."""
    up = F.interpolate(delta, size=ab_reg.shape[-2:], mode="bilinear", align_corners=False)
    return reg_gain * ab_reg + up


class EncoderGraph(nn.Module):
    """Exported encoder: (L, hint_ab, hint_mask) -> (ab_reg, feat8, ctx, skip8, skip16) of the frozen default
    model; the skips are for engine/reference.py, which matches a photo to a reference by them."""

    def __init__(self, net: TintaNet):
        super().__init__()
        self.net = net

    def forward(self, L, hint_ab, hint_mask):
        return base_outputs(self.net, L, hint_ab, hint_mask, with_skips=True)


class DecoderGraph(nn.Module):
    """Exported decoder: (ab_reg, feat8, ctx with batch 1; z [N,D]; temperature [1]) -> ab [N,2,H,W].

    Vividness enters as the engine's regression decoding takes it: the colour is scaled by
    default_temperature / temperature (the engine divides the temperature by the vividness).
    """

    def __init__(self, head: VariantHead, reg_gain: float, default_temperature: float):
        super().__init__()
        self.head = head
        self.reg_gain, self.t0 = float(reg_gain), float(default_temperature)

    def forward(self, ab_reg, feat8, ctx, z, temperature):
        ab = compose(ab_reg, self.head(feat8, ctx, z), self.reg_gain)
        return ab * (self.t0 / temperature.float().view(1, 1, 1, 1))
