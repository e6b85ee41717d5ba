"""A toned print's tint taken as an illuminant: fit it, then give every pixel the luminance of its gray twin."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..color import Y_WEIGHTS, linear_to_srgb, relative_luminance, srgb_to_linear  # Y_WEIGHTS: the colorizer's L*
from .tiles import from_float, process_tiled, to_float

_FIT_DARKEST = 0.005   # linear light below this is mostly quantisation noise once in log space
_FIT_CLIPPED = 0.995   # an encoded channel this high may be clipped, so off the tint's curve
_MIN_SPAN = 0.3        # log-luminance spread needed to trust per-channel slopes (else a pure illuminant)
_SLOPES = (0.25, 4.0)  # slopes outside this are not a toner (noise, or a colour photo)
_CURVE_POINTS = 4096
_LUT_SIZE = 1 << 16     # steps of sqrt(luminance): under one 16-bit level everywhere


@dataclass(frozen=True)
class Tint:
    """Linear RGB of the toned print = white * Y ** slope per channel, Y being the gray twin's linear luminance.

    A coloured illuminant has slope (1, 1, 1) and white = its colour (brightest channel 1); a toner that
    deepens the channels unequally has white (1, 1, 1) and luminance-weighted mean slope 1.
    """

    white: tuple[float, float, float]
    slope: tuple[float, float, float]


def fit_tint(rgb: np.ndarray) -> Tint:
    """The tint of an HxWx3 toned print (uint8/uint16/float32 sRGB); a small copy is plenty."""
    enc = to_float(rgb).reshape(-1, 3)
    lin = srgb_to_linear(enc)
    ok = (lin.min(axis=1) > _FIT_DARKEST) & (enc.max(axis=1) < _FIT_CLIPPED)
    if ok.sum() < 64:
        ok = lin.min(axis=1) > 1e-6
    if ok.sum() < 2:
        return Tint((1.0, 1.0, 1.0), (1.0, 1.0, 1.0))
    # log(lin_c) = log(white_c) + slope_c * log(Y): the print's colours lie on a straight line in log space.
    x = np.log(lin[ok].astype(np.float64))
    mu = x.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(x.T))
    v = vectors[:, -1] * np.sign(vectors[:, -1].sum() or 1.0)
    weight = float(Y_WEIGHTS @ v)
    slope = v / weight if weight > 0 else np.ones(3)
    if np.sqrt(max(values[-1], 0.0)) < _MIN_SPAN or not (_SLOPES[0] <= slope.min() and slope.max() <= _SLOPES[1]):
        slope = np.ones(3)
    # Slide along the line to where its brightest channel reaches 1: the paper white under the tint.
    s_white = float(np.max(mu / slope))
    white = np.exp(mu - slope * s_white)
    return Tint(tuple(float(c) for c in white), tuple(float(c) for c in slope))


def tone_curve(tint: Tint) -> tuple[np.ndarray, np.ndarray]:
    """(toned print's linear luminance, gray twin's linear luminance), both increasing, for np.interp."""
    twin = np.linspace(0.0, 1.0, _CURVE_POINTS) ** 2  # denser near black, where L* is steep
    white, slope = np.asarray(tint.white), np.asarray(tint.slope)
    toned = (Y_WEIGHTS * white * twin[:, None] ** slope).sum(axis=1)
    return toned, twin


def gray_twin(rgb: np.ndarray, tint: Tint, band: int = 1024) -> np.ndarray:
    """HxWx3 toned print -> HxW neutral gray (same dtype) whose L* is that of the same print untoned."""
    codes = _twin_codes(tint, rgb.dtype)
    top = np.float32(_LUT_SIZE - 1)

    def fn(part: np.ndarray) -> np.ndarray:
        idx = np.sqrt(np.clip(relative_luminance(part), 0.0, 1.0)) * top + np.float32(0.5)
        return codes[idx.astype(np.intp)]

    return process_tiled(rgb, fn, band=band, overlap=0)


def _twin_codes(tint: Tint, dtype: np.dtype) -> np.ndarray:
    """Toned luminance on a sqrt grid (fine near black, where L* is steep) -> the twin's gray in `dtype`."""
    toned_curve, twin_curve = tone_curve(tint)
    y = np.linspace(0.0, 1.0, _LUT_SIZE) ** 2
    # Luminance brighter than the tint's paper white stays white.
    twin = np.interp(y, toned_curve, twin_curve, right=1.0).astype(np.float32)
    return from_float(linear_to_srgb(twin), dtype)
