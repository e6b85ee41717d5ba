"""Colour from a reference photo: match the gray photo to a colour one by encoder features; confident matches become hints.

Feed-forward exemplar colorization in the spirit of He et al. 2018, but without a trained matcher: both
photos are seen as luminance by the variant model's encoder (the same EfficientNet-Lite0 features the
colorizer decodes from), at MATCH_SIDE on the long side. Each stride-8 cell of the gray photo is matched
to the reference's cells by cosine similarity of its stride-8 and stride-16 features. A match becomes a
hint only when it is confident:
  - similar enough (SIM_MIN), and the match is mutual (the reference cell's own best match lands back
    within one cell), which keeps unrelated photos from lending colour;
  - luminance agrees (|dL| <= L_TOL): a colour is only the same colour at about the same lightness;
  - the reference's top matches agree on the colour (spread <= AB_SPREAD), so ambiguous texture whose
    candidates differ in colour is left to the network.
The strongest are kept, at least MIN_GAP cells apart, up to a count set by `strength`. The hints then go
through the normal path (network + engine/propagate.py), so the network and the propagation do the rest,
and in the app they are ordinary hints the user can move, recolour or delete.
Shapes: L arrays H x W float32 L* 0..100; features C x h x w float32 on the stride-8 grid.
"""
from __future__ import annotations

import math
import time
import weakref
from dataclasses import dataclass

import cv2
import numpy as np

from .color import lab_to_hex, luminance, srgb_to_lab
from .hints import Hint

MATCH_SIDE = 256
STRIDE = 8
SIM_MIN = 0.85  # chosen on validation pairs (bench/reference.py --validation): 0.80 let unrelated photos cost 0.09 dB
L_TOL = 8.0
AB_SPREAD = 6.0
TOP_K = 4
MIN_GAP = 2
MAX_HINTS = 48
HINT_RADIUS = 2


@dataclass
class ReferenceResult:
    """hints: the transferred points (input-image pixels); candidates: confident matches before the
    count limit; cells: the gray photo's matched cells; seconds: time spent matching."""

    hints: list[Hint]
    candidates: int
    cells: int
    seconds: float


