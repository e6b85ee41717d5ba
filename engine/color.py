"""sRGB <-> CIE L*a*b* (D65) conversions and chroma-only gamut mapping, vectorised in float32."""
from __future__ import annotations

import functools

import cv2
import numpy as np

WHITE = np.array([0.95047, 1.0, 1.08883], np.float32)  # D65, Y = 1
_RGB2XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                     [0.2126729, 0.7151522, 0.0721750],
                     [0.0193339, 0.1191920, 0.9503041]], np.float64)
_XYZ2RGB = np.linalg.inv(_RGB2XYZ).astype(np.float32)
Y_WEIGHTS = _RGB2XYZ[1].copy()  # linear sRGB -> relative luminance Y, which alone fixes L*
_Y_ROW = Y_WEIGHTS.astype(np.float32)
_EPS = 216.0 / 24389.0
_KAPPA = 24389.0 / 27.0
_GAMUT_TOL = 1e-5
_BISECT_STEPS = 12  # chroma scale to 1/4096: a channel at the gamut boundary lands within one 8-bit code of it
_CLIP_MARGIN = 1e-6  # OpenCV's clipped channels are exactly 0 or 1; an unclipped one errs by under 3e-5 of light


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] -> linear light (same shape, float32)."""
    v = np.asarray(v, np.float32)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(v: np.ndarray) -> np.ndarray:
    """Linear light in [0, 1] -> sRGB-encoded values (same shape, float32); clips first."""
    v = np.clip(v, 0.0, 1.0, dtype=np.float32)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * np.power(v, 1 / 2.4) - 0.055).astype(np.float32)


@functools.lru_cache(maxsize=4)
def linear_lut(levels: int) -> np.ndarray:
    """Integer code (0..levels-1) -> linear light, float32; for uint8 (256) and uint16 (65536) inputs."""
    return srgb_to_linear(np.arange(levels, dtype=np.float32) / (levels - 1))


def _f(t: np.ndarray) -> np.ndarray:
    return np.where(t > _EPS, np.cbrt(t), (_KAPPA * t + 16.0) / 116.0).astype(np.float32)


def _finv(t: np.ndarray) -> np.ndarray:
    t3 = t * t * t
    return np.where(t > np.float32(6 / 29), t3, (t - np.float32(16 / 116)) * np.float32(116 / _KAPPA))


def L_from_Y(y: np.ndarray) -> np.ndarray:
    """Relative luminance Y in [0, 1] -> CIE L* in [0, 100], float32."""
    y = np.asarray(y, np.float32)
    if y.ndim not in (1, 2):
        return (116.0 * _f(y) - 16.0).astype(np.float32)
    # OpenCV's power is about 3x faster than np.cbrt on a 12 MP plane and agrees with it to 2e-5 L*.
    L = cv2.pow(y, 1.0 / 3.0)
    L *= np.float32(116.0)
    L -= np.float32(16.0)
    low = y <= np.float32(_EPS)
    np.copyto(L, y * np.float32(_KAPPA), where=low)
    return L


def luminance(pixels: np.ndarray) -> np.ndarray:
    """L* (HxW float32, 0..100) of gray HxW or colour HxWx3/4 pixels (uint8, uint16 or float 0..1).

    A gray value g is an sRGB gray; a colour pixel is reduced to the L of its Lab (alpha ignored).
    """
    if pixels.ndim == 2:
        if pixels.dtype == np.uint8:
            return cv2.LUT(pixels, _gray_L_lut(1).reshape(1, 256))  # 3x numpy's gather on a 12 MP scan
        if pixels.dtype == np.uint16:
            return _gray_L_lut(2)[pixels]
        return L_from_Y(srgb_to_linear(np.clip(pixels.astype(np.float32, copy=False), 0.0, 1.0)))
    return L_from_Y(relative_luminance(pixels))


def relative_luminance(pixels: np.ndarray) -> np.ndarray:
    """Linear-light luminance Y (HxW float32, 0..1) of colour HxWx3/4 sRGB pixels (uint8, uint16 or float 0..1)."""
    if pixels.dtype == np.uint8:
        # Table lookup and the 1 x 3 weighting in OpenCV: a 12 MP scan's Y in 38 ms against numpy's 145 (three
        # gathers and sums); the sum is the same to float rounding.
        return cv2.transform(cv2.LUT(pixels[..., :3], _linear_lut3()), _Y_ROW.reshape(1, 3))
    if pixels.dtype == np.uint16:
        lin = linear_lut(65536)
        y = lin[pixels[..., 0]] * _Y_ROW[0]
        y += lin[pixels[..., 1]] * _Y_ROW[1]
        y += lin[pixels[..., 2]] * _Y_ROW[2]
        return y
    p = np.clip(pixels[..., :3].astype(np.float32, copy=False), 0.0, 1.0)
    return sum(srgb_to_linear(p[..., i]) * _Y_ROW[i] for i in range(3))


@functools.lru_cache(maxsize=1)
def _linear_lut3() -> np.ndarray:
    """linear_lut(256) for each of three channels: 1 x 256 x 3 float32, as cv2.LUT takes it."""
    return np.ascontiguousarray(np.repeat(linear_lut(256)[None, :, None], 3, axis=2))


@functools.lru_cache(maxsize=2)
def _gray_L_lut(itemsize: int) -> np.ndarray:
    return L_from_Y(linear_lut(256 if itemsize == 1 else 65536))


def lab_to_linear(L: np.ndarray, a: np.ndarray, b: np.ndarray):
    """Lab arrays (same shape S) -> linear (R, G, B) arrays of shape S, float32, NOT clipped.

    Planar per-channel arithmetic: numpy's (N x 3) @ (3 x 3) is many times slower than this.
    """
    fy = (L + np.float32(16.0)) * np.float32(1 / 116.0)
    return _linear_from(fy, _finv(fy), a, b)


def _linear_from(fy, y, a, b):
    x = _finv(fy + a * np.float32(1 / 500.0)) * WHITE[0]
    z = _finv(fy - b * np.float32(1 / 200.0)) * WHITE[2]
    m = _XYZ2RGB
    return tuple(m[i, 0] * x + m[i, 1] * y + m[i, 2] * z for i in range(3))


def _in_gamut(rgb) -> np.ndarray:
    r, g, b = rgb
    lo = np.minimum(np.minimum(r, g), b)
    hi = np.maximum(np.maximum(r, g), b)
    return (lo >= -_GAMUT_TOL) & (hi <= 1.0 + _GAMUT_TOL)


def gamut_map(L: np.ndarray, a: np.ndarray, b: np.ndarray):
    """Scale (a, b) toward 0 per pixel, keeping L, until the colour fits sRGB; returns ((R, G, B) linear, scale).

    Bisection on the chroma scale runs only on pixels that start out of gamut; gray (scale 0)
    is always inside for L in [0, 100]. Y depends on L alone, so it is computed once.
    """
    L = np.clip(L, 0.0, 100.0)
    fy = (L + np.float32(16.0)) * np.float32(1 / 116.0)
    y = _finv(fy)
    rgb = _linear_from(fy, y, a, b)
    scale = np.ones(L.shape, np.float32)
    out = ~_in_gamut(rgb)
    if out.any():
        fyo, yo, ao, bo = fy[out], y[out], a[out], b[out]
        lo = np.zeros(fyo.shape, np.float32)
        hi = np.ones(fyo.shape, np.float32)
        for _ in range(_BISECT_STEPS):
            mid = (lo + hi) * np.float32(0.5)
            ok = _in_gamut(_linear_from(fyo, yo, ao * mid, bo * mid))
            lo = np.where(ok, mid, lo)
            hi = np.where(ok, hi, mid)
        fixed = _linear_from(fyo, yo, ao * lo, bo * lo)
        for channel, value in zip(rgb, fixed):
            channel[out] = value
        scale[out] = lo
    return rgb, scale


def lab_to_srgb(L: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Lab arrays (shape S) -> gamut-mapped sRGB in [0, 1], shape S+(3,), float32; L is kept."""
    rgb, _ = gamut_map(L, a, b)
    if out is None:
        out = np.empty(L.shape + (3,), np.float32)
    for i in range(3):
        out[..., i] = linear_to_srgb(rgb[i])
    return out


