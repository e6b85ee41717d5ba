"""Fast preview rendering: the engine's Colorizer.prepare once per photo and size, then predict and finish per edit."""
from __future__ import annotations

import time
from dataclasses import replace

import cv2
import numpy as np

from engine import contract
from engine.color import luminance
from engine.colorizer import ColorizeResult, Colorizer
from engine.hints import Hint, hints_to_inputs


DRAFT_SCALE = 0.5   # a draft renders at half the preview's width and height: a quarter of the pixels


class PreviewRenderer:
    """Colorizes the display preview again and again with different hints, reusing what does not change.

    preview: HxWx3 uint8 display image (long side ~1024); full_shape: (H, W) of the original, in
    whose pixel coordinates hints are given. Luminance, working size and padding come from one
    Colorizer.prepare; each render() is one network run plus Colorizer.finish at display size, so
    the preview goes through exactly the steps (hint following, guided upsampling, gamut mapping)
    that an export does at full size.
    """

    def __init__(self, colorizer: Colorizer, preview: np.ndarray, full_shape: tuple[int, int],
                 size: int | None = None) -> None:
        self.colorizer = colorizer
        self.full_shape = tuple(full_shape[:2])
        self.job = colorizer.prepare(preview, None, size)
        self.work_shape = self.job.L_work.shape
        self.padded_shape = self.job.L_pad.shape
        self._small = None   # (image, L*) at DRAFT_SCALE of the preview, made on the first draft
        self._last = None    # (inputs, prediction) of the last network run, which a refine reuses
        self._chroma = None  # (inputs, regions, Chroma) of the last render: a refine skips the hint solve too
        self._plain = None   # (temperature, ab) without hints, which protect regions keep (engine Colorizer.finish)

    def render(self, hints: list[Hint], vividness: float = 1.0, radius_scale: float = 1.0,
               regions=(), draft: bool = False) -> ColorizeResult:
        """Colorize the preview with `hints` (full-image coordinates) and regions (engine/regions.py, which hold
        for any size of the photo); rgb is Hd x Wd x 3 uint8, or at DRAFT_SCALE of that for a draft.

        radius_scale = this renderer's working size / the photo's working size: hint radii are in the
        latter's pixels, so a draft at a smaller size shrinks them to cover the same area. A draft is the same
        network run and hint solve rendered onto a quarter of the pixels (the canvas scales it up); the
        refine that follows with the same inputs reuses the network's answer and only renders.
        """
        if radius_scale != 1.0:
            hints = [Hint(h.x, h.y, h.color, max(0, round((h.radius + 0.5) * radius_scale - 0.5))) for h in hints]
        hint_ab = hint_mask = None
        if hints:
            # Mapped from the original's shape, not the preview's, so each hint lands on the working pixel
            # that the export's Colorizer.prepare puts it on.
            hint_ab, hint_mask = hints_to_inputs(hints, self.full_shape, self.work_shape, self.padded_shape)
        temperature = contract.temperature_for(vividness, self.colorizer.card.default_temperature)
        job = replace(self.job, hint_ab=hint_ab, hint_mask=hint_mask, temperature=temperature,
                      start=time.perf_counter(), regions=tuple(regions))
        inputs = (tuple(hints), temperature)  # all the network sees; regions are applied after it, in finish
        if self._last is not None and self._last[0] == inputs:
            pred = self._last[1]
        else:
            pred = self.colorizer.predict(job.L_pad[None, None], job.hint_ab, job.hint_mask, job.temperature)
            self._last = (inputs, pred)
        plain = None
        if self.colorizer.needs_plain(job):  # it depends on the photo and temperature only: once, not per stroke
            if self._plain is None or self._plain[0] != temperature:
                plain_ab = self.colorizer.predict(job.L_pad[None, None], None, None, temperature).ab[0]
                self._plain = (temperature, plain_ab)
            plain = self._plain[1]
        regions = job.regions
        cached = self._chroma
        if (cached is not None and cached[0] == inputs and len(cached[1]) == len(regions)
                and all(a is b for a, b in zip(cached[1], regions))):  # regions are immutable: the same objects
            chroma = cached[2]
        else:
            chroma = self.colorizer.chroma(job, pred.ab[0], plain)
            self._chroma = (inputs, regions, chroma)
        if draft:
            image, L_full = self._draft_luminance()
            job = replace(job, image=image, L_full=L_full)
        return self.colorizer.finish(job, pred.ab[0], None if pred.prob is None else pred.prob[0], plain, own=True,
                                     chroma=chroma)

    def _draft_luminance(self):
        if self._small is None:
            H, W = self.job.image.shape[:2]
            size = (max(1, round(W * DRAFT_SCALE)), max(1, round(H * DRAFT_SCALE)))
            image = cv2.resize(self.job.image, size, interpolation=cv2.INTER_AREA)
            self._small = (image, luminance(image))
        return self._small
