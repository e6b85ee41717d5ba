"""Quantised ab colour bins: the gamut table, soft-encoding, the class-rebalancing prior, annealed mean."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

GRID = 10


def gamut_bins(grid: int = GRID, levels: int = 256) -> np.ndarray:
    """[K, 2] float32 ab centres (multiples of `grid`) that some sRGB colour rounds to.

    Zhang et al. ship 313 bins measured on ImageNet; recomputing the cells that the sRGB gamut
    reaches under OpenCV's D65 Lab gives fewer (262 at grid 10): bins no photo can fill only
    waste capacity and skew the softmax, so the table is derived, not copied. It stays on OpenCV's
    float Lab, not engine.color: that reproduces the shipped resources/bins/ab_bins.json, whose 262 cells
    the models' outputs are tied to (engine.color never reaches the cell (20, -80)).
    """
    v = np.linspace(0, 1, levels, dtype=np.float32)
    cells: set[tuple[int, int]] = set()
    for r in v:  # one R plane at a time keeps memory small
        g, b = np.meshgrid(v, v, indexing="ij")
        rgb = np.stack([np.full_like(g, r), g, b], -1)
        ab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)[..., 1:].reshape(-1, 2)
        q = np.unique(np.round(ab / grid).astype(np.int32), axis=0)
        cells.update(map(tuple, q.tolist()))
    table = np.array(sorted(cells), dtype=np.float32) * grid
    return table


def save_bins(table: np.ndarray, path: Path) -> None:
    path.write_text(json.dumps({"grid": GRID, "space": "CIE Lab D65 (OpenCV)",
                                "bins": table.astype(int).tolist()}))


def load_bins(path: Path) -> np.ndarray:
    return np.asarray(json.loads(Path(path).read_text())["bins"], dtype=np.float32)


def default_bins_path() -> Path:
    return Path(__file__).resolve().parent.parent / "resources" / "bins" / "ab_bins.json"


def soft_encode(ab: torch.Tensor, bins: torch.Tensor, k: int = 5, sigma: float = 5.0) -> torch.Tensor:
    """ab [N,2,H,W] -> target distribution [N,K,H,W]: the k nearest bins, Gaussian-weighted."""
    n, _, h, w = ab.shape
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2).float()
    d2 = torch.cdist(flat, bins.float()).pow(2)  # [P, K]
    near_d2, near_i = d2.topk(k, dim=1, largest=False)
    wts = torch.exp(-near_d2 / (2 * sigma ** 2))
    wts = wts / wts.sum(1, keepdim=True)
    out = torch.zeros_like(d2).scatter_(1, near_i, wts)
    return out.view(n, h, w, -1).permute(0, 3, 1, 2)


def nearest_bin(ab: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """ab [N,2,H,W] -> [N,H,W] index of the nearest bin."""
    n, _, h, w = ab.shape
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2).float()
    return torch.cdist(flat, bins.float()).argmin(1).view(n, h, w)


def smoothed_prior(counts: np.ndarray, bins: np.ndarray, sigma: float = 5.0) -> np.ndarray:
    """Empirical bin frequencies smoothed by a Gaussian over ab space (Zhang et al. 2016)."""
    p = counts.astype(np.float64) / max(counts.sum(), 1)
    d2 = ((bins[:, None, :] - bins[None, :, :]) ** 2).sum(-1)
    kern = np.exp(-d2 / (2 * sigma ** 2))
    kern /= kern.sum(1, keepdims=True)
    smooth = kern.T @ p
    return (smooth / smooth.sum()).astype(np.float32)


def rebalance_weights(prior: np.ndarray, lam: float = 0.5) -> np.ndarray:
    """w proportional to ((1-lam) p + lam / K)^-1, normalised so that E_p[w] = 1."""
    k = len(prior)
    w = 1.0 / ((1 - lam) * prior + lam / k)
    w = w / (prior * w).sum()
    return w.astype(np.float32)


def annealed_mean(logits: torch.Tensor, bins: torch.Tensor, temperature: torch.Tensor) -> torch.Tensor:
    """logits [N,K,H,W] -> ab [N,2,H,W]: the mean of softmax(log p / T) over the bin centres."""
    logp = F.log_softmax(logits.float(), dim=1)
    q = F.softmax(logp / temperature.float().view(1, 1, 1, 1), dim=1)
    return torch.einsum("nkhw,kc->nchw", q, bins.float())