def _unclipped(rgb: np.ndarray) -> np.ndarray:
    """uint8 mask (rgb's shape without its channel axis): 255 where OpenCV left every channel strictly inside."""
    return cv2.inRange(rgb, (_CLIP_MARGIN,) * 3, (1.0 - _CLIP_MARGIN,) * 3)


def _gamut_map_cv(L: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """gamut_map's chroma bisection on N pixels (1-D L, a, b) with OpenCV's conversion: N x 3 sRGB in [0, 1].

    "In gamut" is "no channel clipped", the test lab_to_srgb8 starts from, made on linear light (the sRGB curve
    keeps 0 and 1, and costs 2.5x more). A step costs one cvtColor and a few passes over N, outside the GIL:
    gamut_map's planar numpy steps cost 2-3x more. It matters for saturated variants, with up to 12% of their
    pixels out of gamut. Only colours within 1e-6 of black or white differ: they come out gray, as at 8 bits.
    """
    lab = np.empty((1, L.size, 3), np.float32)
    lab[0, :, 0] = L
    lo = np.zeros(L.shape, np.float32)  # the largest scale known in gamut; the bracket is [lo, lo + 2 * step]
    step = 0.5
    for _ in range(_BISECT_STEPS):
        mid = lo + np.float32(step)
        np.multiply(a, mid, out=lab[0, :, 1])
        np.multiply(b, mid, out=lab[0, :, 2])
        lo += _unclipped(cv2.cvtColor(lab, cv2.COLOR_Lab2LRGB))[0] * np.float32(step / 255)  # mask is 0 or 255
        step *= 0.5
    np.multiply(a, lo, out=lab[0, :, 1])
    np.multiply(b, lo, out=lab[0, :, 2])
    return cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)[0]


