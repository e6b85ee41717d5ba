"""ICC colour management through LittleCMS (Pillow's ImageCms): input profile -> sRGB and back, CMYK -> RGB.

Arrays are HxW (gray) or HxWx3/4 (RGB(A); alpha passes through untouched), uint8 or uint16.  8-bit
data goes through LittleCMS directly; 16-bit data through a LUT that LittleCMS fills (a 256-entry
curve for gray, a 33^3 lattice interpolated trilinearly for RGB), so 16-bit gradations stay smooth.
"""
from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from PIL import Image, ImageCms

LATTICE = 33      # nodes per axis of the RGB LUT: ICC CLUTs themselves are usually 17 or 33
BAND_PIXELS = 1 << 20


class ProfileError(ValueError):
    """An embedded ICC profile LittleCMS cannot read or use."""


@lru_cache(maxsize=8)
def _profile(icc: bytes) -> ImageCms.ImageCmsProfile:
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError) as exc:
        raise ProfileError(f"unreadable ICC profile ({exc})") from None


@lru_cache(maxsize=1)
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def srgb_icc() -> bytes:
    """The bytes of LittleCMS's built-in sRGB profile (embedded when an output cannot keep its input's)."""
    return _srgb().tobytes()


def space(icc: bytes | None) -> str | None:
    """'RGB', 'GRAY', 'CMYK' (or another ICC colour-space name) of a profile; None without one."""
    if not icc:
        return None
    return _profile(icc).profile.xcolor_space.strip()


def is_srgb(icc: bytes | None) -> bool:
    """True when there is no profile or it describes sRGB (so no conversion is needed)."""
    if not icc:
        return True
    desc = (_profile(icc).profile.profile_description or "").lower().replace(" ", "")
    return space(icc) == "RGB" and ("srgb" in desc or "iec61966-2" in desc)


