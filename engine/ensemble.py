"""Scale ensemble: the network also runs at smaller working sizes and its outputs are averaged on the working grid.

At a smaller size the network sees more of the photo within its receptive field (it was trained on 128-pixel
crops), at the working size it sees the detail; the mean of the two answers is closer to real photos than either
(tinta-base 1.5 on the validation split: FD/gray 0.604-0.610 with the extra size 2/3 against 0.623 at one size,
at the same colourfulness; docs/decoding-tinta-base.md). The card's decoding names the extra scales
(engine/decoding.py: `scales`), chosen on the validation split like everything else there.

Shapes: L N x 1 x H x W, hint_ab N x 2 x H x W, hint_mask N x 1 x H x W, outputs N x C x H x W (prob at H/4 x W/4),
H and W multiples of the contract's 32, float32.
"""
from __future__ import annotations

import cv2
import numpy as np


def scaled_shape(h: int, w: int, scale: float, multiple: int) -> tuple[int, int]:
    """(h, w) times `scale`, each rounded to the nearest multiple of `multiple` (at least one multiple)."""
    return (max(multiple, int(h * scale / multiple + 0.5) * multiple),
            max(multiple, int(w * scale / multiple + 0.5) * multiple))


def resize(a: np.ndarray, h: int, w: int) -> np.ndarray:
    """N x C x h0 x w0 -> N x C x h x w, bilinear (a distribution stays one: each output is a convex mix)."""
    if a.shape[2:] == (h, w):
        return a
    return np.ascontiguousarray(
        np.stack([np.stack([cv2.resize(c, (w, h), interpolation=cv2.INTER_LINEAR) for c in x]) for x in a]),
        np.float32)


def resize_hints(hint_ab: np.ndarray, hint_mask: np.ndarray, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Hints on a smaller grid: a cell is hinted when any pixel it covers was (a one-pixel hint must not vanish),
    and its colour is the mean of the hinted pixels it covers."""
    area = cv2.INTER_AREA
    mask = np.stack([cv2.resize(m[0], (w, h), interpolation=area)[None] for m in hint_mask])
    weighted = np.stack([np.stack([cv2.resize(c * m[0], (w, h), interpolation=area) for c in ab])
                         for ab, m in zip(hint_ab, hint_mask)])
    ab = np.where(mask > 1e-6, weighted / np.maximum(mask, 1e-6), 0.0)
    return np.ascontiguousarray(ab, np.float32), np.ascontiguousarray(mask > 1e-6, np.float32)


def ensemble(run, L: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray, scales, multiple: int) -> dict:
    """The mean over the working size and each of `scales` of `run(L, hint_ab, hint_mask)` -> {name: array},
    every output brought back to the working grid (an output at a coarser stride keeps its stride)."""
    out = run(L, hint_ab, hint_mask)
    if not scales:
        return out
    h, w = L.shape[2:]
    total = {k: v.astype(np.float32, copy=True) for k, v in out.items()}
    for s in scales:
        hs, ws = scaled_shape(h, w, s, multiple)
        if (hs, ws) == (h, w):  # too small a photo for this scale to differ: count the working size again
            extra = out
        else:
            extra = run(resize(L, hs, ws), *resize_hints(hint_ab, hint_mask, hs, ws))
        for k, v in extra.items():
            stride = h // out[k].shape[2]
            total[k] += resize(v, h // stride, w // stride)
    n = np.float32(1 + len(scales))
    return {k: v / n for k, v in total.items()}
