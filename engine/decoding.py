"""Decoding: the network's heads -> the chroma the app shows, as the model card says (chosen on validation).

The class head's annealed mean is vivid but, where its distribution is spread over unrelated hues, it
invents a colour; the regression head is accurate on average but pale. Modes:

  annealed    the class head's annealed mean at the card's temperature (the network's own `ab` output)
  regression  the regression head's chroma times `reg_gain`; with `chroma_knee` k > 0 the gain grows with the
              pixel's own chroma c: 1 + (reg_gain - 1) * c / (c + k), so colour is added where the head already
              sees colour and near-gray guesses stay near gray; with `chroma_lift` d > 0 the gain falls with it
              instead: reg_gain + d / (c + lift_knee), so every pixel's chroma is lifted by about d along the head's
              own hue (less below c ~ lift_knee, so gray stays gray) where a flat gain lifts a colour the head is
              already sure of (skin, sky) in proportion and over-colours it
              with `tint_gain` t the photo's mean regression chroma (its overall tint) is scaled by t in place of
              reg_gain, so a gain that adds colour to the photo's parts does not also multiply a tint the head
              already over-guesses (2.x: b* too high on scenes, more so at every gain); t = 1 keeps the head's
              own tint
  blend       per pixel w * annealed + (1 - w) * the regression chroma as above, with w the class head's confidence
              (1 - normalised entropy of `prob`) mapped linearly from [conf_lo, conf_hi] onto [0, 1]

Vividness v (the app's slider) divides the temperature by v, as before, and multiplies the regression gain by v.
`scales` (e.g. (2/3,)): the network also runs at these fractions of the working size and the heads' outputs are
averaged before decoding (engine/ensemble.py); empty, the working size alone.
Shapes: ab / ab_reg N x 2 x H x W, prob N x K x H/4 x W/4 (contract.PROB_STRIDE), float32.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MODES = ("annealed", "regression", "blend")


@dataclass(frozen=True)
class Decoding:
    mode: str = "annealed"
    reg_gain: float = 1.0
    conf_lo: float = 0.0
    conf_hi: float = 1.0
    chroma_knee: float = 0.0
    chroma_lift: float = 0.0
    lift_knee: float = 2.0
    tint_gain: float | None = None
    scales: tuple[float, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "scales", tuple(float(s) for s in self.scales))
        if any(not 0.25 <= s < 1.0 for s in self.scales):
            raise ValueError(f"decoding scales must lie in [0.25, 1), got {self.scales}")
        if self.mode not in MODES:
            raise ValueError(f"decoding mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if not self.reg_gain > 0 or not self.conf_hi > self.conf_lo or not self.chroma_knee >= 0:
            raise ValueError(f"decoding needs reg_gain > 0, conf_hi > conf_lo and chroma_knee >= 0, got {self}")
        if not self.chroma_lift >= 0 or not self.lift_knee > 0 or (self.chroma_lift and self.chroma_knee):
            raise ValueError(f"decoding needs chroma_lift >= 0, lift_knee > 0 and not both a knee and a lift, "
                             f"got {self}")
        if self.tint_gain is not None:
            object.__setattr__(self, "tint_gain", float(self.tint_gain))
            # With a knee the gain differs per pixel, so reg_gain is not what the mean took: the shift would miss it
            # (x2 knee 60 tint x1 on the soup: cast 4.0 where the flat ones keep 1.5).
            if not self.tint_gain >= 0 or self.chroma_knee:
                raise ValueError(f"decoding needs tint_gain >= 0 (or none) and no chroma knee beside it, got {self}")

    @property
    def needs_regression(self) -> bool:
        return self.mode != "annealed"

    @property
    def needs_annealed(self) -> bool:
        return self.mode != "regression"

    @property
    def needs_distribution(self) -> bool:
        return self.mode == "blend"

    def outputs(self, available) -> tuple[str, ...]:
        """The network outputs this decoding reads, of those in `available` (a model without a regression
        head falls back to its `ab`); `distribution` adds the class head's `prob`."""
        want = []
        if "ab" in available and (self.needs_annealed or "ab_reg" not in available):
            want.append("ab")
        if "ab_reg" in available and self.needs_regression:
            want.append("ab_reg")
        if "prob" in available and self.needs_distribution:
            want.append("prob")
        return tuple(want)

    @classmethod
    def from_raw(cls, raw: dict | None) -> "Decoding":
        """From a card's "decoding" object (absent: the annealed mean, what older cards meant)."""
        if not raw:
            return cls()
        return cls(mode=str(raw.get("mode", "annealed")), reg_gain=float(raw.get("reg_gain", 1.0)),
                   conf_lo=float(raw.get("conf_lo", 0.0)), conf_hi=float(raw.get("conf_hi", 1.0)),
                   chroma_knee=float(raw.get("chroma_knee", 0.0)), chroma_lift=float(raw.get("chroma_lift", 0.0)),
                   lift_knee=float(raw.get("lift_knee", 2.0)), scales=tuple(raw.get("scales") or ()),
                   tint_gain=raw.get("tint_gain"))

    def to_raw(self) -> dict:
        raw = {"mode": self.mode, "reg_gain": self.reg_gain, "conf_lo": self.conf_lo, "conf_hi": self.conf_hi,
               "chroma_knee": self.chroma_knee}
        if self.chroma_lift:  # absent from cards without a lift, as before the fields existed
            raw.update(chroma_lift=self.chroma_lift, lift_knee=self.lift_knee)
        if self.tint_gain is not None:  # absent from cards whose tint takes the gain, as before the field existed
            raw["tint_gain"] = self.tint_gain
        if self.scales:  # absent from cards of one working size, as before the field existed
            raw["scales"] = list(self.scales)
        return raw


