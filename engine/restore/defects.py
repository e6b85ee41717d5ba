"""Dust and scratch clean-up: find thin bright/dark defects and inpaint them."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .tiles import (band_ranges, check_image, estimate_noise, process_tiled, to_float,
                            to_gray)

BLOCK = 32            # local-scale blocks; band and overlap multiples of it keep bands exact
DETECT_OVERLAP = 64   # rows of context per band: block scale + morphology reach about this far
MIN_CONTRAST = 0.02   # defects fainter than this (0..1 units) are left alone
LINE_LENGTH = 41      # px a scratch must run straight to be told apart from texture
N_ANGLES = 24         # 7.5 degree steps: a 41 px kernel then strays < 1.5 px off a line
EDGE_RATIO = 1.0      # a defect must out-contrast the background step under it by this
# z is response / (90th percentile of response in the 32x32 block): dust is sparse, so it
# barely moves the percentile, while texture raises it.  Tuned on bench/restore.py's set.
SCALE_PCT = 90.0
K_HI0, K_HI_SPAN, K_LO_RATIO, K_LINE_RATIO = 4.5, 3.0, 0.5, 0.8
Z_QUANT = 8.0         # z-scores are stored as uint8 z*Z_QUANT for fast morphology


@dataclass(frozen=True)
class CleanResult:
    """image: cleaned image, same shape and dtype as the input; mask: HxW bool of the pixels
    that were filled (detected | user, dilated 1 px); n_pixels: mask.sum()."""
    image: np.ndarray
    mask: np.ndarray
    n_pixels: int


def _thresholds(sensitivity: float) -> tuple[float, float, float]:
    """(seed z, grow z, line z) from sensitivity 0..1: higher finds fainter defects."""
    if not 0.0 <= sensitivity <= 1.0:
        raise ValueError(f"sensitivity must be in 0..1, got {sensitivity}")
    k_hi = K_HI0 - K_HI_SPAN * sensitivity
    return k_hi, K_LO_RATIO * k_hi, K_LINE_RATIO * k_hi


def _block_scale(resp: np.ndarray, floor: float) -> np.ndarray:
    """Local level of `resp` (HxW float32): a high percentile of each BLOCK^2 block, smoothed.

    Blocks are anchored at row 0 of the slice; callers keep bands aligned to BLOCK so a
    band sees the same blocks as the whole image.
    """
    h, w = resp.shape
    hb, wb = -(-h // BLOCK), -(-w // BLOCK)
    padded = np.pad(resp, ((0, hb * BLOCK - h), (0, wb * BLOCK - w)), mode="reflect")
    # Every second pixel of each block is plenty for a percentile and quarters the cost.
    blocks = padded[::2, ::2].reshape(hb, BLOCK // 2, wb, BLOCK // 2)
    med = np.percentile(blocks.transpose(0, 2, 1, 3).reshape(hb, wb, -1), SCALE_PCT, axis=2)
    full = np.repeat(np.repeat(med.astype(np.float32), BLOCK, 0), BLOCK, 1)[:h, :w]
    full = cv2.blur(full, (BLOCK + 1, BLOCK + 1), borderType=cv2.BORDER_REPLICATE)
    return np.maximum(full, np.float32(floor))


def _line_kernels(length: int, n_angles: int) -> list[np.ndarray]:
    kernels = []
    c = length // 2
    for i in range(n_angles):
        t = np.pi * i / n_angles
        k = np.zeros((length, length), np.uint8)
        dx, dy = np.cos(t) * c, np.sin(t) * c
        cv2.line(k, (int(round(c - dx)), int(round(c - dy))), (int(round(c + dx)), int(round(c + dy))), 1, 1)
        kernels.append(k)
    return kernels


_KERNELS = _line_kernels(LINE_LENGTH, N_ANGLES)


def _detect_band(g: np.ndarray, max_width: int, k_hi: float, k_lo: float, k_line: float,
                 noise: float) -> np.ndarray:
    """HxW float32 0..1 band -> HxW bool defect mask."""
    se = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * max_width + 1, 2 * max_width + 1))
    # Top-hat / black-hat: what a (2*max_width+1)-square opening/closing removes.
    bg_bright = cv2.morphologyEx(g, cv2.MORPH_OPEN, se)
    bg_dark = cv2.morphologyEx(g, cv2.MORPH_CLOSE, se)
    bright, dark = g - bg_bright, bg_dark - g
    # Scale by the local level of response: busy texture raises it, flat film grain does not.
    scale = _block_scale(np.maximum(bright, dark), floor=max(noise, 1.0 / 1024))
    # Edge halos (sharpening, lens, JPEG) are thin lines too, but they sit on a step of the
    # defect-free background; dust and scratches sit on background that is locally flat.
    bright[bright < EDGE_RATIO * cv2.morphologyEx(bg_bright, cv2.MORPH_GRADIENT, se)] = 0.0
    dark[dark < EDGE_RATIO * cv2.morphologyEx(bg_dark, cv2.MORPH_GRADIENT, se)] = 0.0
    resp = np.maximum(bright, dark)
    z = resp / scale
    z[resp < MIN_CONTRAST] = 0.0
    zq = np.clip(z * Z_QUANT, 0, 255).astype(np.uint8)
    # Specks: compact blobs of strong response, grown by a couple of pixels into weaker
    # response to take in their soft rims (growing further would merge them with grain).
    seeds = zq >= k_hi * Z_QUANT
    grow = zq >= k_lo * Z_QUANT
    n, labels, stats, _ = cv2.connectedComponentsWithStats(seeds.astype(np.uint8), connectivity=8)
    limit = 2 * max_width + 2
    keep = (stats[:, cv2.CC_STAT_WIDTH] <= limit) & (stats[:, cv2.CC_STAT_HEIGHT] <= limit)
    keep[0] = False
    specks = keep[labels].astype(np.uint8)
    specks = (cv2.dilate(specks, np.ones((5, 5), np.uint8)) > 0) & grow
    # Scratches: the response must persist along a straight run of LINE_LENGTH px at some
    # angle; a 3x3 dilation first tolerates the kernel being a few degrees off.
    zd = cv2.dilate(zq, np.ones((3, 3), np.uint8))
    line = np.zeros_like(zq)
    for k in _KERNELS:
        np.maximum(line, cv2.morphologyEx(zd, cv2.MORPH_OPEN, k), out=line)
    scratches = (line >= k_line * Z_QUANT) & grow
    return specks | scratches


def detect_defects(gray: np.ndarray, sensitivity: float = 0.5, max_width: int = 5,
                   band: int = 1024) -> np.ndarray:
    """HxW (or HxWx3, judged on its luma) uint8/uint16/float32 image -> HxW bool defect mask.

    Finds specks up to 2*max_width+1 px across and thin straight scratches, bright or dark,
    whose contrast stands out against the local level of fine detail (so film grain and
    texture are left alone).  sensitivity 0..1: higher finds fainter defects and more false
    ones.  Runs in row bands of `band` rows (a multiple of 32) to bound memory.
    """
    check_image(gray, "detect_defects input")
    if band % BLOCK:
        raise ValueError(f"detect_defects: band must be a multiple of {BLOCK}, got {band}")
    k_hi, k_lo, k_line = _thresholds(sensitivity)
    g = to_gray(gray)
    noise = estimate_noise(g)

    def fn(part: np.ndarray) -> np.ndarray:
        return _detect_band(to_float(part).astype(np.float32), max_width, k_hi, k_lo, k_line, noise)

    return process_tiled(g, fn, band=band, overlap=DETECT_OVERLAP)


def _inpaint(img: np.ndarray, mask8: np.ndarray, radius: float, flag: int) -> np.ndarray:
    """cv2.inpaint for any supported layout, same dtype out.

    OpenCV takes 3 channels only as uint8, so 16-bit colour goes channel by channel
    (1-channel uint16 is native).  Float32 goes through uint16 because OpenCV's float
    Telea overshoots far outside the input range; only masked pixels are used anyway.
    """
    if img.dtype == np.float32:
        as16 = (np.clip(img, 0.0, 1.0) * 65535.0 + 0.5).astype(np.uint16)
        return _inpaint(as16, mask8, radius, flag).astype(np.float32) / np.float32(65535.0)
    if img.ndim == 2 or img.dtype == np.uint8:
        return cv2.inpaint(img, mask8, radius, flag)
    return np.stack([cv2.inpaint(np.ascontiguousarray(img[:, :, c]), mask8, radius, flag)
                     for c in range(3)], axis=2)


def clean_defects(image: np.ndarray, mask: np.ndarray | None = None,
                  user_mask: np.ndarray | None = None, method: str = "telea", radius: int = 3,
                  sensitivity: float = 0.5, band: int = 1024) -> CleanResult:
    """Fill dust and scratches in an HxW or HxWx3 uint8/uint16/float32 image.

    mask: HxW bool defects to fill; None runs detect_defects(image, sensitivity).
    user_mask: HxW bool extra strokes, always added.  The union is dilated 1 px (defect
    halos) and filled with cv2.inpaint ('telea' or 'ns') at 16-bit depth (uint16 natively,
    float32 via uint16), never through 8 bits; every pixel outside the filled mask is
    returned bit-for-bit unchanged.
    """
    check_image(image, "clean_defects input")
    flags = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}
    if method not in flags:
        raise ValueError(f"clean_defects: method must be 'telea' or 'ns', got {method!r}")
    if radius < 1:
        raise ValueError(f"clean_defects: radius must be >= 1, got {radius}")
    for name, m in (("mask", mask), ("user_mask", user_mask)):
        if m is not None and m.shape != image.shape[:2]:
            raise ValueError(f"clean_defects: {name} shape {m.shape} != image size {image.shape[:2]}")
    union = detect_defects(image, sensitivity, band=band) if mask is None else mask.astype(bool)
    if user_mask is not None:
        union = union | user_mask.astype(bool)
    mask8 = cv2.dilate(union.astype(np.uint8), np.ones((3, 3), np.uint8))
    # Inpainting looks at most a few radii away, so a band plus margin fills like the whole.
    margin = max(32, 4 * radius)
    out = image.copy()
    for r0, r1, k0, k1 in band_ranges(image.shape[0], band, margin):
        m = mask8[r0:r1]
        if not m[k0 - r0:k1 - r0].any():
            continue
        filled = _inpaint(np.ascontiguousarray(image[r0:r1]), m, radius, flags[method])
        keep = m[k0 - r0:k1 - r0].astype(bool)
        out[k0:k1][keep] = filled[k0 - r0:k1 - r0][keep]
    filled_mask = mask8.astype(bool)
    return CleanResult(out, filled_mask, int(filled_mask.sum()))
