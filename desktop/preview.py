"""Fast preview rendering for interactive edits: cached luminance, predict() at working size, display-size output."""
from __future__ import annotations

import math
import time

import cv2
import numpy as np

from engine import contract, propagate, render
from engine.color import lab_to_linear, lab_to_srgb, luminance
from engine.colorizer import ColorizeResult, Colorizer
from engine.hints import Hint, hints_to_inputs


class PreviewRenderer:
    """Colorizes the display preview again and again with different hints, reusing what does not change.

    preview: HxWx3 uint8 display image (long side ~1024); full_shape: (H, W) of the original, in
    whose pixel coordinates hints are given. Luminance at display and working size is computed once;
    each render() is one network run plus the engine's guided upsampling at display size only.
    """

    def __init__(self, colorizer: Colorizer, preview: np.ndarray, full_shape: tuple[int, int],
                 size: int | None = None) -> None:
        self.colorizer = colorizer
        self.full_shape = tuple(full_shape[:2])
        self.L_display = luminance(preview)                          # Hd x Wd float32, 0..100
        self.work_shape = colorizer.working_shape(self.L_display.shape, size)
        h, w = self.work_shape
        m = colorizer.card.multiple
        self.padded_shape = (math.ceil(h / m) * m, math.ceil(w / m) * m)
        self.L_work = cv2.resize(self.L_display, (w, h), interpolation=cv2.INTER_AREA)
        hp, wp = self.padded_shape
        # Same reflect padding as Colorizer.colorize, so preview and export see the same input.
        self.L_pad = np.pad(self.L_work, ((0, hp - h), (0, wp - w)), mode="reflect")[None, None]
        self.guide = self.L_work * np.float32(0.01)
        self.radius = render.guide_radius(max(h, w))

    def render(self, hints: list[Hint], vividness: float = 1.0, radius_scale: float = 1.0) -> ColorizeResult:
        """Colorize the preview with `hints` (full-image coordinates); rgb is Hd x Wd x 3 uint8.

        radius_scale = this renderer's working size / the photo's working size: hint radii are in the
        latter's pixels, so a draft at a smaller size shrinks them to cover the same area.
        """
        if radius_scale != 1.0:
            hints = [Hint(h.x, h.y, h.color, max(0, round((h.radius + 0.5) * radius_scale - 0.5))) for h in hints]
        start = time.perf_counter()
        temperature = contract.temperature_for(vividness, self.colorizer.card.default_temperature)
        h, w = self.work_shape
        hint_ab = hint_mask = None
        if hints:
            hint_ab, hint_mask = hints_to_inputs(hints, self.full_shape, self.work_shape, self.padded_shape)
        pred = self.colorizer.predict(self.L_pad, hint_ab, hint_mask, temperature)
        ab_work = np.ascontiguousarray(pred.ab[0, :, :h, :w], np.float32)
        if hint_mask is not None:  # as Colorizer.finish does, so the preview shows what export writes
            ab_work = propagate.follow_hints(self.L_work, ab_work, hint_ab[0, :, :h, :w], hint_mask[0, 0, :h, :w])
        s = contract.PROB_STRIDE
        prob = None if pred.prob is None else np.ascontiguousarray(pred.prob[0, :, :-(-h // s), :-(-w // s)])
        coef = render.guided_coefficients(self.guide, ab_work.transpose(1, 2, 0), self.radius)
        out = self.compose(coef)
        return ColorizeResult(out, ab_work, prob, (h, w), self.colorizer.provider,
                              time.perf_counter() - start, temperature)

    def compose(self, coef: np.ndarray) -> np.ndarray:
        """Guided-filter coefficients (h x w x 4) -> display sRGB, Hd x Wd x 3 uint8.

        The same maths as engine.render.render, made fast for one screen-sized image: OpenCV does the
        bilinear upsampling and Lab -> sRGB, and only pixels outside the sRGB gamut (OpenCV would clip
        them, shifting their hue) go through the engine's exact chroma-preserving gamut mapping, so
        the preview matches the export.
        """
        L = self.L_display
        Hd, Wd = L.shape
        c = cv2.resize(coef, (Wd, Hd), interpolation=cv2.INTER_LINEAR)
        g = self.L_display * np.float32(0.01)
        a = c[..., 0] * g + c[..., 2]
        b = c[..., 1] * g + c[..., 3]
        rgb = cv2.cvtColor(cv2.merge([L, a, b]), cv2.COLOR_Lab2RGB)
        lin = lab_to_linear(L, a, b)
        tol = np.float32(1e-4)
        out_of_gamut = np.zeros(L.shape, bool)
        for ch in lin:
            out_of_gamut |= (ch < -tol) | (ch > 1 + tol)
        if out_of_gamut.any():
            rgb[out_of_gamut] = lab_to_srgb(L[out_of_gamut], a[out_of_gamut], b[out_of_gamut])
        return cv2.convertScaleAbs(rgb, alpha=255.0)
