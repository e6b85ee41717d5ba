"""Toned prints: detect sepia/cyanotype/selenium toning, strip it to neutral gray, or re-apply it as a look."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..color import lab_to_srgb, linear_to_srgb, relative_luminance, srgb_to_lab
from .tiles import check_image, from_float, process_tiled
from .tint import Tint, fit_tint

_STATS_LONG_SIDE = 512        # tone statistics are global, a small copy is plenty
_NEUTRAL_CHROMA = 3.0         # mean chroma below this reads as an untoned (neutral) print
_MONO_SPREAD = 6.0            # 90th pct. of chroma off the tone curve (Lab units); toned
                              # prints measure 1-4, colour photos 8 and up
_SEPIA_HUES = (10.0, 110.0)   # degrees of atan2(b, a): red-browns through yellows
_CYANO_HUES = (180.0, 310.0)  # cyans and Prussian blues
_SELENIUM_HUES = (310.0, 370.0)  # purples through purple-browns, wrapping past 0
_ONE_HUE = 0.85               # |mean ab| / mean |ab|: toners give one hue (near 1), split tones less


@dataclass(frozen=True)
class ToneInfo:
    """What toning a print shows.

    kind: 'neutral' | 'sepia' | 'cyanotype' | 'other' ('other' also covers colour photos,
    see is_monochrome); strength: mean chroma C*ab; hue_deg: hue of the mean ab, 0..360;
    ab_mean: mean (a*, b*); is_monochrome: colour follows lightness alone; spread: the
    90th percentile of |ab - mean ab of pixels with that L*|, in Lab units; hue_consistency:
    |mean ab| / mean |ab| (1 = one hue); tint: the toner as an illuminant (engine/restore/tint.py)
    when the print is toned, else None.
    """
    kind: str
    strength: float
    hue_deg: float
    ab_mean: tuple[float, float]
    is_monochrome: bool
    spread: float
    hue_consistency: float = 1.0
    tint: Tint | None = None

    @property
    def toned(self) -> bool:
        """A monochrome print coloured by a toner: its tint can be taken out by its white point."""
        return self.tint is not None


def detect_tone(rgb: np.ndarray) -> ToneInfo:
    """Classify the toning of an HxWx3 RGB image (uint8/uint16/float32); HxW is neutral.

    A toned monochrome print has low chroma variance once lightness is accounted for
    (its ab is a function of density); a colour photograph's ab varies widely at any L*.
    """
    check_image(rgb, "detect_tone input")
    if rgb.ndim == 2:
        return ToneInfo("neutral", 0.0, 0.0, (0.0, 0.0), True, 0.0)
    h, w = rgb.shape[:2]
    scale = min(1.0, _STATS_LONG_SIDE / max(h, w))
    small = rgb if scale == 1.0 else cv2.resize(
        rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    lab = srgb_to_lab(small).reshape(-1, 3)
    # Near black and paper white the chroma is noise or paper base, not the toner.
    keep = (lab[:, 0] > 8.0) & (lab[:, 0] < 97.0)
    ab = lab[keep, 1:] if keep.sum() >= 64 else lab[:, 1:]
    mean = ab.mean(axis=0)
    chroma = np.hypot(ab[:, 0], ab[:, 1])
    strength = float(chroma.mean())
    spread = _conditional_spread(lab_l=(lab[keep, 0] if keep.sum() >= 64 else lab[:, 0]), ab=ab)
    hue = float(np.degrees(np.arctan2(mean[1], mean[0])) % 360.0)
    mono = spread <= _MONO_SPREAD
    consistency = float(np.hypot(*mean) / max(strength, 1e-6))
    if mono and strength < _NEUTRAL_CHROMA:
        kind = "neutral"
    elif mono and _SEPIA_HUES[0] <= hue < _SEPIA_HUES[1]:
        kind = "sepia"
    elif mono and _CYANO_HUES[0] <= hue < _CYANO_HUES[1]:
        kind = "cyanotype"
    elif mono and (_SELENIUM_HUES[0] <= hue or hue < _SELENIUM_HUES[1] - 360.0):
        kind = "selenium"
    else:
        kind = "other"
    toned = mono and kind != "neutral" and consistency >= _ONE_HUE
    return ToneInfo(kind, strength, hue, (float(mean[0]), float(mean[1])), bool(mono), spread, consistency,
                    fit_tint(small) if toned else None)


def _conditional_spread(lab_l: np.ndarray, ab: np.ndarray, bins: int = 24) -> float:
    """90th percentile of |ab - mean ab at that L*|: how far colours stray from one tone curve.

    A toned print's chroma is a function of density (L*) alone; a colour photo, even one
    dominated by a single hue, holds differently coloured things at the same lightness.
    """
    idx = np.clip((lab_l * (bins / 100.0)).astype(int), 0, bins - 1)
    counts = np.bincount(idx, minlength=bins).astype(np.float32)
    curve = np.stack([np.bincount(idx, ab[:, c], minlength=bins) for c in (0, 1)], axis=1)
    curve /= np.maximum(counts, 1.0)[:, None]
    resid = np.hypot(*(ab - curve[idx]).T)
    return float(np.percentile(resid, 90))


def remove_tone(rgb: np.ndarray, band: int = 1024) -> np.ndarray:
    """HxWx3 toned RGB -> HxW gray of the same dtype: its L* rendered as neutral sRGB.

    L* depends only on linear luminance Y, so gray = sRGB-encode(Y); this is exactly
    Lab(L*, 0, 0) converted back to sRGB.  HxW input is returned as a copy.
    """
    check_image(rgb, "remove_tone input")
    if rgb.ndim == 2:
        return rgb.copy()

    def fn(part: np.ndarray) -> np.ndarray:
        return from_float(linear_to_srgb(relative_luminance(part)), rgb.dtype)

    return process_tiled(rgb, fn, band=band, overlap=0)


def apply_tone(rgb_colorized: np.ndarray, tone: ToneInfo, amount: float = 0.5,
               band: int = 1024) -> np.ndarray:
    """Blend `tone`'s mean ab into the colours of an HxWx3 (or HxW) image; L* is kept.

    ab_out = (1 - amount) * ab + amount * tone.ab_mean, so amount 0 is the input and 1 a
    uniformly toned print.  Returns HxWx3 of the input dtype; out-of-gamut colours lose chroma,
    never lightness (engine.color.lab_to_srgb).
    """
    check_image(rgb_colorized, "apply_tone input")
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"apply_tone: amount must be in 0..1, got {amount}")
    img = rgb_colorized if rgb_colorized.ndim == 3 else np.repeat(
        rgb_colorized[:, :, None], 3, axis=2)
    if amount == 0.0:
        return img.copy()
    target = np.array(tone.ab_mean, dtype=np.float32)

    def fn(part: np.ndarray) -> np.ndarray:
        L, a, b = np.moveaxis(srgb_to_lab(part), -1, 0)
        keep = np.float32(1.0 - amount)
        return from_float(lab_to_srgb(L, keep * a + amount * target[0], keep * b + amount * target[1]), img.dtype)

    return process_tiled(img, fn, band=band, overlap=0)
