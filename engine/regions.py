"""Regions: soft masks painted on the photo that colour an area (a layer) or protect it from hints.

Shapes: a region's `mask` is h x w uint8 (0..255 standing for 0..1) with the photo's aspect ratio and long
side <= MASK_LONG_SIDE, so it holds for the photo at any size (full image, display preview, working grid).
`apply_regions` works on the working grid, h x w, before the guided upsampling (engine/render.py), so the
full-size result follows the photo's own luminance edges and keeps its luminance exactly (regions only
set a*b*).

Layers, in list order over the automatic result plus hints:
- a colour region sets a*b* to its colour's a*b*, blended by mask x opacity;
- a protect region puts back, blended by mask x opacity, the chroma the model gives without any hints,
  so hints (their network input and their edge-aware spreading) do not change what lies under it;
  a protect region above a colour region also shields the area from it.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass, replace

import cv2
import numpy as np

from . import propagate
from .color import hex_to_lab

MASK_LONG_SIDE = 512     # masks are stored this big at most: sessions stay small, edges come from the photo
KINDS = ("colour", "protect")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
SNAP_CONTRAST = 2.5      # steepens the snapped edge's probability into a short, soft ramp


@dataclass(frozen=True, eq=False)
class Region:
    """mask: h x w uint8 0..255 (see the module); color '#rrggbb' (a colour region's chroma; a protect region's is
    only its swatch); opacity 0..1; kind 'colour' or 'protect'; visible: hidden regions change nothing."""

    mask: np.ndarray
    color: str = "#c04030"
    opacity: float = 1.0
    kind: str = "colour"
    visible: bool = True

    def __post_init__(self):
        mask = np.asarray(self.mask)
        if mask.ndim != 2 or mask.size == 0:
            raise ValueError(f"region mask must be a 2-D array, got shape {mask.shape}")
        if mask.dtype != np.uint8:
            mask = (np.clip(mask.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        mask.setflags(write=False)  # regions are shared by undo steps and render jobs
        object.__setattr__(self, "mask", mask)
        if self.kind not in KINDS:
            raise ValueError(f"region kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if not isinstance(self.color, str) or not _HEX.match(self.color):
            raise ValueError(f"region colour must be '#rrggbb', got {self.color!r}")
        object.__setattr__(self, "color", self.color.lower())
        if not 0.0 <= float(self.opacity) <= 1.0:
            raise ValueError(f"region opacity must be between 0 and 1, got {self.opacity}")
        object.__setattr__(self, "opacity", float(self.opacity))

    def with_(self, **changes) -> "Region":
        return replace(self, **changes)

    def to_json(self) -> dict:
        """Compact form for session files: the mask as a base64 8-bit PNG (a few kB for a typical region)."""
        ok, png = cv2.imencode(".png", np.ascontiguousarray(self.mask), [cv2.IMWRITE_PNG_COMPRESSION, 9])
        if not ok:  # pragma: no cover - OpenCV encodes any 2-D uint8 array
            raise ValueError("cannot encode region mask")
        return {"kind": self.kind, "color": self.color, "opacity": round(self.opacity, 4),
                "visible": bool(self.visible), "mask": base64.b64encode(png.tobytes()).decode("ascii")}

    @classmethod
    def from_json(cls, d) -> "Region":
        """The inverse of to_json; ValueError says what is wrong."""
        if not isinstance(d, dict):
            raise ValueError("a region must be an object")
        try:
            data = base64.b64decode(str(d["mask"]), validate=True)
        except (KeyError, ValueError):
            raise ValueError("region mask must be base64 PNG data") from None
        mask = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) if data else None
        if mask is None or mask.ndim != 2 or mask.dtype != np.uint8:
            raise ValueError("region mask is not an 8-bit gray PNG")
        if max(mask.shape) > 4 * MASK_LONG_SIDE:
            raise ValueError(f"region mask is too large ({mask.shape[1]}x{mask.shape[0]})")
        visible = d.get("visible", True)
        opacity = d.get("opacity", 1.0)
        if not isinstance(visible, bool):
            raise ValueError("region visible must be true or false")
        if isinstance(opacity, bool) or not isinstance(opacity, (int, float)):
            raise ValueError("region opacity must be a number")
        return cls(mask, str(d.get("color", "#c04030")), float(opacity), str(d.get("kind", "colour")), visible)


def mask_shape(image_shape: tuple[int, int]) -> tuple[int, int]:
    """(h, w) of a region mask for a photo of shape (H, W): its aspect, long side <= MASK_LONG_SIDE."""
    H, W = image_shape[:2]
    s = min(1.0, MASK_LONG_SIDE / max(H, W))
    return max(1, round(H * s)), max(1, round(W * s))


def fit(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """An h x w uint8 mask resized to shape (h2, w2) as float32 0..1; a full 255 stays exactly 1."""
    h, w = shape
    if mask.shape != (h, w):
        shrink = h * w < mask.shape[0] * mask.shape[1]
        mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    return mask.astype(np.float32) * np.float32(1 / 255)


def snap_mask(mask: np.ndarray, L: np.ndarray, band: int | None = None) -> np.ndarray:
    """Snap a painted mask's edge to the photo's edges: h x w mask (uint8 0..255 or float 0..1) and
    h x w float32 L* (0..100) -> h x w uint8 soft mask.

    Within `band` pixels of the painted edge (default about 1/48 of the long side) each pixel takes the
    side it is joined to by similar luminance: the sure inside (mask eroded by the band) is pinned to 1, the
    sure outside (beyond the band) to 0, and the band between is solved by the luminance-weighted diffusion
    of engine/propagate.py (a random-walker matte). A stroke that overshoots an edge by less than the band
    stops at it; one that falls short of it grows to it.
    """
    m = np.asarray(mask)
    m = m.astype(np.float32) / (255.0 if m.dtype == np.uint8 else 1.0)
    if m.shape != L.shape[:2]:
        raise ValueError(f"mask {m.shape} and luminance {L.shape[:2]} differ in shape")
    hard = (m >= 0.5).astype(np.uint8)
    if not hard.any():
        return np.zeros(m.shape, np.uint8)
    h, w = m.shape
    band = max(3, round(max(h, w) / 48)) if band is None else int(band)
    inside = cv2.distanceTransform(hard, cv2.DIST_L2, 3)
    # A thin stroke keeps a core: the band never eats more than half of its width.
    band = max(1, min(band, int(inside.max() // 2)))
    outside = cv2.distanceTransform(1 - hard, cv2.DIST_L2, 3)
    core, reach = inside > band, outside <= band
    ys, xs = np.nonzero(reach)
    y0, y1 = max(0, ys.min() - 1), min(h, ys.max() + 2)
    x0, x1 = max(0, xs.min() - 1), min(w, xs.max() + 2)
    c, r = core[y0:y1, x0:x1], reach[y0:y1, x0:x1]
    known = (c | ~r).astype(np.float32)
    target = c.astype(np.float32)[..., None]
    Ls = np.ascontiguousarray(L[y0:y1, x0:x1], np.float32)
    p = propagate.spread(Ls, target, known)[..., 0]
    soft = np.clip((p - 0.5) * SNAP_CONTRAST + 0.5, 0.0, 1.0)
    soft = np.where(c, 1.0, np.where(r, soft, 0.0))
    out = np.zeros((h, w), np.uint8)
    out[y0:y1, x0:x1] = (soft * 255.0 + 0.5).astype(np.uint8)
    return out


def has_protect(regions) -> bool:
    return any(r.visible and r.kind == "protect" and r.opacity > 0 for r in regions)


def protect_alpha(regions, shape: tuple[int, int]) -> np.ndarray | None:
    """h x w float32 0..1: how protected each working pixel is (the union of visible protect regions), or None."""
    out = None
    for r in regions:
        if r.visible and r.kind == "protect" and r.opacity > 0:
            a = fit(r.mask, shape) * np.float32(r.opacity)
            out = a if out is None else np.maximum(out, a)
    return out


def apply_regions(ab: np.ndarray, regions, plain_ab: np.ndarray | None = None) -> np.ndarray:
    """Composite the regions over chroma ab (2 x h x w float32 a*b*, working grid) in list order.

    plain_ab (2 x h x w): the model's chroma without hints, which protect regions put back; None when there
    were no hints (then ab, as it came in, is that chroma).
    Returns a new 2 x h x w float32 array; luminance is not touched here or anywhere by a region.
    """
    out = np.array(ab, np.float32, copy=True)
    base = out.copy() if plain_ab is None else np.asarray(plain_ab, np.float32)
    h, w = out.shape[1:]
    for r in regions:
        if not r.visible or r.opacity <= 0:
            continue
        a = fit(r.mask, (h, w))
        if r.opacity < 1:
            a = a * np.float32(r.opacity)
        if r.kind == "colour":
            _, ca, cb = hex_to_lab(r.color)
            target = np.array([ca, cb], np.float32)[:, None, None]
        else:
            target = base
        out = out * (1.0 - a)[None] + target * a[None]
    return out.astype(np.float32)
