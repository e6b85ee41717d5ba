"""Full-resolution export: render the original with the current edits and write PNG/JPEG/TIFF atomically."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.variants import render_choice, variants_supported
from engine.imageio import write_image

FORMATS = {".png": (8, 16), ".jpg": (8,), ".jpeg": (8,), ".tif": (8, 16), ".tiff": (8, 16)}


class ExportError(Exception):
    """An export the app refuses or could not finish; one line for a message box."""


@dataclass
class ExportRequest:
    path: Path
    bits: int = 8        # 8 or 16 (16 only for PNG and TIFF)
    quality: int = 95    # JPEG quality


def check_target(request: ExportRequest, original: Path) -> None:
    """Refuse exports that would overwrite the photo or its session, or that the format cannot hold."""
    target = Path(request.path)
    ext = target.suffix.lower()
    if ext not in FORMATS:
        raise ExportError(f"{target}: choose a .png, .jpg or .tif file name")
    if request.bits not in FORMATS[ext]:
        raise ExportError(f"{target}: {ext[1:].upper()} cannot hold {request.bits}-bit colour")
    if _same_file(target, original):
        raise ExportError(f"{target}: refusing to overwrite the original photo; choose another name")
    if target.name.endswith(".tinta.json"):
        raise ExportError(f"{target}: that name is reserved for the editing session")
    if not target.parent.is_dir():
        raise ExportError(f"{target.parent}: folder does not exist")


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def to_bits(rgb: np.ndarray, bits: int) -> np.ndarray:
    """Convert HxWxC uint8/uint16 pixels to the requested bit depth (rounded, full range)."""
    if bits == 8:
        if rgb.dtype == np.uint8:
            return rgb
        return ((rgb.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if bits == 16:
        if rgb.dtype == np.uint16:
            return rgb
        return rgb.astype(np.uint16) * 257
    raise ValueError(f"bits must be 8 or 16, got {bits}")


def render_full(colorizer, pixels: np.ndarray, hints: list, size: int | None, vividness: float,
                variant=None) -> np.ndarray:
    """The photo at full resolution with the edits: H x W x 3 (x 4 with alpha), the input's dtype."""
    if variant is not None and variants_supported(colorizer):
        return render_choice(colorizer, pixels, variant, hints, size, vividness).result.rgb
    return colorizer.colorize(pixels, hints=hints, size=size, vividness=vividness).rgb


def write_export(request: ExportRequest, rgb: np.ndarray) -> Path:
    """Write `rgb` (H x W x 3/4, uint8/uint16) at the requested depth; atomic via engine.write_image."""
    write_image(request.path, to_bits(rgb, request.bits), quality=request.quality)
    return Path(request.path)
