"""Where the model is unsure: an uncertainty map, likely colours at a point and where to put hints.

All three read the class head's colour distribution of one photo (`ColorizeResult.prob`):

  prob     K x h4 x w4 float32, sums to 1 over K; cell (i, j) covers working pixels [4i, 4i+4) x [4j, 4j+4)
           (contract.PROB_STRIDE), cropped to ceil(h/4) x ceil(w/4) of the working size (h, w)
  bins     K x 2 float32, the card's (a*, b*) centre of each bin
  L_work   h x w float32 L* (0..100) at working size; L_full H x W float32 L* of the photo

Uncertainty is the normalised entropy H(p) / log K (0: one bin holds all, 1: uniform). Hints are
suggested where they are expected to help most: each cell's uncertainty (or, with GATHER = "error", its
expected squared ab error), summed over the part of the photo a hint there would reach. A hint's
reach falls off with geodesic distance, in which a luminance edge counts as a long way (hints are
spread by engine/propagate.py along luminance, so they stop at edges too). Points are chosen one at a
time, each discounting the error the earlier ones already cover, and never closer than `min_distance`,
so they land one per region.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from . import contract, render
from .color import lab_to_srgb

GRID = 32              # the suggestion search runs on a grid of this long side
REACH = 0.35           # a hint's influence falls to 1/e over this fraction of the long side
EDGE_COST = 0.6        # grid cells of distance per unit of L* difference between neighbours
MIN_DISTANCE = 0.15    # suggestions are at least this fraction of the long side apart
DARK_LIGHT = 12.0      # L* from black or white under which chroma is hard to see (and to get wrong)
GATHER = "entropy"     # what suggestions gather: "entropy" or "error" (chosen on validation, see README)
MERGE = 1.5            # likely colours: bins within this many bin spacings of a peak are one colour
_SHIFTS = ((0, 1, 1.0), (1, 0, 1.0), (1, 1, 1.4142), (1, -1, 1.4142))


@dataclass(frozen=True)
class LikelyColour:
    """One colour the model considers at a pixel: hex '#rrggbb' and rgb (3 floats 0..1) at that pixel's
    L*, its (a, b), and the probability of the bins merged into it."""

    hex: str
    rgb: tuple[float, float, float]
    a: float
    b: float
    probability: float


@dataclass(frozen=True)
class Suggestion:
    """A place to put a hint: full-image pixel (x, y), its uncertainty (0..1) and its share of the
    expected error that hints at all the suggestions would remove (the first is the largest)."""

    x: int
    y: int
    uncertainty: float
    gain: float


def entropy(prob: np.ndarray) -> np.ndarray:
    """Normalised entropy of a K x ... distribution: shape ..., float32 in [0, 1] (0 for K = 1)."""
    prob = np.asarray(prob, np.float32)
    k = prob.shape[0]
    if k < 2:
        return np.zeros(prob.shape[1:], np.float32)
    p = np.clip(prob, 1e-12, 1.0)
    return np.clip(-(p * np.log(p)).sum(0) / np.float32(np.log(k)), 0.0, 1.0).astype(np.float32)


def to_working(grid: np.ndarray, work_shape: tuple[int, int]) -> np.ndarray:
    """A map on the prob grid (h4 x w4 [x C]) resized onto the working grid (h x w [x C]), cells aligned."""
    h, w = work_shape
    s = contract.PROB_STRIDE
    gh, gw = grid.shape[:2]
    big = cv2.resize(np.ascontiguousarray(grid, np.float32), (gw * s, gh * s), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(big[:h, :w])


def overlay_radius(work_long_side: int) -> int:
    """The guided filter's radius for this overlay: twice the colours' (engine/render.py guide_radius), never under
    2. Unlike the colours, the overlay keeps the classic filter's window means (exact=False): smoothing a map of how
    unsure the model is loses nothing, and its edge lands on the photo's outline from further away (4 working
    pixels at 192 against 2)."""
    return 2 * render.guide_radius(work_long_side)


def uncertainty_map(prob: np.ndarray, work_shape: tuple[int, int], L_full: np.ndarray | None = None,
                    full_shape: tuple[int, int] | None = None) -> np.ndarray:
    """H x W float32 in [0, 1]: normalised entropy brought to the photo's size.

    With L_full (H x W L*) it is upsampled edge-aware, by the guided filter that renders the chroma
    (engine/render.py), so it follows the photo's outlines; without, bilinearly to full_shape.
    """
    ent = to_working(entropy(prob), work_shape)
    h, w = work_shape
    if L_full is None:
        if full_shape is None:
            raise ValueError("uncertainty_map needs L_full or full_shape")
        H, W = full_shape[:2]
        return np.clip(cv2.resize(ent, (W, H), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)
    H, W = L_full.shape
    L_work = cv2.resize(L_full.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
    # Two equal channels: OpenCV drops a lone channel axis, which the chroma code does not expect.
    coef = render.guided_coefficients(L_work * np.float32(0.01), np.dstack([ent, ent]),
                                      overlay_radius(max(h, w)), exact=False)[..., ::2].copy()
    out = np.empty((H, W), np.float32)
    step = render.band_rows(W)
    for y0 in range(0, H, step):
        y1 = min(H, y0 + step)
        c = render.upsample_band(coef, (H, W), y0, y1)
        out[y0:y1] = c[..., 0] * (L_full[y0:y1] * np.float32(0.01)) + c[..., 1]
    return np.clip(out, 0.0, 1.0)


def bin_spacing(bins: np.ndarray) -> float:
    """Median distance from each bin centre to its nearest neighbour (10 on the shipped grid)."""
    bins = np.asarray(bins, np.float32)
    if len(bins) < 2:
        return 1.0
    d = np.hypot(*(bins[:, None, :] - bins[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    return float(np.median(d.min(1)))


def likely_colours(p: np.ndarray, bins: np.ndarray, L: float, k: int = 5) -> list[LikelyColour]:
    """The k most probable colours of one pixel's distribution p (K,), most probable first.

    Neighbouring bins are one colour: from the most probable bin left, every bin within MERGE bin
    spacings joins it; the colour is their probability-weighted mean (a, b) at luminance L, its
    probability their sum. Colours that round to one hex are merged too.
    """
    p = np.asarray(p, np.float64).ravel()
    bins = np.asarray(bins, np.float32)
    if len(p) != len(bins):
        raise ValueError(f"distribution has {len(p)} classes but there are {len(bins)} bins")
    radius = MERGE * bin_spacing(bins)
    left = np.ones(len(p), bool)
    groups = []
    for i in np.argsort(-p, kind="stable"):
        if len(groups) >= 4 * k or not left[i] or p[i] <= 0:
            continue
        near = left & (np.hypot(*(bins - bins[i]).T) <= radius)
        mass = float(p[near].sum())
        ab = (p[near, None] * bins[near]).sum(0) / max(mass, 1e-12)
        groups.append((mass, float(ab[0]), float(ab[1])))
        left &= ~near
    if not groups:
        return []
    g = np.array(groups, np.float32)
    rgb = lab_to_srgb(np.full(len(g), L, np.float32), g[:, 1], g[:, 2])
    merged: dict[str, list] = {}
    for (mass, a, b), c in zip(groups, rgb):
        hx = "#" + "".join(f"{int(round(float(v) * 255)):02x}" for v in c)
        if hx in merged:
            merged[hx][4] += mass
        else:
            merged[hx] = [hx, tuple(float(v) for v in c), a, b, mass]
    out = [LikelyColour(*m) for m in merged.values()]
    return sorted(out, key=lambda c: -c.probability)[:k]


def expected_error(prob: np.ndarray, bins: np.ndarray, ab: np.ndarray | None = None) -> np.ndarray:
    """h4 x w4 float32: expected squared ab distance between the true colour (drawn from prob) and
    `ab` (2 x h4 x w4, e.g. the shown chroma on the prob grid), or the distribution's mean without it."""
    prob = np.asarray(prob, np.float32)
    bins = np.asarray(bins, np.float32)
    if ab is None:
        ab = np.einsum("khw,kc->chw", prob, bins)
    d2 = ((bins[:, :, None, None] - ab[None]) ** 2).sum(1)  # K x h4 x w4
    return (prob * d2).sum(0).astype(np.float32)


