"""Levin, Lischinski & Weiss 2004 "Colorization using Optimization": the classic hint-propagation baseline."""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np
from scipy import sparse
from scipy.sparse.linalg import splu

from engine import render
from engine.color import hex_to_lab

# Solve at this long side, then upsample the chroma onto the full-resolution L*: the sparse solve
# grows superlinearly with the pixel count, and chroma is smooth enough that this loses little.
LONG_SIDE = 256
# Floors of the window variance from the original getColorExact.m (intensities in [0, 1]).
_MIN_SIGMA = 2e-6
_NEIGHBOURS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]


def affinity_system(y: np.ndarray, fixed: np.ndarray) -> sparse.csc_matrix:
    """The system matrix A of A x = b.

    y: HxW float intensity in [0, 1]; fixed: HxW bool, True where a hint fixes the value.
    A row r is x_r - sum_s w_rs x_s = 0 over the 3x3 window, with w_rs = exp(-(y_r - y_s)^2 / sigma_r)
    normalised to sum 1, sigma_r = 0.6 * window variance (floored as in the authors' code); a fixed
    pixel's row is x_r = hint. Returns an (H*W)x(H*W) CSC matrix.
    """
    h, w = y.shape
    pad = np.pad(y.astype(np.float64), 1, mode="edge")
    inside = np.pad(np.ones((h, w), bool), 1)
    vals = np.stack([pad[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy, dx in _NEIGHBOURS])   # 8xHxW
    valid = np.stack([inside[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy, dx in _NEIGHBOURS])
    centre = y.astype(np.float64)
    # Variance over the in-image window, centre included.
    count = valid.sum(0) + 1
    mean = (np.where(valid, vals, 0).sum(0) + centre) / count
    var = (np.where(valid, (vals - mean) ** 2, 0).sum(0) + (centre - mean) ** 2) / count
    diff2 = np.where(valid, (vals - centre) ** 2, np.inf)
    # The floor from the closest neighbour keeps its weight >= 0.01 in flat-but-noisy windows.
    sigma = np.maximum.reduce([0.6 * var, -diff2.min(0) / np.log(0.01), np.full_like(var, _MIN_SIGMA)])
    wts = np.where(valid, np.exp(-np.where(valid, diff2, 0) / sigma), 0.0)
    total = wts.sum(0)
    wts = np.divide(wts, total, out=np.zeros_like(wts), where=total > 0)
    wts[:, fixed] = 0.0

    idx = np.arange(h * w).reshape(h, w)
    pidx = np.pad(idx, 1, mode="edge")
    cols = np.stack([pidx[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy, dx in _NEIGHBOURS])
    keep = wts > 0
    rows = np.concatenate([np.broadcast_to(idx, cols.shape)[keep], idx.ravel()])
    cols = np.concatenate([cols[keep], idx.ravel()])
    data = np.concatenate([-wts[keep], np.ones(h * w)])
    return sparse.csc_matrix((data, (rows, cols)), shape=(h * w, h * w))


def propagate(y: np.ndarray, fixed: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Spread `values` (HxWxC float, read only where `fixed`) over the image guided by intensity y (HxW,
    [0, 1]). Returns HxWxC float32. With no fixed pixel the solution is all zeros (no colour)."""
    h, w = y.shape
    if not fixed.any():
        return np.zeros((h, w, values.shape[2]), np.float32)
    a = affinity_system(y, fixed)
    b = np.where(fixed[..., None], values, 0.0).reshape(h * w, -1).astype(np.float64)
    # A is structurally symmetric with a dominant unit diagonal: SuperLU's symmetric mode (no row
    # pivoting, minimum degree on A+A^T) halves the fill-in and the time of the default COLAMD.
    lu = splu(a, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
    x = lu.solve(b)
    return x.reshape(h, w, -1).astype(np.float32)


def levin_colorize(L: np.ndarray, hints: Sequence, long_side: int = LONG_SIDE,
                   hint_scale: float = 1.0) -> np.ndarray:
    """Colorize by optimisation from hints; returns HxWx3 uint8 sRGB at full resolution.

    L: HxW float32 CIE L* in [0, 100]. hints: objects with x, y (full-resolution pixel coordinates),
    color ('#rrggbb') and radius, as engine.hints.Hint; a hint covers the pixels within `radius`
    on a grid `hint_scale` times the full resolution (the colorizer's working grid), re-gridded onto
    the solve grid (at least one pixel). The chroma solved at long side `long_side` is brought to
    full size by the app's own edge-aware renderer (engine.render), so a comparison with the app
    measures the propagation, not the upsampling. Without hints the result is the gray image.
    """
    h, w = L.shape
    s = min(1.0, long_side / max(h, w))
    sh, sw = max(1, round(h * s)), max(1, round(w * s))
    L = L.astype(np.float32)
    small = cv2.resize(L, (sw, sh), interpolation=cv2.INTER_AREA) if (sh, sw) != (h, w) else L
    fixed = np.zeros((sh, sw), bool)
    values = np.zeros((sh, sw, 2), np.float32)
    for hint in hints:
        # Half-width of the hint's patch in solve-grid pixels: (radius + 0.5) working px, re-gridded.
        r = max(0, int(round((hint.radius + 0.5) * (sw / w) / hint_scale - 0.5)))
        # Pixel-centre mapping as in engine.hints.hints_to_inputs.
        cx = min(sw - 1, max(0, int((hint.x + 0.5) * sw / w)))
        cy = min(sh - 1, max(0, int((hint.y + 0.5) * sh / h)))
        win = (slice(max(0, cy - r), cy + r + 1), slice(max(0, cx - r), cx + r + 1))
        fixed[win] = True
        values[win] = hex_to_lab(hint.color)[1:]
    ab = propagate(small / np.float32(100.0), fixed, values)
    coef = render.guided_coefficients(small * np.float32(0.01), ab, render.guide_radius(max(sh, sw)))
    out = np.empty((h, w, 3), np.uint8)
    render.render(L, coef, out)
    return out
