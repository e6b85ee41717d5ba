"""What the network sees of a photo softer or crisper than the training photos: its finest detail brought to theirs.

The network learned from photos of short side 144, many of them enlarged by the training's scale jitter, so at its
working size they carry little detail at the scale of one or two pixels. A softly focused print, or a small scan
enlarged to the working size, carries even less, and the network paints it over-coloured and with a cast. A photo
whose `detail` (below) lies below the card's `least` is shown to the network with an unsharp mask just strong
enough to bring it there. The other way, a photo whose detail lies above the card's `most` is blurred just enough
to bring it down (a photo scanned large and reduced is crisper than any training photo; the shipped card sets no
`most`: docs/decoding-tinta-base.md, "Soft and crisp photos"). Photos within are left exactly as they are, and
only the network's input changes: the output keeps the photo's own full-resolution luminance, so no detail is lost
or added in the result.

Shapes: L_work h x w and L_pad Hp x Wp float32 L* 0..100.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

FINE, MID = 1.0, 3.0     # Gaussian sigmas (working-grid pixels) that split fine detail from mid-scale structure
SEARCH_STEPS = 10        # bisection steps for the blur: sigma to within max_sigma / 2**10


@dataclass(frozen=True)
class InputSharpness:
    """A card's "input_sharpness": the least and the most `detail` the network is shown (0 and 1: no limit), the
    widest blur that may bring a photo down (a photo of pure grain must not be smeared flat) and the strongest
    unsharp mask that may bring one up (a nearly featureless one must not have its noise made into structure)."""

    least: float = 0.0
    most: float = 1.0
    max_sigma: float = 2.0
    max_amount: float = 3.0

    def __post_init__(self):
        if not (0.0 <= self.least < self.most <= 1.0) or not (self.max_sigma > 0.0 and self.max_amount > 0.0):
            raise ValueError(f"input_sharpness needs 0 <= least < most <= 1, max_sigma > 0 and max_amount > 0, "
                             f"got {self}")

    @classmethod
    def from_raw(cls, raw: dict | None) -> "InputSharpness | None":
        if raw is None:
            return None
        if not isinstance(raw, dict) or not ({"least", "most"} & raw.keys()):
            raise ValueError('"input_sharpness" must be {"least": ..., "most": ...} (one of them at least)')
        return cls(float(raw.get("least", 0.0)), float(raw.get("most", 1.0)), float(raw.get("max_sigma", 2.0)),
                   float(raw.get("max_amount", 3.0)))


def detail(L: np.ndarray) -> float:
    """How much of an L* image's structure is fine detail: the spread of what a blur of FINE pixels removes over
    the spread of what a blur of MID removes (0 for a flat or smooth image, about 0.45 for the training photos at
    the working size, higher for crisper ones). A ratio, so contrast and the levels map do not change it."""
    L = np.asarray(L, np.float32)
    mid = float(np.std(L - cv2.GaussianBlur(L, (0, 0), MID, borderType=cv2.BORDER_REFLECT)))
    if mid < 1e-3:
        return 0.0
    return float(np.std(L - cv2.GaussianBlur(L, (0, 0), FINE, borderType=cv2.BORDER_REFLECT))) / mid


def _blur(L: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(L, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)


def _sharpen(L: np.ndarray, amount: float) -> np.ndarray:
    """An unsharp mask of FINE pixels; L* is clipped to 0..100."""
    out = L + np.float32(amount) * (L - _blur(L, FINE))
    return np.clip(out, 0.0, 100.0, out=out)


def _solve(f, lo: float, hi: float, above) -> float:
    """The x in [lo, hi] where the monotone test `above(f(x))` turns False, to SEARCH_STEPS halvings; hi when it
    never does."""
    if above(f(hi)):
        return hi
    for _ in range(SEARCH_STEPS):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if above(f(mid)) else (lo, mid)
    return hi


def sharpen_for(L_work: np.ndarray, sharpness: InputSharpness) -> float:
    """The unsharp-mask amount that brings L_work's detail up to sharpness.least; 0 when it is there already,
    max_amount when even that does not."""
    L_work = np.asarray(L_work, np.float32)
    if detail(L_work) >= sharpness.least:
        return 0.0
    return _solve(lambda a: detail(_sharpen(L_work, a)), 0.0, sharpness.max_amount, lambda d: d < sharpness.least)


def blur_for(L_work: np.ndarray, sharpness: InputSharpness) -> float:
    """The Gaussian sigma (working-grid pixels) that brings L_work's detail down to sharpness.most; 0 when it is
    there already, max_sigma when even that does not."""
    L_work = np.asarray(L_work, np.float32)
    if detail(L_work) <= sharpness.most:
        return 0.0
    return _solve(lambda s: detail(_blur(L_work, s)), 0.0, sharpness.max_sigma, lambda d: d > sharpness.most)


def network_input(L_work: np.ndarray, L_pad: np.ndarray, sharpness: InputSharpness | None) -> np.ndarray:
    """L_pad as the network should see it: L_pad itself (the same array) when the photo's detail is within
    `sharpness`, else a new array blurred (blur_for) or sharpened (sharpen_for), measured on L_work, which has no
    padding."""
    if sharpness is None:
        return L_pad
    d = detail(L_work)  # once: most photos are within, and this runs on every stroke
    if sharpness.least <= d <= sharpness.most:
        return L_pad
    L = np.asarray(L_pad, np.float32)
    if d > sharpness.most:
        return _blur(L, blur_for(L_work, sharpness))
    return _sharpen(L, sharpen_for(L_work, sharpness))
