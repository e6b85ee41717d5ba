"""Film-grain denoising (non-local means) and local contrast (CLAHE) for gray images."""
from __future__ import annotations

import cv2
import numpy as np

from .tiles import check_image, estimate_noise, from_float, process_tiled, to_float

TEMPLATE, SEARCH = 7, 21
NLM_OVERLAP = 32          # NLM looks SEARCH//2 + TEMPLATE//2 = 13 rows away
H_PER_SIGMA_L2 = 0.8      # 8-bit NORM_L2 filter strength per unit of noise sigma at strength 1
H_PER_SIGMA_L1 = 0.65     # 16-bit NORM_L1: matched to the 8-bit path (tests/test_restore.py)
CLAHE_CLIP = 3.0
CLAHE_TILE_PX = 256       # tile size in pixels, so the look does not depend on image size


def _check_strength(strength: float, name: str) -> None:
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"{name}: strength must be in 0..1, got {strength}")


def denoise_luminance(gray: np.ndarray, strength: float = 0.5, band: int = 1024) -> np.ndarray:
    """HxW uint8/uint16/float32 -> denoised HxW of the same dtype; strength 0 returns a copy.

    cv2.fastNlMeansDenoising with h = strength * k * sigma, sigma estimated from the image,
    so the same strength suits clean and grainy scans.  uint8 uses the 8-bit NORM_L2 path;
    uint16 and float32 use OpenCV's 16-bit NORM_L1 path (float via uint16), never 8 bits.
    Runs in row bands (NLM reach 13 rows < overlap, so bands equal the whole-image result).
    """
    check_image(gray, "denoise_luminance input", gray_only=True)
    _check_strength(strength, "denoise_luminance")
    if strength == 0.0:
        return gray.copy()
    sigma = estimate_noise(gray)          # 0..1 units, global so every band agrees
    if gray.dtype == np.uint8:
        h = max(0.1, strength * H_PER_SIGMA_L2 * sigma * 255.0)

        def fn(part: np.ndarray) -> np.ndarray:
            return cv2.fastNlMeansDenoising(part, None, h, TEMPLATE, SEARCH)
        return process_tiled(gray, fn, band=band, overlap=NLM_OVERLAP)
    src = gray if gray.dtype == np.uint16 else from_float(gray, np.uint16)
    h16 = [max(1.0, strength * H_PER_SIGMA_L1 * sigma * 65535.0)]

    def fn16(part: np.ndarray) -> np.ndarray:
        return cv2.fastNlMeansDenoising(part, h=h16, templateWindowSize=TEMPLATE,
                                        searchWindowSize=SEARCH, normType=cv2.NORM_L1)
    out = process_tiled(src, fn16, band=band, overlap=NLM_OVERLAP)
    return out if gray.dtype == np.uint16 else to_float(out)


def local_contrast(gray: np.ndarray, strength: float = 0.5) -> np.ndarray:
    """HxW uint8/uint16/float32 -> CLAHE-enhanced HxW of the same dtype; strength 0 is a copy.

    The result is the input blended with CLAHE (clip CLAHE_CLIP, ~256 px tiles) by
    `strength`.  uint16/float32: OpenCV's 16-bit CLAHE clips a 65536-bin histogram so finely
    that it barely acts, so the local tone curve is taken from 8-bit CLAHE and the sub-8-bit
    residual of each pixel is carried over: gradations finer than 1/255 survive.  Whole
    image at once: CLAHE keeps only per-tile histograms, so memory is a few image copies.
    """
    check_image(gray, "local_contrast input", gray_only=True)
    _check_strength(strength, "local_contrast")
    if strength == 0.0:
        return gray.copy()
    h, w = gray.shape
    grid = (max(1, round(w / CLAHE_TILE_PX)), max(1, round(h / CLAHE_TILE_PX)))
    clahe = cv2.createCLAHE(clipLimit=CLAHE_CLIP, tileGridSize=grid)
    if gray.dtype == np.uint8:
        return cv2.addWeighted(gray, 1.0 - strength, clahe.apply(gray), strength, 0.0)
    f = to_float(gray)
    code8 = from_float(f, np.uint8)
    offset = (clahe.apply(code8).astype(np.float32) - code8) * np.float32(1.0 / 255.0)
    return from_float(f + np.float32(strength) * offset, gray.dtype)
