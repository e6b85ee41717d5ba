"""Shared helpers for restoration: dtype/range conversion, row-band tiling and a noise estimate.

Images are HxW (gray) or HxWx3 (RGB) arrays of uint8 (0..255), uint16 (0..65535) or
float32 (0..1).  Every restoration function returns the dtype it was given.
"""
from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

SUPPORTED_DTYPES = (np.uint8, np.uint16, np.float32)


def check_image(img: np.ndarray, name: str = "image", gray_only: bool = False) -> None:
    """Raise ValueError with a one-line reason when `img` is not a supported image array."""
    if not isinstance(img, np.ndarray):
        raise ValueError(f"{name}: expected a numpy array, got {type(img).__name__}")
    if img.dtype.type not in SUPPORTED_DTYPES:
        raise ValueError(f"{name}: unsupported dtype {img.dtype} (use uint8, uint16 or float32)")
    if img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3 and not gray_only):
        if img.shape[0] < 1 or img.shape[1] < 1:
            raise ValueError(f"{name}: empty image of shape {img.shape}")
        return
    want = "HxW" if gray_only else "HxW or HxWx3"
    raise ValueError(f"{name}: expected shape {want}, got {img.shape}")


def full_scale(dtype: np.dtype) -> float:
    """The value that means white for `dtype` (255, 65535 or 1.0)."""
    dtype = np.dtype(dtype)
    return float(np.iinfo(dtype).max) if dtype.kind == "u" else 1.0


def to_float(img: np.ndarray) -> np.ndarray:
    """Any supported image -> float32 in 0..1 (same shape)."""
    if img.dtype == np.float32:
        return img
    return img.astype(np.float32) * np.float32(1.0 / full_scale(img.dtype))


def from_float(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """float 0..1 -> `dtype`, rounding and clipping integers; floats are clipped to 0..1."""
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return np.clip(x, 0.0, 1.0).astype(np.float32, copy=False)
    scaled = np.clip(x * np.float32(full_scale(dtype)) + np.float32(0.5), 0, full_scale(dtype))
    return scaled.astype(dtype)


def to_gray(img: np.ndarray) -> np.ndarray:
    """HxWx3 RGB -> HxW luma (Rec.601 weights, as OpenCV), same dtype; HxW passes through."""
    if img.ndim == 2:
        return img
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def band_ranges(height: int, band: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """Row bands as (read_start, read_stop, keep_start, keep_stop), keep rows covering 0..height once."""
    if band < 1 or overlap < 0:
        raise ValueError(f"band must be >= 1 and overlap >= 0, got band={band}, overlap={overlap}")
    out = []
    for start in range(0, height, band):
        stop = min(start + band, height)
        out.append((max(0, start - overlap), min(height, stop + overlap), start, stop))
    return out


def process_tiled(img: np.ndarray, fn: Callable[[np.ndarray], np.ndarray],
                  band: int = 1024, overlap: int = 32) -> np.ndarray:
    """Apply `fn` to horizontal bands of `img` with `overlap` rows of context each side.

    `fn` takes an hxW(xC) slice and must return an array with the same h and W (channels
    and dtype may differ).  Only one band's temporaries are alive at a time, so peak memory
    is the input, the output and `fn`'s working set for band + 2*overlap rows.  The result
    equals fn(img) whenever fn's reach (how far a pixel's output looks) is <= overlap.
    """
    height = img.shape[0]
    if height <= band:
        return fn(img)
    out = None
    for r0, r1, k0, k1 in band_ranges(height, band, overlap):
        res = fn(img[r0:r1])
        if res.shape[:2] != (r1 - r0, img.shape[1]):
            raise ValueError(f"process_tiled: fn returned shape {res.shape} for a band of "
                             f"shape {img[r0:r1].shape}")
        if out is None:
            out = np.empty((height,) + res.shape[1:], dtype=res.dtype)
        out[k0:k1] = res[k0 - r0:k1 - r0]
    return out


def estimate_noise(gray: np.ndarray, max_strips: int = 16, strip: int = 64) -> float:
    """Robust noise sigma of an HxW image in float 0..1 units.

    Uses the MAD of the diagonal Haar detail (insensitive to edges and smooth shading),
    sampled on up to `max_strips` full-resolution row strips so it stays cheap on 50 MP
    scans yet does not depend on how the caller splits the image into bands.
    """
    g = gray if gray.ndim == 2 else to_gray(gray)
    h = g.shape[0]
    n = max(1, min(max_strips, h // strip))
    starts = np.linspace(0, max(0, h - strip), n).astype(int)
    details = []
    for s in starts:
        x = to_float(g[s:s + strip]).astype(np.float32)
        hh, ww = (x.shape[0] // 2) * 2, (x.shape[1] // 2) * 2
        if hh == 0 or ww == 0:
            continue
        x = x[:hh, :ww]
        d = (x[0::2, 0::2] - x[0::2, 1::2] - x[1::2, 0::2] + x[1::2, 1::2]) * 0.5
        details.append(d.ravel())
    if not details:
        return 0.0
    d = np.concatenate(details)
    return float(1.4826 * np.median(np.abs(d)))
