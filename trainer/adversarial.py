"""A conditional patch critic and hinge losses for a short adversarial stage after pre-training (DeOldify's NoGAN).

The regression head, trained on a per-pixel loss, learns the desaturated middle of what each gray pixel could be;
weighting vivid pixels up (--reg_rebalance) only moved colour to the wrong places (docs/cpu-finetune-tinta-base.md).
A critic judges whole patches of (L, ab) instead, so the head is pushed toward colourings that look like real photos
where they are, not toward vivid colour in general. NoGAN's order: the critic first learns on the pre-trained
generator's output alone (`adv_start` steps), then both train, briefly, with the per-pixel loss kept as the anchor.

Shapes: L [N,1,H,W] in 0..100, ab [N,2,H,W] in CIE units; the critic returns patch logits [N,1,H/32,W/32].
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class PatchCritic(nn.Module):
    """PatchGAN-style critic on (L, ab): four stride-2 convolutions on the half-resolution input (receptive
    field 156 px, so a patch holds an object and its surroundings), spectral-normalised so its gradients stay
    bounded without a penalty term. At width 32 a critic step costs about a tenth of a fine-tune step on a CPU."""

    def __init__(self, width: int = 32):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            spectral_norm(nn.Conv2d(3, w, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True),
            spectral_norm(nn.Conv2d(w, 2 * w, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True),
            spectral_norm(nn.Conv2d(2 * w, 4 * w, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True),
            spectral_norm(nn.Conv2d(4 * w, 4 * w, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True),
            spectral_norm(nn.Conv2d(4 * w, 1, 3, 1, 1)))

    def forward(self, L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        # At half resolution: the head predicts colour at stride 2 anyway, and it costs a quarter.
        x = torch.cat([L / 50.0 - 1.0, ab.float() / 110.0], 1)
        return self.net(F.avg_pool2d(x, 2))


def critic_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Hinge loss for the critic: real patches above +1, generated ones below -1."""
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Hinge loss for the generator: raise the critic's score of its patches."""
    return -fake_logits.mean()


def adv_weight(step: int, start: int, ramp: int, weight: float) -> float:
    """The generator's adversarial weight at `step`: 0 while the critic learns alone, then a linear ramp to
    `weight` over `ramp` steps, so the generator is not jerked by a critic that just met it."""
    if step < start:
        return 0.0
    return weight * min(1.0, (step - start + 1) / max(1, ramp))