def confidence(prob: np.ndarray) -> np.ndarray:
    """1 - H(p) / log K per pixel: N x K x h x w -> N x 1 x h x w in [0, 1] (1 = one bin holds it all)."""
    p = np.clip(prob.astype(np.float32, copy=False), 1e-12, 1.0)
    ent = -(p * np.log(p)).sum(1, keepdims=True)
    return 1.0 - ent / np.float32(np.log(prob.shape[1]))


def blend_weight(prob: np.ndarray, dec: Decoding, shape: tuple[int, int]) -> np.ndarray:
    """The annealed mean's share, N x 1 x H x W (bilinear up from the class head's stride)."""
    w = np.clip((confidence(prob) - dec.conf_lo) / (dec.conf_hi - dec.conf_lo), 0.0, 1.0)
    H, W = shape
    return np.stack([cv2.resize(m[0], (W, H), interpolation=cv2.INTER_LINEAR)[None] for m in w])


def chroma_lift(ab_reg: np.ndarray, dec: Decoding, vividness: float = 1.0) -> np.ndarray:
    """The lift part of a regression decoding, v * d * ab_reg / (|ab_reg| + k): N x 2 x H x W (zeros without a lift).
    The variant sampler adds it to its samples (engine/variants.py), whose own part is reg_gain * ab_reg + offset."""
    if not dec.chroma_lift > 0:
        return np.zeros_like(ab_reg, np.float32)
    c = np.sqrt((ab_reg * ab_reg).sum(1, keepdims=True))
    scale = np.float32(vividness * dec.chroma_lift) / (c + np.float32(dec.lift_knee))
    return (ab_reg * scale).astype(np.float32, copy=False)


def tint_shift(ab_reg: np.ndarray, dec: Decoding, vividness: float = 1.0) -> np.ndarray:
    """The tint part of a regression decoding, v * (tint_gain - reg_gain) * the photo's mean ab_reg: N x 2 x 1 x 1
    (zeros without a tint gain). The variant sampler adds it to its samples too (engine/variants.py)."""
    if dec.tint_gain is None:
        return np.zeros((ab_reg.shape[0], 2, 1, 1), np.float32)
    mean = ab_reg.mean(axis=(2, 3), keepdims=True, dtype=np.float64)
    return (mean * (vividness * (dec.tint_gain - dec.reg_gain))).astype(np.float32)


def decode(ab: np.ndarray, ab_reg: np.ndarray | None, prob: np.ndarray | None, dec: Decoding,
           vividness: float = 1.0) -> np.ndarray:
    """Chroma N x 2 x H x W from the network's outputs; `ab` is already the annealed mean at the
    vividness-adjusted temperature (None when not computed: regression mode with ab_reg present).
    Models without the needed outputs fall back to what they have."""
    if dec.mode == "annealed" or ab_reg is None:
        return ab
    gain = np.float32(dec.reg_gain * vividness)
    if dec.chroma_knee > 0:
        c = np.sqrt((ab_reg * ab_reg).sum(1, keepdims=True))
        gain = 1.0 + (gain - 1.0) * c / (c + np.float32(dec.chroma_knee))
    reg = ab_reg * gain
    if dec.chroma_lift > 0:
        reg = reg + chroma_lift(ab_reg, dec, vividness)
    if dec.tint_gain is not None:
        reg = reg + tint_shift(ab_reg, dec, vividness)
    if dec.mode == "regression" or prob is None or prob.shape[1] < 2:
        return reg.astype(np.float32, copy=False)
    w = blend_weight(prob, dec, ab.shape[2:])
    return (w * ab + (1.0 - w) * reg).astype(np.float32, copy=False)