def lab_to_srgb8(L: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """lab_to_srgb for 8-bit output, several times faster: h x w Lab -> gamut-mapped sRGB uint8 h x w x 3.

    The full-resolution render spends most of its time here, once per variant. OpenCV's Lab -> sRGB (within
    one 8-bit code of lab_to_srgb in gamut) replaces the planar arithmetic, pixels it may have clipped get
    the chroma bisection (_gamut_map_cv), and OpenCV rounds to 8 bits; every step runs outside the GIL.
    `out`, when given, is an h x w x 3 uint8 view (e.g. the colour channels of an RGBA buffer).
    """
    L = np.clip(L, 0.0, 100.0).astype(np.float32, copy=False)
    a = a.astype(np.float32, copy=False)
    b = b.astype(np.float32, copy=False)
    rgb = cv2.cvtColor(cv2.merge([L, a, b]), cv2.COLOR_Lab2RGB)
    # OpenCV clips to [0, 1], so a pixel out of gamut shows only as a channel at a bound: every pixel with a
    # channel at 0 or 1 (out of gamut, or exactly black or white) goes through the bisection. One that OpenCV left
    # just inside while ours would fall just outside is off by under 3e-5 of light, far below one 8-bit code.
    inside = _unclipped(rgb)
    if cv2.countNonZero(inside) < inside.size:
        off = np.flatnonzero(inside == 0)  # indices: 5x faster than gathering and scattering by a boolean mask
        rgb.reshape(-1, 3)[off] = _gamut_map_cv(L.ravel()[off], a.ravel()[off], b.ravel()[off])
    if out is not None and out.flags.c_contiguous:  # straight into an RGB buffer (a strided RGBA view is not)
        return cv2.convertScaleAbs(rgb, out, alpha=255.0)
    codes = cv2.convertScaleAbs(rgb, alpha=255.0)
    if out is None:
        return codes
    out[...] = codes
    return out


def lab_to_pixels(L: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Write gamut-mapped sRGB for h x w Lab into `out` (h x w x 3, e.g. an RGBA buffer's colour channels) in its
    own dtype: uint8 through lab_to_srgb8, uint16 codes rounded from the exact path, floats in [0, 1]."""
    if out.dtype == np.uint8:
        return lab_to_srgb8(L, a, b, out)
    srgb = lab_to_srgb(L, a, b)
    out[...] = (srgb * 65535.0 + 0.5).astype(np.uint16) if out.dtype == np.uint16 else srgb
    return out


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB, shape S+(3,): floats in [0, 1] or uint8/uint16 codes -> Lab, shape S+(3,), float32."""
    rgb = np.asarray(rgb)
    if rgb.dtype == np.uint8 or rgb.dtype == np.uint16:
        lin = linear_lut(256 if rgb.dtype == np.uint8 else 65536)[rgb]
    else:
        lin = srgb_to_linear(rgb)
    m = _RGB2XYZ.astype(np.float32)
    f = _f(np.stack([sum(lin[..., j] * m[i, j] for j in range(3)) / WHITE[i] for i in range(3)], axis=-1))
    return np.stack([116.0 * f[..., 1] - 16.0, 500.0 * (f[..., 0] - f[..., 1]),
                     200.0 * (f[..., 1] - f[..., 2])], axis=-1).astype(np.float32)


def hex_to_rgb(color: str) -> np.ndarray:
    """'#rrggbb' -> sRGB float32 (3,) in [0, 1]; raises ValueError on anything else."""
    s = color.strip()
    if len(s) != 7 or s[0] != "#":
        raise ValueError(f"bad colour {color!r}: not of the form '#rrggbb'")
    try:
        return np.array([int(s[i:i + 2], 16) for i in (1, 3, 5)], np.float32) / 255.0
    except ValueError:
        raise ValueError(f"bad colour {color!r}: not of the form '#rrggbb'") from None


def hex_to_lab(color: str) -> np.ndarray:
    """'#rrggbb' -> Lab float32 (3,)."""
    return srgb_to_lab(hex_to_rgb(color))


def lab_to_hex(L: float, a: float, b: float) -> str:
    """One Lab colour -> gamut-mapped '#rrggbb'."""
    rgb = lab_to_srgb(np.float32([L]), np.float32([a]), np.float32([b]))[0]
    return "#" + "".join(f"{int(round(float(c) * 255)):02x}" for c in rgb)
