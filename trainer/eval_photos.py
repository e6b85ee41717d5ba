"""The photos an evaluation scores, and the simulated hints it gives them.

Shared by trainer/evaluate.py (metrics table, hint sweep) and trainer/eval_variants.py (the variant
sampler), so that neither imports the other's module for them.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engine.color import lab_to_srgb, luminance
from engine.hints import Hint

# The shared photos lie beside the checkout (../shared), wherever that is.
DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "data" / "eval"
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}
# All photos are held in memory (about 8 bytes a pixel); larger ones are scored at this long side.
MAX_SIDE = 1024
HINT_RADIUS = 1  # a 3x3 patch on the colorizer's working grid, as in Zhang et al.'s evaluation


class EvalError(Exception):
    """A user-facing problem (bad folder, unreadable photo): str() is one line naming it."""


@dataclass
class Photo:
    dataset: str
    path: Path
    rgb: np.ndarray    # HxWx3 uint8, the true photo
    L: np.ndarray      # HxW float32 CIE L* 0..100 of the gray version actually shown to the model
    gray: np.ndarray   # HxW uint8 sRGB gray, what a scanned b/w photo would be
    downscaled: bool = False


def to_rgb8(srgb01: np.ndarray) -> np.ndarray:
    return np.clip(srgb01 * 255.0 + 0.5, 0, 255).astype(np.uint8)


def load_photo(path: Path, dataset: str) -> Photo:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise EvalError(f"{path}: cannot be read as an image")
    return photo_from_rgb(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dataset, path)


def photo_from_rgb(rgb: np.ndarray, dataset: str, path: Path) -> Photo:
    """A Photo from HxWx3 uint8 RGB: downscaled to MAX_SIDE, its gray version as a scan would be."""
    big = max(rgb.shape[:2]) > MAX_SIDE
    if big:
        s = MAX_SIDE / max(rgb.shape[:2])
        rgb = cv2.resize(rgb, (max(1, round(rgb.shape[1] * s)), max(1, round(rgb.shape[0] * s))),
                         interpolation=cv2.INTER_AREA)
    L = luminance(rgb)
    gray = to_rgb8(lab_to_srgb(L, np.zeros_like(L), np.zeros_like(L)))[..., 0]
    return Photo(dataset, path, rgb, luminance(gray), gray, big)


def find_photos(folders, limit: int | None = None) -> tuple[dict[str, str], list[Photo]]:
    """Photos under each folder (recursively, sorted), at most `limit` per folder; dataset = folder name."""
    datasets, photos = {}, []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            raise EvalError(f"{folder}: not a folder")
        name = folder.name if folder.name not in datasets else str(folder)
        files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTS and p.is_file())
        if not files:
            raise EvalError(f"{folder}: no photos ({', '.join(sorted(IMAGE_EXTS))}) found")
        datasets[name] = str(folder)
        photos += [load_photo(p, name) for p in files[:limit]]
    return datasets, photos


def default_folders() -> list[Path]:
    if not DEFAULT_ROOT.is_dir():
        raise EvalError(f"{DEFAULT_ROOT}: default evaluation folder not found; name folders on the command line")
    return sorted(p for p in DEFAULT_ROOT.iterdir() if p.is_dir())


def sample_hints(rgb: np.ndarray, n: int, key: str, work_scale: float = 1.0,
                 radius: int = HINT_RADIUS) -> list[Hint]:
    """n simulated user hints from the true photo (HxWx3 uint8), deterministic per (key, n).

    Centres follow trainer.hints_sim: a 2-D Gaussian around the image centre, sigma (H/4, W/4),
    clipped inside. The colour is the mean true colour over the full-resolution area that the
    hint's (2*radius+1)^2 working-grid patch covers (work_scale = working size / full size).
    Draws are sequential, so the first k of n hints are the k-hint set: curves compare like sets.
    """
    h, w = rgb.shape[:2]
    rng = np.random.default_rng(zlib.crc32(key.encode("utf-8")))
    hints = []
    for _ in range(n):
        cy, cx = rng.normal((h / 2.0, w / 2.0), (h / 4.0, w / 4.0))
        hints.append(hint_at(rgb, int(np.clip(round(cx), 0, w - 1)), int(np.clip(round(cy), 0, h - 1)),
                             work_scale, radius))
    return hints


def hint_at(rgb: np.ndarray, x: int, y: int, work_scale: float = 1.0, radius: int = HINT_RADIUS) -> Hint:
    """A simulated hint at full-image pixel (x, y) of the true photo (HxWx3 uint8): the mean true colour
    over the full-resolution area its (2*radius+1)^2 working-grid patch covers."""
    half = max(0, int(round(((2 * radius + 1) / work_scale - 1) / 2)))
    patch = rgb[max(0, y - half):y + half + 1, max(0, x - half):x + half + 1]
    mean = np.round(patch.reshape(-1, 3).mean(0)).astype(int)
    return Hint(float(x), float(y), "#%02x%02x%02x" % tuple(mean), radius)
