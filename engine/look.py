"""The global look after colorization: saturation (chroma scale) and warmth (a shift along the warm/cool
axis in CIE a*b*), keeping L* — the photograph's own tones — exactly; pure numpy, no state.

Saturation 0..2 scales a* and b* (1 = unchanged, 0 = gray); warmth -1..1 adds WARM_AB * warmth to (a*, b*)
(0 = unchanged, > 0 warmer: more yellow and a little red, < 0 cooler). Colours pushed outside sRGB lose
chroma only (engine.color.gamut_map), never lightness.
"""
from __future__ import annotations

import numpy as np

from .color import lab_to_pixels, srgb_to_lab

SATURATION_RANGE = (0.0, 2.0)
WARMTH_RANGE = (-1.0, 1.0)
WARM_AB = (6.0, 24.0)  # (a*, b*) shift at warmth 1: yellow with a little red, like a warm photo filter
_BAND_PIXELS = 1 << 20  # float temporaries of ~1 M pixels at a time


def check(saturation: float, warmth: float) -> tuple[float, float]:
    """(saturation, warmth) as floats; ValueError with a one-line reason when either is out of range."""
    s, w = float(saturation), float(warmth)
    lo, hi = SATURATION_RANGE
    if not lo <= s <= hi:  # also refuses NaN
        raise ValueError(f"saturation must be between {lo:g} and {hi:g}, got {saturation:g}")
    lo, hi = WARMTH_RANGE
    if not lo <= w <= hi:
        raise ValueError(f"warmth must be between {lo:g} and {hi:g}, got {warmth:g}")
    return s, w


def is_neutral(saturation: float, warmth: float) -> bool:
    return float(saturation) == 1.0 and float(warmth) == 0.0


def apply_ab(a: np.ndarray, b: np.ndarray, saturation: float, warmth: float) -> tuple[np.ndarray, np.ndarray]:
    """a*, b* arrays (same shape) -> adjusted (a*, b*) float32, before any gamut mapping."""
    s, w = check(saturation, warmth)
    s32, w32 = np.float32(s), np.float32(w)
    return (a * s32 + w32 * np.float32(WARM_AB[0])).astype(np.float32), \
        (b * s32 + w32 * np.float32(WARM_AB[1])).astype(np.float32)


def apply(rgb: np.ndarray, saturation: float = 1.0, warmth: float = 0.0) -> np.ndarray:
    """HxWx3 or HxWx4 sRGB pixels (uint8, uint16, or float32 in 0..1) -> a new array of the same shape and
    dtype with the look applied; alpha is copied, L* kept (to within rounding to the dtype). The neutral
    look (1, 0) returns `rgb` itself, untouched, so neutral outputs are byte-identical to no look."""
    s, w = check(saturation, warmth)
    if is_neutral(s, w):
        return rgb
    if rgb.ndim != 3 or rgb.shape[2] not in (3, 4):
        raise ValueError(f"look needs HxWx3 or HxWx4 pixels, got shape {rgb.shape}")
    out = rgb.copy()
    H, W = rgb.shape[:2]
    step = max(1, _BAND_PIXELS // max(1, W))
    for y0 in range(0, H, step):
        band = rgb[y0:y0 + step, :, :3]
        lab = srgb_to_lab(band if band.dtype != np.float64 else band.astype(np.float32))
        a, b = apply_ab(lab[..., 1], lab[..., 2], s, w)
        lab_to_pixels(lab[..., 0], a, b, out[y0:y0 + step, :, :3])
    return out

