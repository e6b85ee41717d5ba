"""Colorizer: luminance in, network at a working size, edge-aware chroma upsampling, sRGB out."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import cv2
import numpy as np

from . import contract, render
from .color import lab_to_hex, luminance
from .errors import ModelError, ProviderError
from .hints import Hint, check_inside, hints_to_inputs
from .models import find_card, verify
from .providers import canonical, session_for


@dataclass
class ColorizeResult:
    """rgb: H x W x 3 (x 4 with the input's alpha), input dtype, full resolution.

    ab_work: 2 x h x w float32 a*/b* at working resolution (unpadded); prob: K x ceil(h/4) x ceil(w/4)
    float32 or None; work_shape: (h, w); provider: ORT provider that ran; seconds: wall time.
    """

    rgb: np.ndarray
    ab_work: np.ndarray
    prob: np.ndarray | None
    work_shape: tuple[int, int]
    provider: str
    seconds: float
    temperature: float


@dataclass
class Prediction:
    """Raw network outputs, NCHW float32: ab/ab_reg N x 2 x H x W, prob N x K x H/4 x W/4 (or None)."""

    ab: np.ndarray
    ab_reg: np.ndarray | None
    prob: np.ndarray | None


class Colorizer:
    """A verified model with an ONNX Runtime session; `card` is its ModelCard, `provider` the one in use."""

    def __init__(self, model: str | None = None, provider: str | None = None):
        if provider is not None:
            canonical(provider)  # a misspelt provider is reported before any model problem
        self.card = find_card(model)
        path = verify(self.card)
        try:
            self._session, self.provider = session_for(path, self.card.sha256, provider)
        except ProviderError:
            raise
        except Exception as exc:  # onnxruntime raises its own exception types on bad graphs
            raise ModelError(f"{path}: ONNX Runtime cannot load this model ({str(exc)[:120]})") from None
        names = {i.name for i in self._session.get_inputs()}
        missing = [n for n in contract.INPUTS if n not in names]
        if missing:
            raise ModelError(f"{path}: model lacks the contract inputs {', '.join(missing)}")
        self._outputs = [o.name for o in self._session.get_outputs()]
        if "ab" not in self._outputs:
            raise ModelError(f"{path}: model has no 'ab' output")

    def predict(self, L: np.ndarray, hint_ab: np.ndarray | None = None, hint_mask: np.ndarray | None = None,
                temperature: float | None = None) -> Prediction:
        """Run the network on NCHW float32 arrays: L N x 1 x H x W (0..100), H and W multiples of 32."""
        n, _, h, w = L.shape
        m = self.card.multiple
        if h % m or w % m:
            raise ValueError(f"L is {h}x{w}; both sides must be multiples of {m}")
        if hint_ab is None:
            hint_ab = np.zeros((n, 2, h, w), np.float32)
        if hint_mask is None:
            hint_mask = np.zeros((n, 1, h, w), np.float32)
        t = self.card.default_temperature if temperature is None else temperature
        feeds = {"L": np.ascontiguousarray(L, np.float32), "hint_ab": np.ascontiguousarray(hint_ab, np.float32),
                 "hint_mask": np.ascontiguousarray(hint_mask, np.float32),
                 "temperature": np.array([t], np.float32)}
        out = dict(zip(self._outputs, self._session.run(self._outputs, feeds)))
        return Prediction(out["ab"], out.get("ab_reg"), out.get("prob"))

    def working_shape(self, shape: tuple[int, int], size: int | None = None) -> tuple[int, int]:
        """(h, w) with long side `size` (card default if None) and the aspect ratio of `shape` (H, W)."""
        size = int(size or self.card.default_long_side)
        if size < 1:
            raise ValueError("size must be positive")
        H, W = shape[:2]
        scale = size / max(H, W)
        return max(1, round(H * scale)), max(1, round(W * scale))

    def colorize(self, image: np.ndarray, hints: list[Hint] | None = None, size: int | None = None,
                 vividness: float = 1.0) -> ColorizeResult:
        """Colorize HxW gray or HxWx3/4 RGB(A), uint8/uint16/float32 0..1; alpha is passed through."""
        start = time.perf_counter()
        image = _checked(image)
        H, W = image.shape[:2]
        temperature = contract.temperature_for(vividness, self.card.default_temperature)
        L_full = _full_luminance(image)
        h, w = self.working_shape((H, W), size)
        L_work = cv2.resize(L_full, (w, h), interpolation=cv2.INTER_AREA)
        m = self.card.multiple
        hp, wp = math.ceil(h / m) * m, math.ceil(w / m) * m
        # Reflect padding keeps the border statistics natural; the pad is cropped off after.
        L_pad = np.pad(L_work, ((0, hp - h), (0, wp - w)), mode="reflect")
        hint_ab = hint_mask = None
        if hints:
            check_inside(hints, (H, W))
            hint_ab, hint_mask = hints_to_inputs(hints, (H, W), (h, w), (hp, wp))
        pred = self.predict(L_pad[None, None], hint_ab, hint_mask, temperature)
        ab_work = np.ascontiguousarray(pred.ab[0, :, :h, :w], np.float32)
        s = contract.PROB_STRIDE
        prob = None if pred.prob is None else np.ascontiguousarray(pred.prob[0, :, :-(-h // s), :-(-w // s)])
        coef = render.guided_coefficients(L_work * np.float32(0.01), ab_work.transpose(1, 2, 0),
                                          render.guide_radius(max(h, w)))
        out = np.empty((H, W, 4 if image.ndim == 3 and image.shape[2] == 4 else 3), image.dtype)
        render.render(L_full, coef, out)
        if out.shape[2] == 4:
            out[..., 3] = image[..., 3]
        return ColorizeResult(out, ab_work, prob, (h, w), self.provider, time.perf_counter() - start, temperature)

    def likely_colors(self, result: ColorizeResult, x: int, y: int, k: int = 5) -> list[tuple[str, float]]:
        """Top-k ab bins of `prob` at full-image pixel (x, y), as ('#rrggbb' at that pixel's L, probability)."""
        if result.prob is None:
            raise ModelError(f"model {self.card.name!r} has no class head, so no colour distribution")
        bins = self.card.bins
        if bins is None or len(bins) != result.prob.shape[0]:
            raise ModelError(f"card {self.card.card_path} bins do not match the model's {result.prob.shape[0]} classes")
        H, W = result.rgb.shape[:2]
        if not (0 <= x < W and 0 <= y < H):
            raise ValueError(f"pixel ({x}, {y}) is outside the {W}x{H} image")
        h, w = result.work_shape
        s = contract.PROB_STRIDE
        px = min(result.prob.shape[2] - 1, min(w - 1, int((x + 0.5) * w / W)) // s)
        py = min(result.prob.shape[1] - 1, min(h - 1, int((y + 0.5) * h / H)) // s)
        p = result.prob[:, py, px]
        L = float(luminance(result.rgb[y:y + 1, x:x + 1, :3])[0, 0])
        top = np.argsort(-p, kind="stable")[:k]
        return [(lab_to_hex(L, float(bins[i][0]), float(bins[i][1])), float(p[i])) for i in top]


def _checked(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))):
        raise ValueError(f"image must be HxW, HxWx3 or HxWx4, got shape {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"image has no pixels: shape {image.shape}")
    if image.dtype.kind == "f" and image.dtype != np.float32:
        image = image.astype(np.float32)
    if image.dtype not in (np.uint8, np.uint16, np.float32):
        raise ValueError(f"image dtype must be uint8, uint16 or float32, got {image.dtype}")
    return image


def _full_luminance(image: np.ndarray) -> np.ndarray:
    """L* (H x W float32) computed in row bands so colour inputs never need full-size float copies."""
    if image.ndim == 2 and image.dtype != np.float32:
        return luminance(image)
    H, W = image.shape[:2]
    L = np.empty((H, W), np.float32)
    step = render.band_rows(W)
    for y0 in range(0, H, step):
        L[y0:y0 + step] = luminance(image[y0:y0 + step])
    return L