@lru_cache(maxsize=8)
def _transform(src: bytes | None, dst: bytes | None, in_mode: str, out_mode: str):
    p_src = _srgb() if src is None else _profile(src)
    p_dst = _srgb() if dst is None else _profile(dst)
    try:
        return ImageCms.buildTransform(p_src, p_dst, in_mode, out_mode,
                                       renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
    except ImageCms.PyCMSError as exc:
        raise ProfileError(f"LittleCMS cannot convert {in_mode} with this profile ({exc})") from None


def _run8(px: np.ndarray, tr, in_mode: str, out_mode: str) -> np.ndarray:
    """Apply a LittleCMS transform to uint8 pixels in row bands (HxW or HxWxC -> HxWx3 or HxW)."""
    h, w = px.shape[:2]
    step = max(1, BAND_PIXELS // max(1, w))
    out = np.empty((h, w, 3) if out_mode == "RGB" else (h, w), np.uint8)
    for y0 in range(0, h, step):
        img = Image.fromarray(np.ascontiguousarray(px[y0:y0 + step]), in_mode)
        out[y0:y0 + step] = np.asarray(ImageCms.applyTransform(img, tr))
    return out


def _rgb_lut(tr) -> np.ndarray:
    """LATTICE^3 x 3 float32 (0..1): the transform sampled on an evenly spaced RGB lattice."""
    nodes = np.round(np.linspace(0, 255, LATTICE)).astype(np.uint8)
    r, g, b = np.meshgrid(nodes, nodes, nodes, indexing="ij")
    grid = np.stack([r, g, b], -1).reshape(1, -1, 3)
    return _run8(grid, tr, "RGB", "RGB").reshape(LATTICE, LATTICE, LATTICE, 3).astype(np.float32) / 255.0


def _trilinear(lut: np.ndarray, rgb16: np.ndarray) -> np.ndarray:
    """h x w x 3 uint16 -> h x w x 3 uint16 through the lattice `lut`."""
    x = rgb16.astype(np.float32) * np.float32((LATTICE - 1) / 65535.0)
    i0 = np.minimum(x.astype(np.int32), LATTICE - 2)
    f = x - i0
    out = np.zeros(rgb16.shape, np.float32)
    for dr in (0, 1):
        wr = f[..., 0] if dr else 1 - f[..., 0]
        for dg in (0, 1):
            wg = wr * (f[..., 1] if dg else 1 - f[..., 1])
            for db in (0, 1):
                wgt = wg * (f[..., 2] if db else 1 - f[..., 2])
                out += wgt[..., None] * lut[i0[..., 0] + dr, i0[..., 1] + dg, i0[..., 2] + db]
    return (np.clip(out, 0, 1) * 65535.0 + 0.5).astype(np.uint16)


def convert(px: np.ndarray, src: bytes | None, dst: bytes | None) -> np.ndarray:
    """Pixels from profile `src` to profile `dst` (None = sRGB); gray stays HxW, alpha is kept.

    A gray profile on gray pixels maps through its tone curve to sRGB gray; RGB profiles map
    colours.  Pixels whose layout does not fit the profile's colour space are returned as they are
    (a stale profile must not abort a batch).
    """
    alpha = px[..., 3] if px.ndim == 3 and px.shape[2] == 4 else None
    base = px[..., :3] if alpha is not None else px
    gray = base.ndim == 2
    s_space, d_space = space(src) or "RGB", space(dst) or "RGB"
    if s_space != ("GRAY" if gray else "RGB") or d_space not in ("RGB", "GRAY"):
        return px
    if gray and d_space == "GRAY":
        return px
    in_mode = "L" if gray else "RGB"
    tr = _transform(src, dst, in_mode, "RGB")
    if base.dtype == np.uint8:
        out = _run8(base, tr, in_mode, "RGB")
        out = out[..., 1] if gray else out
    elif gray:
        ramp = _run8(np.arange(256, dtype=np.uint8)[None], tr, "L", "RGB")[0, :, 1].astype(np.float32)
        levels = np.linspace(0, 65535, 256, dtype=np.float32)
        curve = np.interp(np.arange(65536, dtype=np.float32), levels, ramp * 257.0)
        out = (curve + 0.5).astype(np.uint16)[base]
    else:
        lut = _rgb_lut(tr)
        out = np.empty(base.shape, np.uint16)
        step = max(1, BAND_PIXELS // max(1, base.shape[1]))
        for y0 in range(0, base.shape[0], step):
            out[y0:y0 + step] = _trilinear(lut, base[y0:y0 + step])
    if alpha is not None:
        out = np.dstack([out if out.ndim == 3 else np.repeat(out[..., None], 3, 2), alpha])
    return out


def cmyk_to_rgb(cmyk: np.ndarray, icc: bytes | None, inverted: bool = False) -> np.ndarray:
    """HxWx4 CMYK (uint8/uint16, 0 = no ink unless `inverted`, as Adobe JPEGs store it) -> HxWx3 sRGB.

    With a CMYK profile LittleCMS does the conversion (at 8 bits: CMYK scans are 8-bit in practice);
    without one the naive (1-C)(1-K) formula is the only honest guess.
    """
    top = np.iinfo(cmyk.dtype).max
    c = top - cmyk if inverted else cmyk
    if icc and space(icc) == "CMYK":
        c8 = c if c.dtype == np.uint8 else ((c.astype(np.uint32) + 128) // 257).astype(np.uint8)
        rgb = _run8(c8, _transform(icc, None, "CMYK", "RGB"), "CMYK", "RGB")
        return rgb if cmyk.dtype == np.uint8 else rgb.astype(np.uint16) * 257
    f = c.astype(np.float32) / top
    rgb = (1 - f[..., :3]) * (1 - f[..., 3:4])
    return (rgb * top + 0.5).astype(cmyk.dtype)


def for_output(rgb: np.ndarray, icc: bytes | None) -> tuple[np.ndarray, bytes | None]:
    """sRGB result + the input's profile -> (pixels, profile to embed).

    An RGB working space (Adobe RGB, ProPhoto...) is kept: the pixels are converted into it.  A gray
    or CMYK profile cannot describe RGB pixels, so those outputs stay sRGB and say so.
    """
    try:
        kind = space(icc)
    except ProfileError:
        return rgb, None
    if kind is None:
        return rgb, None
    if kind == "RGB":
        return (rgb if is_srgb(icc) else convert(rgb, None, icc)), icc
    return rgb, srgb_icc()
