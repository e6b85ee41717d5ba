"""Old-print damage put on the validation photos' gray versions, to measure what it does to the colours.

    python -m trainer.decoding_study --only card --aged faded --out runs/aged/faded   # any card, any kind below

A faded print has lifted blacks and dull whites; a dense (dark) print or an over-exposed (washed-out) one loses
one end of its range. Each kind is one fixed map of the 8-bit gray a scan would give. Tinta keeps a photo's own
luminance, so the truth an aged photo is scored against is the true photo's chroma on the aged luminance: what
a perfect colorization of that print would look like. Gray is the aged gray, so FD / FD(gray) compares like with
like.

Two kinds change detail rather than range. A crisp photo (an unsharp mask of 1 pixel, amount 1) has about as much
fine detail at the network's working size as a photo scanned at a few hundred pixels and reduced, like the
evaluation and historical photos (median detail 0.53-0.57 against the training photos' 0.44, engine/sharpness.py);
a soft one (a Gaussian blur of 1.2 pixels) is a softly focused print.
"""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from engine.color import lab_to_srgb, luminance, srgb_to_lab
from trainer.eval_photos import Photo, to_rgb8

# gray' = offset + gain * gray, on 0..255 codes
LEVELS = {
    "faded": (40.0, 0.70),    # blacks at L* ~15, whites at ~88
    "dark": (0.0, 0.75),      # a dense print: whites at ~80
    "washed": (64.0, 0.75),   # over-exposed: blacks at ~27
}
CRISP = (1.0, 1.0)    # unsharp mask: sigma (pixels at short side 144), amount
SOFT = 1.2            # Gaussian blur sigma (pixels at short side 144)
KINDS = (*LEVELS, "crisp", "soft")


def age_gray(gray: np.ndarray, kind: str) -> np.ndarray:
    """H x W uint8 gray -> the same print aged by `kind` (KINDS), uint8."""
    g = gray.astype(np.float32)
    if kind == "crisp":
        g = g + CRISP[1] * (g - cv2.GaussianBlur(g, (0, 0), CRISP[0]))
    elif kind == "soft":
        g = cv2.GaussianBlur(g, (0, 0), SOFT)
    else:
        offset, gain = LEVELS[kind]
        g = offset + gain * g
    return np.clip(g + 0.5, 0, 255).astype(np.uint8)


def aged(photo: Photo, kind: str) -> Photo:
    """`photo` as an aged print: its gray aged, and its truth the true chroma on the aged luminance."""
    gray = age_gray(photo.gray, kind)
    L = luminance(gray)
    lab = srgb_to_lab(photo.rgb)
    rgb = to_rgb8(lab_to_srgb(L, lab[..., 1], lab[..., 2]))
    return dataclasses.replace(photo, rgb=rgb, L=L, gray=gray)