def _geodesic(L: np.ndarray, sources: np.ndarray, limit: float) -> np.ndarray:
    """Distances S x h x w from each source cell (S x 2 rows, cols) over the 8-connected grid, where a
    step costs its length plus EDGE_COST per unit of |L* difference|; distances stop growing at `limit`."""
    h, w = L.shape
    d = np.full((len(sources), h, w), limit, np.float32)
    d[np.arange(len(sources)), sources[:, 0], sources[:, 1]] = 0.0
    costs = []
    for dy, dx, length in _SHIFTS:
        ys, ye, xs, xe = 0, h - dy, max(0, -dx), w - max(0, dx)
        step = length + EDGE_COST * np.abs(L[ys:ye, xs:xe] - L[ys + dy:ye + dy, xs + dx:xe + dx])
        costs.append(((ys, ye, xs, xe), (dy, dx), step.astype(np.float32)))
    for _ in range(4 * (h + w)):
        before = d.copy()
        for (ys, ye, xs, xe), (dy, dx), step in costs:
            a = d[:, ys:ye, xs:xe]
            b = d[:, ys + dy:ye + dy, xs + dx:xe + dx]
            np.minimum(a, b + step, out=a)
            np.minimum(b, a + step, out=b)
        if np.array_equal(before, d):
            break
    return d


