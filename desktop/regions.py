"""Geometry of edits: brush strokes become hint points, painted/lassoed areas become region masks (numpy + OpenCV).

All coordinates are full-image pixels (x right, y down), like engine Hint.x/.y; a hint's radius is
in the network's working pixels, and `unit` is how many full-image pixels one working pixel spans.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import cv2
import numpy as np

from engine.hints import Hint

from engine.regions import MASK_LONG_SIDE, mask_shape  # regions are rasterised as the engine keeps them (engine/regions.py)


def resample(points: Sequence[tuple[float, float]], spacing: float) -> np.ndarray:
    """Points every `spacing` pixels along the polyline (first and last kept); returns Nx2 float."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    if len(pts) < 2:
        return pts
    seg = np.hypot(*np.diff(pts, axis=0).T)
    dist = np.concatenate([[0.0], np.cumsum(seg)])
    if dist[-1] == 0:
        return pts[:1]
    n = max(1, int(math.ceil(dist[-1] / max(spacing, 1e-6))))
    at = np.linspace(0.0, dist[-1], n + 1)
    return np.stack([np.interp(at, dist, pts[:, 0]), np.interp(at, dist, pts[:, 1])], axis=1)


def hint_extent(radius: int, unit: float) -> float:
    """Half-width in full-image pixels of the square patch a hint of `radius` covers."""
    return (radius + 0.5) * unit


def brush_hints(points: Sequence[tuple[float, float]], color: str, radius: int,
                size: tuple[int, int], unit: float) -> list[Hint]:
    """Hints along a brush stroke, one patch-width apart, clipped to the image (size = (w, h))."""
    spacing = max(2.0, 2.0 * hint_extent(radius, unit))
    return [Hint(float(x), float(y), color, int(radius))
            for x, y in resample(points, spacing) if _inside(x, y, size)]


def erase_hints(hints: Iterable[Hint], points: Sequence[tuple[float, float]], radius: float) -> list[Hint]:
    """The hints that lie farther than `radius` from every point of the eraser stroke."""
    kept = list(hints)
    if not kept or not points:
        return kept
    path = resample(points, max(1.0, radius / 2))
    centres = np.array([[h.x, h.y] for h in kept])
    d2 = ((centres[:, None, :] - path[None, :, :]) ** 2).sum(axis=2).min(axis=1)
    return [h for h, d in zip(kept, d2) if d > radius * radius]


def _inside(x: float, y: float, size: tuple[int, int]) -> bool:
    return 0 <= x < size[0] and 0 <= y < size[1]


def _mask_grid(size: tuple[int, int]) -> tuple[float, int, int]:
    """(scale full -> mask, mask width, mask height) for a photo of size (W, H): the engine's mask_shape, so
    a mask drawn here fits the photo it renders."""
    h, w = mask_shape((size[1], size[0]))
    return min(1.0, MASK_LONG_SIDE / max(size)), w, h


def lasso_mask(polygon: Sequence[tuple[float, float]], size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """Rasterise a closed lasso; returns (mask HxW uint8 {0,1} at reduced scale, scale full->mask)."""
    s, w, h = _mask_grid(size)
    mask = np.zeros((h, w), np.uint8)
    pts = np.round(np.asarray(polygon, np.float64).reshape(-1, 2) * s).astype(np.int32)
    if len(pts) >= 3:
        cv2.fillPoly(mask, [pts], 1)
    return mask, s


def paint_mask(points: Sequence[tuple[float, float]], radius: float,
               size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """Rasterise a painted stroke of the given radius; same return as lasso_mask."""
    s, w, h = _mask_grid(size)
    mask = np.zeros((h, w), np.uint8)
    pts = np.round(np.asarray(points, np.float64).reshape(-1, 2) * s).astype(np.int32)
    r = max(1, round(radius * s))
    if len(pts) == 1:
        cv2.circle(mask, tuple(int(v) for v in pts[0]), r, 1, -1)
    elif len(pts) > 1:
        cv2.polylines(mask, [pts], False, 1, thickness=2 * r, lineType=cv2.LINE_8)
        for p in pts[[0, -1]]:
            cv2.circle(mask, tuple(int(v) for v in p), r, 1, -1)
    return mask, s


def outline(mask: np.ndarray, color: tuple[int, int, int] = (255, 230, 80)) -> np.ndarray:
    """The edge of a region mask (h x w uint8 0..255) as an h x w x 4 uint8 RGBA picture, clear elsewhere."""
    inside = (mask >= 128).astype(np.uint8)
    edge = cv2.morphologyEx(inside, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    rgba = np.zeros(mask.shape + (4,), np.uint8)
    rgba[..., :3] = edge[..., None] * np.array(color, np.uint8)
    rgba[..., 3] = edge * 230
    return rgba
