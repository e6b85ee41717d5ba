"""Training batches made on the accelerator: photos decoded once into device memory, then crops, flips, scale
jitter, Lab conversion and simulated hints as batched tensor ops (a per-crop CPU loader starves an H200).

Shapes: the bank is uint8 [N, 3, C, C] (each photo top-left in a CxC canvas, C = `canvas`, 256 by
default: 29.5k photos at short side 144 take 5.8 GB) with sizes [N, 2] (h, w); label maps, when given, uint8
[N, C, C] (255 = unlabelled, also for photos without one). A batch is the dict ColorDataset items make,
stacked: L [B,1,S,S], ab [B,2,S,S], rgb [B,3,S,S], hint_ab [B,2,S,S], hint_mask [B,1,S,S], float32 on the
device, and with label maps seg [B,S,S] int64, cropped, scaled and flipped with its photo.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from trainer.data import check_scale
from trainer.hints_sim import PATCH_RANGE

IGNORE = 255  # label of an unlabelled pixel (trainer/data.py)

# sRGB (D65) -> XYZ, and the D65 white, as in OpenCV's and the engine's Lab conversions.
_M = torch.tensor([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]])
_WHITE = torch.tensor([0.950456, 1.0, 1.088754])


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """[B,3,H,W] sRGB in 0..1 -> [B,3,H,W] CIE Lab (L 0..100), float32."""
    lin = torch.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = torch.einsum("ij,bjhw->bihw", _M.to(rgb), lin) / _WHITE.to(rgb).view(1, 3, 1, 1)
    eps = (6 / 29) ** 3
    f = torch.where(xyz > eps, xyz.clamp_min(eps) ** (1 / 3), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    L = torch.where(xyz[:, 1:2] > eps, 116 * f[:, 1:2] - 16, 903.3 * xyz[:, 1:2])
    return torch.cat([L, 500 * (f[:, 0:1] - f[:, 1:2]), 200 * (f[:, 1:2] - f[:, 2:3])], 1)


class PhotoBank:
    """Every training photo, decoded once, resident on `device`; `batch()` draws augmented crops."""

    def __init__(self, photos: list[np.ndarray], device, canvas: int = 256,
                 labels: list[np.ndarray | None] | None = None):
        """labels: one H x W uint8 label map per photo (None where it has none), or None for no seg targets."""
        n = len(photos)
        self.canvas, self.device = canvas, torch.device(device)
        bank = np.zeros((n, canvas, canvas, 3), np.uint8)
        seg = None if labels is None else np.full((n, canvas, canvas), IGNORE, np.uint8)
        sizes = np.zeros((n, 2), np.int64)
        for i, rgb in enumerate(photos):
            h, w = rgb.shape[:2]
            s = min(1.0, canvas / max(h, w))  # photos longer than the canvas are shrunk to fit
            size = (max(1, round(w * s)), max(1, round(h * s)))
            if s < 1.0:
                rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            lab = None if labels is None else labels[i]
            if lab is not None:
                if lab.shape != (h, w):
                    raise ValueError(f"photo {i}: label map {lab.shape} is not its photo's {h}x{w}")
                if s < 1.0:
                    lab = cv2.resize(lab, size, interpolation=cv2.INTER_NEAREST)  # classes, never blends of them
            h, w = rgb.shape[:2]
            bank[i, :h, :w] = rgb
            if lab is not None:
                seg[i, :h, :w] = lab
            sizes[i] = h, w
        self.bank = torch.from_numpy(bank).permute(0, 3, 1, 2).contiguous().to(self.device)
        self.seg = None if seg is None else torch.from_numpy(seg).to(self.device)
        self.sizes = torch.from_numpy(sizes).to(self.device)

    def __len__(self) -> int:
        return len(self.sizes)

    def crops(self, idx: torch.Tensor, crop: int, scale=(1.0, 1.6), gen: torch.Generator | None = None,
              fit: bool = False):
        """[B,3,crop,crop] float 0..1: rescale so the short side >= crop (times U(scale)), crop at random,
        flip half; one grid_sample call for the batch (bilinear; crops are never smaller than the photo)."""
        grid = self._grid(idx, crop, scale, gen, fit)
        src = self.bank[idx].float() / 255.0
        return F.grid_sample(src, grid, mode="bilinear", padding_mode="border", align_corners=False).clamp(0, 1)

    def _grid(self, idx: torch.Tensor, crop: int, scale, gen, fit: bool = False) -> torch.Tensor:
        """The sampling grid [B,crop,crop,2] of a batch of random crops (see crops; `fit`: trainer.data.base_factor)."""
        dev = self.device
        hw = self.sizes[idx].float()
        b = len(idx)
        r = lambda: torch.rand(b, device=dev, generator=gen)  # noqa: E731
        check_scale(scale)
        fit_short = crop / hw.min(1).values
        f = (fit_short if fit else fit_short.clamp(min=1.0)) * (scale[0] + (scale[1] - scale[0]) * r())
        side = crop / f                                      # crop side in source pixels
        cy = side / 2 + r() * (hw[:, 0] - side).clamp_min(0)
        cx = side / 2 + r() * (hw[:, 1] - side).clamp_min(0)
        flip = torch.where(r() < 0.5, -1.0, 1.0)
        C = float(self.canvas)
        theta = torch.zeros(b, 2, 3, device=dev)
        theta[:, 0, 0] = flip * side / C
        theta[:, 0, 2] = 2 * cx / C - 1
        theta[:, 1, 1] = side / C
        theta[:, 1, 2] = 2 * cy / C - 1
        return F.affine_grid(theta, (b, 3, crop, crop), align_corners=False)

    def batch(self, idx: torch.Tensor, crop: int, scale=(1.0, 1.6), hint_prob: float = 0.5, p: float = 1 / 8,
              max_hints: int = 64, gen: torch.Generator | None = None, fit: bool = False) -> dict[str, torch.Tensor]:
        grid = self._grid(idx, crop, scale, gen, fit)
        src = self.bank[idx].float() / 255.0
        rgb = F.grid_sample(src, grid, mode="bilinear", padding_mode="border", align_corners=False).clamp(0, 1)
        lab = rgb_to_lab(rgb)
        hint_ab, mask = simulate_hints(lab[:, 1:], hint_prob, p, max_hints, gen)
        out = {"L": lab[:, :1], "ab": lab[:, 1:], "rgb": rgb, "hint_ab": hint_ab, "hint_mask": mask}
        if self.seg is not None:
            seg = F.grid_sample(self.seg[idx, None].float(), grid, mode="nearest", padding_mode="border",
                                align_corners=False)
            out["seg"] = seg[:, 0].long()
        return out


def simulate_hints(ab: torch.Tensor, hint_prob: float = 0.5, p: float = 1 / 8, max_hints: int = 64,
                   gen: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """trainer.hints_sim.simulate_hints for a batch [B,2,S,S]: none with probability 1 - hint_prob, else
    Geometric(p) square patches (sides 1..9, centres ~ N(centre, S/4)) holding the patch's mean true ab."""
    b, _, h, w = ab.shape
    dev = ab.device
    u = torch.rand(b, device=dev, generator=gen)
    n = torch.floor(torch.log1p(-torch.rand(b, device=dev, generator=gen)) / np.log1p(-p)) + 1
    n = torch.where(u < hint_prob, n.clamp(max=max_hints), torch.zeros_like(n))
    m = max_hints
    side = torch.randint(PATCH_RANGE[0], PATCH_RANGE[1] + 1, (b, m), device=dev, generator=gen).clamp(max=min(h, w))
    cy = torch.randn(b, m, device=dev, generator=gen) * (h / 4) + h / 2
    cx = torch.randn(b, m, device=dev, generator=gen) * (w / 4) + w / 2
    y0 = (torch.floor(cy) - (side - 1) // 2).clamp(min=0) .minimum(h - side)
    x0 = (torch.floor(cx) - (side - 1) // 2).clamp(min=0).minimum(w - side)
    active = torch.arange(m, device=dev)[None] < n[:, None]                       # [B,M]
    ys = torch.arange(h, device=dev).view(1, 1, h, 1)
    xs = torch.arange(w, device=dev).view(1, 1, 1, w)
    inside = ((ys >= y0[..., None, None]) & (ys < (y0 + side)[..., None, None]) &
              (xs >= x0[..., None, None]) & (xs < (x0 + side)[..., None, None]) & active[..., None, None])
    cover = inside.float()                                                         # [B,M,S,S]
    mean = torch.einsum("bmhw,bchw->bmc", cover, ab) / cover.sum((2, 3)).clamp_min(1)[..., None]
    # Later patches overwrite earlier ones, as in the CPU sampler: take the last patch covering a pixel.
    order = torch.arange(1, m + 1, device=dev).view(1, m, 1, 1) * cover
    last = order.argmax(1)                                                         # [B,S,S]
    mask = cover.amax(1, keepdim=True)
    hint_ab = torch.gather(mean, 1, last.flatten(1)[..., None].expand(-1, -1, 2))  # [B,S*S,2]
    hint_ab = hint_ab.transpose(1, 2).reshape(b, 2, h, w) * mask
    return hint_ab, mask