def suggest_hints(prob: np.ndarray, bins: np.ndarray, L_work: np.ndarray, full_shape: tuple[int, int], n: int,
                  ab_work: np.ndarray | None = None, hinted=(), min_distance: float = MIN_DISTANCE,
                  reach: float | None = None, gather: str | None = None) -> list[Suggestion]:
    """Up to n places for hints (full-image pixels), best first, at least min_distance x the long side apart.

    prob K x h4 x w4; L_work h x w L*; ab_work 2 x h x w the shown chroma (None: the distribution's mean);
    full_shape (H, W); hinted: (x, y) full-image points that already have hints, whose reach is
    discounted first and near which nothing is suggested. Each cell's uncertainty (gather "entropy") or
    expected squared ab error ("error"), faded where L* is near black or white (chroma barely shows
    there), is gathered over the cells a hint there reaches, exp(-geodesic / reach); after each choice
    what it covers is taken off, so the next goes elsewhere.
    """
    if n < 1:
        return []
    reach = REACH if reach is None else float(reach)
    gather = GATHER if gather is None else gather
    if gather not in ("entropy", "error"):
        raise ValueError(f"gather must be 'entropy' or 'error', got {gather!r}")
    h, w = L_work.shape
    H, W = full_shape[:2]
    unc = to_working(entropy(prob), (h, w))
    err = unc
    if gather == "error":
        ab_grid = None
        if ab_work is not None:
            s = contract.PROB_STRIDE
            ab_grid = np.stack([cv2.resize(np.ascontiguousarray(c), (prob.shape[2], prob.shape[1]),
                                           interpolation=cv2.INTER_AREA) for c in _padded(ab_work, s)])
        err = to_working(expected_error(prob, bins, ab_grid), (h, w))
    visible = np.clip(np.minimum(L_work, 100.0 - L_work) / DARK_LIGHT, 0.0, 1.0)
    scale = min(1.0, GRID / max(h, w))
    gh, gw = max(1, round(h * scale)), max(1, round(w * scale))
    area = cv2.INTER_AREA
    need = cv2.resize(np.ascontiguousarray(err * visible), (gw, gh), interpolation=area).reshape(gh, gw)
    Lg = cv2.resize(np.ascontiguousarray(L_work, np.float32), (gw, gh), interpolation=area).reshape(gh, gw)
    ug = cv2.resize(unc, (gw, gh), interpolation=area).reshape(gh, gw)
    long_side = max(gh, gw)
    ys, xs = np.mgrid[0:gh, 0:gw]
    cells = np.stack([ys.ravel(), xs.ravel()], 1)
    reach_cells = max(1e-3, reach * long_side)
    influence = np.exp(-_geodesic(Lg, cells, 4.0 * reach_cells) / reach_cells).reshape(len(cells), -1)
    left = need.ravel().astype(np.float64)
    allowed = np.ones(len(cells), bool)
    gains, chosen = [], []
    spacing = min_distance * long_side

    def take(c: int) -> None:
        nonlocal left, allowed
        left *= 1.0 - influence[c]
        allowed &= np.hypot(*(cells - cells[c]).T) >= spacing

    for x, y in hinted:
        take(min(gh - 1, max(0, int(y * gh / H))) * gw + min(gw - 1, max(0, int(x * gw / W))))
    for _ in range(n):
        if not allowed.any():
            break
        gain = influence @ left
        gain[~allowed] = -1.0
        best = int(np.argmax(gain))
        if gain[best] <= 0 and chosen:
            break
        chosen.append(best)
        gains.append(float(gain[best]))
        take(best)
    total = sum(gains) or 1.0
    out = []
    for c, g in zip(chosen, gains):
        gy, gx = cells[c]
        x = min(W - 1, int((gx + 0.5) / gw * W))
        y = min(H - 1, int((gy + 0.5) / gh * H))
        out.append(Suggestion(x, y, float(ug[gy, gx]), g / total))
    return out


