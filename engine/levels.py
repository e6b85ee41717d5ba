"""What the network sees of a faded or badly exposed photo: its black and white points moved into the training range.

Old prints fade: their blacks lift to gray and their whites dull, and a scan or a copy shot often adds to it. The
network learned from photos whose darkest 1% lies at L* 4 and brightest 1% at L* 92 (medians of the training
photos), and it colours a photo with lifted blacks or dull whites worse than the same photo with its full range
(docs/decoding-tinta-base.md, "faded photos"). So before the network runs, a photo whose black point lies above
`black` has it moved down to `black`, and one whose white point lies below `white` has it moved up to `white`: one
affine map of L*. Photos already within (60% of the training photos at each end, for the shipped card's values,
trainer/input_levels.py) are left exactly as they are. Only the network's input changes: the output keeps the photo's own
luminance, so the photo's look (its fading included) stays; the colours are chosen as for a photo of full range.

Shapes: L_work h x w and L_pad Hp x Wp float32 L* 0..100.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLACK_PERCENTILE = 1.0   # a photo's black point: the L* below which its darkest 1% lie (specks and borders aside)
WHITE_PERCENTILE = 99.0


@dataclass(frozen=True)
class InputLevels:
    """A card's "input_levels": black and white points in L* (black < white), and the most the range may be
    stretched (a nearly flat photo must not have its grain blown up into structure)."""

    black: float
    white: float
    max_gain: float = 3.0

    def __post_init__(self):
        if not (0.0 <= self.black < self.white <= 100.0) or not self.max_gain >= 1.0:
            raise ValueError(f"input_levels needs 0 <= black < white <= 100 and max_gain >= 1, got {self}")

    @classmethod
    def from_raw(cls, raw: dict | None) -> "InputLevels | None":
        if raw is None:
            return None
        if not isinstance(raw, dict) or "black" not in raw or "white" not in raw:
            raise ValueError('"input_levels" must be {"black": ..., "white": ...}')
        return cls(float(raw["black"]), float(raw["white"]), float(raw.get("max_gain", 3.0)))


def points(L: np.ndarray) -> tuple[float, float]:
    """(black point, white point) of an L* image."""
    lo, hi = np.percentile(L, (BLACK_PERCENTILE, WHITE_PERCENTILE))
    return float(lo), float(hi)


def network_input(L_work: np.ndarray, L_pad: np.ndarray, levels: InputLevels | None) -> np.ndarray:
    """L_pad as the network should see it: L_pad itself (the same array) when the photo's points are within
    `levels`, else a new array with them moved (measured on L_work, which has no padding)."""
    if levels is None:
        return L_pad
    lo, hi = points(L_work)
    if hi - lo < 1e-3:  # a flat image: nothing to stretch
        return L_pad
    lo2, hi2 = min(lo, levels.black), max(hi, levels.white)
    if lo2 == lo and hi2 == hi:
        return L_pad
    gain = (hi2 - lo2) / (hi - lo)
    if gain > levels.max_gain:  # keep the target's centre, shorten the stretch
        gain = levels.max_gain
        lo2 = (lo2 + hi2) / 2 - gain * (hi - lo) / 2
    out = (L_pad - np.float32(lo)) * np.float32(gain) + np.float32(lo2)
    return np.clip(out, 0.0, 100.0, out=out).astype(np.float32, copy=False)
