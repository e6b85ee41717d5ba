"""Simulated user colour hints for training and evaluation (Zhang et al. 2017, "Real-Time User-Guided...")."""
from __future__ import annotations

import numpy as np

# Patch side lengths (inclusive) in pixels, as in Zhang et al.: a click covers a 1x1 .. 9x9 square.
PATCH_RANGE = (1, 9)


def _patch_sides(n: int, rng: np.random.Generator, patch: int | tuple[int, int]) -> np.ndarray:
    if isinstance(patch, (int, np.integer)):
        if patch < 1:
            raise ValueError(f"patch size must be >= 1, got {patch}")
        return np.full(n, int(patch), dtype=np.int64)
    lo, hi = int(patch[0]), int(patch[1])
    if not 1 <= lo <= hi:
        raise ValueError(f"patch range must satisfy 1 <= lo <= hi, got {patch}")
    return rng.integers(lo, hi + 1, size=n)


def random_hints(ab: np.ndarray, n: int, rng: np.random.Generator,
                 patch: int | tuple[int, int] = PATCH_RANGE) -> tuple[np.ndarray, np.ndarray]:
    """Exactly `n` hints on ground-truth chroma.

    ab: HxWx2 float32 CIE a*, b*. Each hint is a square patch of side `patch` (an int, or an inclusive
    (lo, hi) range drawn uniformly) whose centre is drawn from a 2-D Gaussian around the image centre
    with sigma (H/4, W/4), clipped so the patch lies inside the image. The hint value is the mean
    ground-truth ab over the patch. Later hints overwrite earlier ones where patches overlap.
    Returns (hint_ab HxWx2 float32, 0 outside hints; mask HxW float32 in {0, 1}).
    """
    if ab.ndim != 3 or ab.shape[2] != 2:
        raise ValueError(f"ab must be HxWx2, got shape {ab.shape}")
    h, w = ab.shape[:2]
    hint_ab = np.zeros((h, w, 2), np.float32)
    mask = np.zeros((h, w), np.float32)
    if n <= 0:
        return hint_ab, mask
    sides = np.minimum(_patch_sides(n, rng, patch), min(h, w))
    centres = rng.normal(loc=(h / 2.0, w / 2.0), scale=(h / 4.0, w / 4.0), size=(n, 2))
    for (cy, cx), p in zip(centres, sides):
        y0 = int(np.clip(np.floor(cy) - (p - 1) // 2, 0, h - p))
        x0 = int(np.clip(np.floor(cx) - (p - 1) // 2, 0, w - p))
        win = (slice(y0, y0 + p), slice(x0, x0 + p))
        hint_ab[win] = ab[win].reshape(-1, 2).mean(axis=0)
        mask[win] = 1.0
    return hint_ab, mask


def simulate_hints(ab: np.ndarray, rng: np.random.Generator, hint_prob: float = 0.5, p: float = 1 / 8,
                   max_hints: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Training-time hint sampler: none with probability 1 - hint_prob, else Geometric(p) hints (<= max_hints).

    Shapes and values as in `random_hints`; the hint-free case trains plain automatic colorization.
    """
    if not 0.0 <= hint_prob <= 1.0:
        raise ValueError(f"hint_prob must be in [0, 1], got {hint_prob}")
    if not 0.0 < p <= 1.0:
        raise ValueError(f"p must be in (0, 1], got {p}")
    # Both draws happen every call so the rng advances identically whatever the outcome.
    gives_hints = rng.random() < hint_prob
    n = min(int(rng.geometric(p)), max_hints)
    return random_hints(ab, n if gives_hints else 0, rng)