def _padded(ab_work: np.ndarray, s: int) -> np.ndarray:
    """2 x h x w -> 2 x ceil(h/s)*s x ceil(w/s)*s by edge replication, so it area-resizes onto the prob grid."""
    _, h, w = ab_work.shape
    return np.pad(np.asarray(ab_work, np.float32), ((0, 0), (0, -h % s), (0, -w % s)), mode="edge")


def display_range(umap: np.ndarray) -> tuple[float, float]:
    """(lo, hi) that a heat map of `umap` stretches to its full colour range: the 2nd and 99th
    percentiles, at least 0.1 apart (a trained model's entropy rarely leaves 0.3..0.8)."""
    lo, hi = (float(v) for v in np.percentile(umap, (2, 99)))
    if hi - lo < 0.1:
        lo = min(max(0.0, 0.5 * (lo + hi) - 0.05), 0.9)
        hi = lo + 0.1
    return lo, hi


def heat_rgba(umap: np.ndarray, value_range: tuple[float, float] | None = None) -> np.ndarray:
    """H x W x 4 uint8: the map as colour (OpenCV's inferno: dark purple = sure, yellow = unsure) with
    alpha rising with uncertainty, for drawing over the photo; stretched to display_range by default."""
    lo, hi = display_range(umap) if value_range is None else value_range
    t = np.clip((umap - lo) / max(hi - lo, 1e-6), 0.0, 1.0)
    code = (t * 255.0 + 0.5).astype(np.uint8)
    rgb = cv2.cvtColor(cv2.applyColorMap(code, cv2.COLORMAP_INFERNO), cv2.COLOR_BGR2RGB)
    alpha = (64 + 160 * t + 0.5).astype(np.uint8)  # the sure parts stay faintly visible, the photo shows through
    return np.dstack([rgb, alpha])


def overlay(photo_rgb8: np.ndarray, umap: np.ndarray, suggestions=()) -> np.ndarray:
    """H x W x 3 uint8: the heat map (heat_rgba) over the photo (H x W x 3 uint8) with each suggestion
    ringed and numbered from 1. Blended in row bands, so a big scan needs no full-size float copies."""
    value_range = display_range(umap[::max(1, umap.shape[0] // 512), ::max(1, umap.shape[1] // 512)])
    out = np.empty_like(photo_rgb8)
    step = render.band_rows(umap.shape[1])
    for y0 in range(0, umap.shape[0], step):
        heat = heat_rgba(umap[y0:y0 + step], value_range).astype(np.float32)
        a = heat[..., 3:] * np.float32(1 / 255.0)
        band = photo_rgb8[y0:y0 + step].astype(np.float32)
        out[y0:y0 + step] = (band * (1.0 - a) + heat[..., :3] * a + 0.5).astype(np.uint8)
    H, W = out.shape[:2]
    r = max(6, round(max(H, W) / 60))
    for i, s in enumerate(suggestions, 1):
        for colour, width in (((0, 0, 0), max(3, r // 3)), ((255, 255, 255), max(1, r // 6))):
            cv2.circle(out, (int(s.x), int(s.y)), r, colour, width, cv2.LINE_AA)
        org = (int(s.x) + r + 2, int(s.y) + r // 2)
        scale = r / 14.0
        cv2.putText(out, str(i), org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), max(2, r // 4), cv2.LINE_AA)
        cv2.putText(out, str(i), org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), max(1, r // 10), cv2.LINE_AA)
    return out
