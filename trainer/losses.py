"""Multi-task colorization losses: smooth-L1 regression (optionally rebalanced), rebalanced soft-encoded class loss, scene KL, seg CE, VAE KL."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from trainer.bins import nearest_bin, soft_encode


@dataclass
class LossWeights:
    reg: float = 1.0
    cls: float = 1.0
    scene: float = 0.1
    seg: float = 0.5
    kl: float = 1.0          # final weight of the VAE KL after annealing
    free_bits: float = 0.25  # nats per latent dim that cost nothing, so z stays in use


def teacher_targets(teacher_logits: torch.Tensor, k: int = 5) -> torch.Tensor:
    """The teacher's top-k probabilities renormalised to 1, zero elsewhere (the seed's label smoothing)."""
    p = F.softmax(teacher_logits.float(), dim=1)
    top, idx = p.topk(k, dim=1)
    return torch.zeros_like(p).scatter_(1, idx, top / top.sum(1, keepdim=True))


def class_loss(logits: torch.Tensor, ab: torch.Tensor, bins: torch.Tensor, weights: torch.Tensor | None):
    """Cross-entropy against soft-encoded targets at the logits' resolution, weighted per pixel by rarity."""
    ab_s = F.adaptive_avg_pool2d(ab, logits.shape[-2:])
    target = soft_encode(ab_s, bins)
    logp = F.log_softmax(logits.float(), dim=1)
    ce = -(target * logp).sum(1)  # [N,h,w]
    if weights is not None:
        ce = ce * weights[nearest_bin(ab_s, bins)]
    return ce.mean()


def regression_loss(pred: torch.Tensor, ab: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """pred, ab [N,2,H,W]; weights [N,H,W] per pixel (rarity_weights) or None: a weighted mean."""
    # Huber on ab/10 with beta 0.1: L1 beyond one ab unit so rare vivid pixels don't dominate,
    # and /10 keeps its size next to the class cross-entropy's.
    per = F.smooth_l1_loss(pred.float() / 10.0, ab / 10.0, beta=0.1, reduction="none")
    if weights is None:
        return per.mean()
    return (per * weights[:, None]).mean() / weights.mean()


def rarity_weights(ab: torch.Tensor, bins: torch.Tensor, class_w: torch.Tensor, power: float,
                   stride: int = 4) -> torch.Tensor:
    """ab [N,2,H,W] -> [N,H,W]: the class loss's rebalancing weight of each pixel's colour, to the power `power`.

    The regression head, trained on an unweighted loss, learns the desaturated middle of what a gray pixel could
    be; weighting rare (vivid) colours up pulls it toward them, as class rebalancing does for the class head
    (Zhang et al. 2016). The bin is looked up on stride-`stride` means (as the class loss sees colour) and the
    weight spread back over the pixels.
    """
    ab_s = F.avg_pool2d(ab.float(), stride, ceil_mode=True)
    w = class_w[nearest_bin(ab_s, bins)] ** power
    return F.interpolate(w[:, None], scale_factor=stride, mode="nearest")[:, 0, :ab.shape[2], :ab.shape[3]]


def scene_loss(student_logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.kl_div(F.log_softmax(student_logits.float(), dim=1), target, reduction="batchmean")


def seg_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over labelled pixels (255 = unlabelled). Most photos have no label map, so a batch often
    has no labelled pixel at all: that is a loss of 0, not the NaN of an empty mean (and no device sync)."""
    up = F.interpolate(logits.float(), size=labels.shape[-2:], mode="bilinear", align_corners=False)
    total = F.cross_entropy(up, labels, ignore_index=255, reduction="sum")
    return total / (labels != 255).sum().clamp_min(1)


def kl_loss(mu: torch.Tensor, logvar: torch.Tensor, free_bits: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss with free bits per dimension, raw KL per sample) for q = N(mu, exp(logvar)) against N(0, I)."""
    kl = 0.5 * (mu.float() ** 2 + logvar.float().exp() - 1 - logvar.float())  # [N, D]
    per_dim = kl.mean(0)
    return torch.clamp(per_dim, min=free_bits).sum(), kl.sum(1).mean()


def colourfulness(rgb: torch.Tensor) -> torch.Tensor:
    """Hasler & Suesstrunk's M per image, differentiable: rgb [N,3,H,W] in 0..1 -> [N] in 8-bit units.

    The same measure as trainer/metrics.py's colourfulness, which the release rule reads.
    """
    p = rgb.float() * 255
    rg = p[:, 0] - p[:, 1]
    yb = 0.5 * (p[:, 0] + p[:, 1]) - p[:, 2]
    sd = (rg.var(dim=(1, 2), unbiased=False) + yb.var(dim=(1, 2), unbiased=False) + 1e-6).sqrt()
    mean = (rg.mean(dim=(1, 2)) ** 2 + yb.mean(dim=(1, 2)) ** 2 + 1e-6).sqrt()
    return sd + 0.3 * mean


def colour_loss(L: torch.Tensor, ab_pred: torch.Tensor, rgb_true: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
    """How far each crop's colourfulness is from the true crop's, |M(pred) - M(true)| / 100, averaged.

    The per-pixel and feature losses both reward a paler answer where the colour is uncertain (a pale guess is
    never far wrong), and a paler model also scores closer on a Frechet distance; this term holds each crop's
    overall colourfulness at the truth's without saying which hue. `gain` is the decoding's regression gain, so the
    decoded colour, not the raw head, is what is held. L [N,1,H,W] 0..100, ab [N,2,H,W], rgb_true [N,3,H,W] 0..1.
    """
    from trainer.perceptual import lab_to_rgb

    pred = lab_to_rgb(torch.cat([L.float(), gain * ab_pred.float()], 1))
    with torch.no_grad():
        want = colourfulness(rgb_true)
    return ((colourfulness(pred) - want).abs() / 100).mean()


def cast_loss(ab_pred: torch.Tensor, ab_true: torch.Tensor, gain: float = 1.0, per_crop: bool = False) -> torch.Tensor:
    """The batch's systematic tint: the ab distance between the decoded colours' mean and the truth's, / 10.

    per_crop: each crop's own tint instead, the mean over crops of that distance, so tints that differ with content
    (2026-12-03: OSIE and weather scenes made yellow, other groups not) no longer cancel across the batch.

    The release rule's cast (trainer/metrics.py) over a batch: per-crop hue errors that go different ways cancel,
    so the term does not say which hue a crop has, only that the colours as a whole lean no way. A head whose
    colour is lifted by a gain (the decoding's, or the colour term's) lifts its mean tint with it: the validation
    casts over 3 ab came from mean b* too high (yellow), at x1 already and more at every gain. ab [N,2,H,W].
    """
    dims = (2, 3) if per_crop else (0, 2, 3)
    d = gain * ab_pred.float().mean(dim=dims) - ab_true.float().mean(dim=dims)
    return (torch.sqrt((d * d).sum(-1) + 1e-6) / 10).mean()