def _small_lab(image: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """Lab (h x w x 3 float32) of the image at long side `side` (gray inputs get a = b = 0), and the scale."""
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[..., :3]
    H, W = img.shape[:2]
    s = side / max(H, W)
    size = (max(1, round(W * s)), max(1, round(H * s)))
    small = cv2.resize(img, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    if small.ndim == 2:
        L = luminance(small)
        return np.dstack([L, np.zeros_like(L), np.zeros_like(L)]), s
    scale = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(small.dtype, 1.0)
    return srgb_to_lab(np.clip(small.astype(np.float32) / np.float32(scale), 0, 1)), s


def _cell_mean(x: np.ndarray, gh: int, gw: int) -> np.ndarray:
    """h x w (x C) -> gh x gw (x C): mean over each STRIDE x STRIDE cell (edge cells partly empty)."""
    h, w = x.shape[:2]
    pad = ((0, gh * STRIDE - h), (0, gw * STRIDE - w)) + ((0, 0),) * (x.ndim - 2)
    ones = np.pad(np.ones((h, w), np.float32), pad[:2])
    xs = np.pad(x, pad)
    shape = (gh, STRIDE, gw, STRIDE) + x.shape[2:]
    n = ones.reshape(gh, STRIDE, gw, STRIDE).sum((1, 3))
    s = xs.reshape(shape).sum((1, 3))
    return s / np.maximum(n, 1).reshape((gh, gw) + (1,) * (x.ndim - 2))


def features(sampler, L: np.ndarray) -> np.ndarray:
    """C x gh x gw unit-length features on the stride-8 grid of L (h x w), gh = ceil(h / 8)."""
    h, w = L.shape
    m = 32
    hp, wp = math.ceil(h / m) * m, math.ceil(w / m) * m
    Lp = np.pad(L, ((0, hp - h), (0, wp - w)), mode="reflect")[None, None]
    f = sampler.encode(Lp, None, None)
    f8, f16 = f["skip8"][0], f["skip16"][0]
    up = np.stack([cv2.resize(c, (f8.shape[2], f8.shape[1]), interpolation=cv2.INTER_LINEAR) for c in f16])
    gh, gw = math.ceil(h / STRIDE), math.ceil(w / STRIDE)
    parts = []
    for block in (f8[:, :gh, :gw], up[:, :gh, :gw]):
        block = block - block.mean(axis=(1, 2), keepdims=True)
        parts.append(block / (np.linalg.norm(block, axis=0, keepdims=True) + 1e-6))
    feat = np.concatenate(parts)
    return (feat / (np.linalg.norm(feat, axis=0, keepdims=True) + 1e-6)).astype(np.float32)


# (weak ref to the image, sampler, lab, scale, features) of the last SEEN images matched: a batch photo with
# --hints-from and --reference meets three (the session's photo, itself, the reference).
SEEN = 3
_seen: list[tuple] = []


def forget_seen() -> None:
    """Drop the remembered features, so the next match encodes its photos again (benchmarks time that)."""
    _seen.clear()


def _view(sampler, image: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """(Lab at MATCH_SIDE, its scale, features) of `image`; the same array object (a batch's one reference
    or session photo, engine/render_job.reference_pixels) is seen through the encoder only once."""
    for ref, smp, lab, scale, feat in _seen:
        if ref() is image and smp is sampler:
            return lab, scale, feat
    lab, scale = _small_lab(image, MATCH_SIDE)
    feat = features(sampler, lab[..., 0])
    try:
        _seen.insert(0, (weakref.ref(image), sampler, lab, scale, feat))  # never keeps a big photo alive
    except TypeError:  # not an ndarray (a list, say): nothing to remember it by
        return lab, scale, feat
    del _seen[SEEN:]
    return lab, scale, feat


def hint_count(strength: float) -> int:
    """How many hints `strength` in 0..1 allows (0: none)."""
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be in 0..1, got {strength}")
    return int(round(strength * MAX_HINTS))


def reference_hints(sampler, image: np.ndarray, reference: np.ndarray, strength: float = 0.5) -> ReferenceResult:
    """Hints for `image` (H x W gray or RGB(A), any dtype the engine reads) from the colour `reference`."""
    t0 = time.perf_counter()
    n_max = hint_count(strength)
    lab_t, s_t, Ft = _view(sampler, image)
    lab_r, _, Fr = _view(sampler, reference)
    (C, gh, gw), (_, rh, rw) = Ft.shape, Fr.shape
    Lt = _cell_mean(lab_t[..., 0], gh, gw).ravel()
    cell_r = _cell_mean(lab_r, rh, rw).reshape(-1, 3)
    S = Ft.reshape(C, -1).T @ Fr.reshape(C, -1)             # target cells x reference cells
    k = min(TOP_K, S.shape[1])
    top = np.argpartition(-S, k - 1, axis=1)[:, :k]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(S, top, 1), axis=1), 1)
    best, sim = top[:, 0], S[np.arange(len(S)), top[:, 0]]
    back = np.argmax(S[:, best], axis=0)                      # each chosen reference cell's best target cell
    ty, tx = np.divmod(np.arange(len(S)), gw)
    by, bx = np.divmod(back, gw)
    mutual = (np.abs(by - ty) <= 1) & (np.abs(bx - tx) <= 1)
    near = np.take_along_axis(S, top, 1) >= sim[:, None] - 0.05
    ab_top = cell_r[top][..., 1:]                             # target x k x 2
    w = near[..., None].astype(np.float32)
    ab = (ab_top * w).sum(1) / w.sum(1)
    spread = np.sqrt((((ab_top - ab[:, None]) ** 2).sum(-1) * w[..., 0]).sum(1) / w[..., 0].sum(1))
    ok = (sim >= SIM_MIN) & mutual & (np.abs(cell_r[best, 0] - Lt) <= L_TOL) & (spread <= AB_SPREAD)
    order = [i for i in np.argsort(-sim, kind="stable") if ok[i]]
    taken: list[int] = []
    for i in order:
        if len(taken) >= n_max:
            break
        if all(max(abs(ty[i] - ty[j]), abs(tx[i] - tx[j])) >= MIN_GAP for j in taken):
            taken.append(i)
    H, W = np.asarray(image).shape[:2]
    h, w_ = lab_t.shape[:2]
    hints = []
    for i in taken:
        cx, cy = min(w_ - 1, tx[i] * STRIDE + STRIDE / 2), min(h - 1, ty[i] * STRIDE + STRIDE / 2)
        x, y = min(W - 1.0, cx / s_t), min(H - 1.0, cy / s_t)
        hints.append(Hint(float(round(x, 1)), float(round(y, 1)),
                          lab_to_hex(float(Lt[i]), float(ab[i, 0]), float(ab[i, 1])), HINT_RADIUS))
    return ReferenceResult(hints, len(order), len(S), time.perf_counter() - t0)


@dataclass
class Carried:
    """hints: those that found their place in the target (target pixels); dropped: how many did not."""

    hints: list[Hint]
    dropped: int


def carry_hints(sampler, source: np.ndarray, hints: list[Hint], target: np.ndarray) -> Carried:
    """Move `hints` given on `source` onto the same content in `target` (a roll of film: the same people,
    clothes and rooms), by the matcher above: each hint's cell is matched to the target's cells and kept
    only where the match is mutual, similar (SIM_MIN) and of the same lightness (L_TOL)."""
    if not hints:
        return Carried([], 0)
    lab_s, s_s, Fs = _view(sampler, source)
    lab_t, s_t, Ft = _view(sampler, target)
    (C, sh, sw), (_, th, tw) = Fs.shape, Ft.shape
    Ls, Lt = _cell_mean(lab_s[..., 0], sh, sw), _cell_mean(lab_t[..., 0], th, tw)
    flat_t = Ft.reshape(C, -1)
    H, W = np.asarray(target).shape[:2]
    out = []
    for hint in hints:
        gx = min(sw - 1, int(hint.x * s_s) // STRIDE)
        gy = min(sh - 1, int(hint.y * s_s) // STRIDE)
        sim = Fs[:, gy, gx] @ flat_t
        j = int(np.argmax(sim))
        ty, tx = divmod(j, tw)
        back = np.argmax(np.tensordot(flat_t[:, j], Fs, axes=(0, 0)))
        by, bx = divmod(int(back), sw)
        if sim[j] < SIM_MIN or abs(by - gy) > 1 or abs(bx - gx) > 1 or abs(Lt[ty, tx] - Ls[gy, gx]) > L_TOL:
            continue
        # keep the hint's offset inside its cell, so a hint near an edge stays on its side of it
        dx, dy = hint.x * s_s - gx * STRIDE, hint.y * s_s - gy * STRIDE
        x = min(W - 1.0, max(0.0, (tx * STRIDE + dx) / s_t))
        y = min(H - 1.0, max(0.0, (ty * STRIDE + dy) / s_t))
        out.append(Hint(float(round(x, 1)), float(round(y, 1)), hint.color, hint.radius))
    return Carried(out, len(hints) - len(out))
