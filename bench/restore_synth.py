"""Synthetic dust and scratches on clean gray photos, with the true defect mask, for tests and bench."""
from __future__ import annotations

import glob
import os
from pathlib import Path

import cv2
import numpy as np

KODAK = str(Path(__file__).resolve().parents[2] / "shared" / "data" / "eval" / "Kodak24")
TRUTH_THRESHOLD = 0.02   # a pixel counts as damaged when it moved more than this (0..1 units)


def add_defects(clean: np.ndarray, seed: int = 0, n_specks: int | None = None,
                n_scratches: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """HxW float32 0..1 clean image -> (damaged HxW float32 0..1, true mask HxW bool).

    Specks: soft ellipses 1-4 px in radius; scratches: long 1-2 px lines, mostly near
    vertical as on film, some at random angles; each is bright or dark at 0.15-0.7 contrast.
    """
    rng = np.random.default_rng(seed)
    h, w = clean.shape
    area = h * w
    n_specks = int(area / 3000) if n_specks is None else n_specks
    n_scratches = max(2, int(np.sqrt(area) / 120)) if n_scratches is None else n_scratches
    bright = np.zeros((h, w), np.float32)
    dark = np.zeros((h, w), np.float32)
    for _ in range(n_specks):
        layer = bright if rng.random() < 0.5 else dark
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        ax = (int(rng.integers(1, 5)), int(rng.integers(1, 4)))
        amp = float(rng.uniform(0.15, 0.7))
        cv2.ellipse(layer, (cx, cy), ax, float(rng.uniform(0, 180)), 0, 360, amp, -1, cv2.LINE_AA)
    for i in range(n_scratches):
        layer = bright if rng.random() < 0.5 else dark
        length = rng.uniform(0.2, 0.9) * h
        angle = rng.normal(90, 4) if i % 3 else rng.uniform(0, 180)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        dx, dy = np.cos(np.radians(angle)) * length / 2, np.sin(np.radians(angle)) * length / 2
        p0 = (int(cx - dx), int(cy - dy))
        p1 = (int(cx + dx), int(cy + dy))
        amp = float(rng.uniform(0.15, 0.7))
        cv2.line(layer, p0, p1, amp, int(rng.integers(1, 3)), cv2.LINE_AA)
    # Defects sit on top of the image: bright ones towards white, dark ones towards black.
    damaged = clean + np.minimum(bright, 1.0) * (1.0 - clean) - np.minimum(dark, 1.0) * clean
    damaged = np.clip(damaged, 0.0, 1.0).astype(np.float32)
    truth = np.abs(damaged - clean) > TRUTH_THRESHOLD
    return damaged, truth


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two float 0..1 arrays."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(1.0 / mse)


def precision_recall(pred: np.ndarray, truth: np.ndarray, tolerance: int = 1) -> tuple[float, float]:
    """Pixel precision and recall, a predicted pixel within `tolerance` px of truth counting as hit."""
    k = np.ones((2 * tolerance + 1,) * 2, np.uint8)
    near_truth = cv2.dilate(truth.astype(np.uint8), k) > 0
    near_pred = cv2.dilate(pred.astype(np.uint8), k) > 0
    precision = float((pred & near_truth).sum() / max(1, pred.sum()))
    recall = float((truth & near_pred).sum() / max(1, truth.sum()))
    return precision, recall


def clean_photos(max_kodak: int = 4) -> list[tuple[str, np.ndarray]]:
    """(name, HxW float32 0..1) clean gray photos: camera, astronaut, and a few Kodak24 images."""
    from skimage import data  # test/bench only: the engine never needs scikit-image

    out = [("camera", data.camera().astype(np.float32) / 255.0),
           ("astronaut", cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0)]
    for path in sorted(glob.glob(os.path.join(KODAK, "*.*")))[:max_kodak]:
        img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if img is not None:
            out.append((os.path.splitext(os.path.basename(path))[0], img.astype(np.float32) / 255.0))
    return out
