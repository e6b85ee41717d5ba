"""Training crops shown to the network crisper or softer than they are, so it colours photos of any sharpness alike.

The training photos are JPEGs of short side 144, enlarged further by the scale jitter, so the network learned
from soft images, and photos scanned larger and reduced to the working size, like the evaluation and historical
photos, carry more fine detail than it ever saw (docs/decoding-tinta-base.md, "Soft and crisp photos"). With
`--detail_jitter P` a share P of each batch has its L* fed to the network as L + a (L - G(L)), G a Gaussian blur of
FINE pixels and a drawn uniformly from [lo, hi] per crop: a > 0 is an unsharp mask (a = 1 is trainer/aging.py's
"crisp"), a = -1 the blur itself. Only the network's input changes; the targets, and the L* the perceptual and
adversarial losses put the predicted chroma on, stay the photo's own.

Shapes: L [B,1,H,W] float L* 0..100.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from engine.sharpness import FINE  # the fine scale the engine measures detail at


def _gauss(sigma: float, device, dtype) -> torch.Tensor:
    r = max(1, int(3 * sigma + 0.5))
    x = torch.arange(-r, r + 1, device=device, dtype=dtype)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def blur(L: torch.Tensor, sigma: float = FINE) -> torch.Tensor:
    """A separable Gaussian blur of [B,1,H,W] with reflected borders (as OpenCV's BORDER_REFLECT_101)."""
    k = _gauss(sigma, L.device, L.dtype)
    r = len(k) // 2
    out = F.conv2d(F.pad(L, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(out, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1))


def jitter_detail(L: torch.Tensor, share: float, lo: float = -1.0, hi: float = 1.5,
                  gen: torch.Generator | None = None) -> torch.Tensor:
    """L with a share `share` of its crops' fine detail scaled by 1 + a, a ~ U(lo, hi) (see the module's
    docstring); the rest, and everything when share <= 0, as they are. Clipped to 0..100."""
    if share <= 0:
        return L
    b = L.shape[0]
    pick = torch.rand(b, device=L.device, generator=gen) < share
    amount = lo + (hi - lo) * torch.rand(b, device=L.device, generator=gen)
    amount = torch.where(pick, amount, torch.zeros_like(amount)).to(L.dtype).view(b, 1, 1, 1)
    return (L + amount * (L - blur(L))).clamp(0.0, 100.0)
