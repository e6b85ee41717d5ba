"""Full-resolution rendering: guided-filter chroma upsampling steered by L, then Lab -> sRGB, in row bands."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import cv2
import numpy as np

from .color import lab_to_pixels
from .providers import physical_cores

BAND_PIXELS = 1 << 20  # ~1 M pixels per band keeps each worker's float temporaries near 60 MB
SPLIT_PIXELS = 1 << 17  # above this, at least one band per core: the app's 1024-px preview renders 1.7x faster,
                        # its half-size draft after a stroke (512 x 376) 1.7x (15.7 -> 9.3 ms)


def guide_radius(work_long_side: int) -> int:
    """Box radius in working pixels: 1 at the default working size (192), in proportion above it, never under 1.

    Chosen on the validation split (480 photos, tinta-base 1.7's card decoding; docs/decoding-tinta-base.md). With
    the window means as offsets the filter smooths the network's chroma, which cost believability: FD/gray 0.610
    at radius 2 (the rule before), 0.603 at 1, 0.619 at 4. With exact offsets (guided_coefficients' default,
    what colours now use) the chroma on the working grid is the network's own and the radius only sets how far
    the slopes that lay L*'s detail over it reach: 0.598 at 1, 0.599 at 2."""
    return max(1, int(round(work_long_side / 192)))


def guided_coefficients(guide: np.ndarray, src: np.ndarray, radius: int, eps: float = 1e-3,
                        exact: bool = True) -> np.ndarray:
    """Fast-guided-filter coefficients at working resolution.

    guide: h x w float32 L/100 in [0, 1]; src: h x w x C float32 (chroma).
    Returns h x w x 2C float32: C slopes A then C offsets B, so that src ~ A * guide + B locally.
    exact (the default, what colours use): B = src - A * guide instead of the window means, so that A * guide + B
    is src itself on the working grid: the filter then only carries src to full size (its slopes lay L*'s detail
    over it) and smooths nothing. exact=False keeps the classic guided filter, which also smooths src.
    """
    k = (2 * radius + 1, 2 * radius + 1)

    def box(x):
        return cv2.boxFilter(x, -1, k, borderType=cv2.BORDER_REFLECT)

    # Plane by plane: OpenCV filters and numpy's arithmetic are several times faster on contiguous h x w planes
    # than on the interleaved h x w x C array (this runs once per variant).
    guide = np.ascontiguousarray(guide, np.float32)
    mean_i = box(guide)
    inv_var = 1.0 / (box(guide * guide) - mean_i * mean_i + np.float32(eps))
    slopes, offsets = [], []
    for c in range(src.shape[2]):
        p = np.ascontiguousarray(src[..., c], np.float32)
        mean_p = box(p)
        a = (box(p * guide) - mean_p * mean_i) * inv_var
        slopes.append(box(a))
        offsets.append(p - slopes[-1] * guide if exact else box(mean_p - a * mean_i))
    return cv2.merge(slopes + offsets)


def upsample_band(coef: np.ndarray, full_shape: tuple[int, int], y0: int, y1: int) -> np.ndarray:
    """Rows y0..y1 of coef (h x w x C, C <= 4) bilinearly resized to full_shape (H, W): (y1-y0) x W x C float32.

    One affine warp per band (half-pixel centres, edge replicated), so the full-size map never exists.
    """
    H, W = full_shape
    h, w = coef.shape[:2]
    sx, sy = w / W, h / H
    m = np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, (y0 + 0.5) * sy - 0.5]], np.float64)
    band = cv2.warpAffine(coef, m, (W, y1 - y0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)
    return band if band.ndim == 3 else band[..., None]


def band_rows(width: int) -> int:
    """Rows per band for images `width` pixels wide."""
    return max(1, BAND_PIXELS // max(1, width))


_here = threading.local()


@contextmanager
def on_one_core():
    """Renders in this thread stay in it: callers that already keep every core busy (variants side by side)
    would otherwise start a pool per render and run twice as many threads as cores."""
    before = getattr(_here, "one_core", False)
    _here.one_core = True
    try:
        yield
    finally:
        _here.one_core = before


def render(L_full: np.ndarray, coef: np.ndarray, out: np.ndarray) -> None:
    """Write gamut-mapped sRGB into out[..., :3] (H x W x 3/4, uint8/uint16/float32) band by band.

    L_full: H x W float32 L* 0..100; coef: guided-filter coefficients from guided_coefficients
    (h x w x 4: slope a, slope b, offset a, offset b).
    """
    H, W = L_full.shape
    step = band_rows(W)
    one_core = getattr(_here, "one_core", False)
    if H * W >= SPLIT_PIXELS and not one_core:  # a display-size preview is one band's worth: split it for every core
        step = min(step, -(-H // physical_cores()))

    def one(y0: int) -> None:
        y1 = min(H, y0 + step)
        L = L_full[y0:y1]
        c = upsample_band(coef, (H, W), y0, y1)
        guide = L * np.float32(0.01)
        a = c[..., 0] * guide + c[..., 2]
        b = c[..., 1] * guide + c[..., 3]
        lab_to_pixels(L, a, b, out[y0:y1, :, :3])

    starts = range(0, H, step)
    workers = 1 if one_core else min(physical_cores(), len(starts))
    if workers <= 1:
        for y0 in starts:
            one(y0)
        return
    # numpy releases the GIL inside its loops, so bands in threads use all cores.
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, starts))
