"""What each canvas tool makes of a finished gesture: hint tools a new hint list and undo label, region tools a mask."""
from __future__ import annotations

from dataclasses import dataclass

from desktop import regions
import numpy as np

from desktop.canvas import REGION_TOOLS, Tool
from engine.hints import Hint

REGION_BRUSH_FACTOR = 3.0  # eraser and region brush are wider than the hint brush


@dataclass(frozen=True)
class Edit:
    hints: tuple[Hint, ...]
    label: str


def brush_extent(radius: int, unit: float) -> float:
    """Half-width in full-image pixels of the hint brush."""
    return regions.hint_extent(radius, unit)


def wide_radius(radius: int, unit: float) -> float:
    """Radius in full-image pixels of the eraser and the region brush."""
    return REGION_BRUSH_FACTOR * brush_extent(radius, unit)


def stroke_edit(tool: Tool, points: list[tuple[float, float]], hints: tuple[Hint, ...], color: str,
                radius: int, size: tuple[int, int], unit: float) -> Edit | None:
    """The edit a hint tool's gesture makes (None when it changes nothing, and for the region tools).

    points: the gesture in full-image pixels; size: (width, height) of the photo; radius: hint
    radius in working pixels; unit: full-image pixels per working pixel.
    """
    if not points:
        return None
    if tool is Tool.BRUSH:
        new = regions.brush_hints(points, color, radius, size, unit)
        return Edit(hints + tuple(new), "Paint hints") if new else None
    if tool is Tool.ERASER:
        kept = regions.erase_hints(hints, points, wide_radius(radius, unit))
        return Edit(tuple(kept), "Erase hints") if len(kept) != len(hints) else None
    return None


def region_mask(tool: Tool, points: list[tuple[float, float]], radius: float, size: tuple[int, int]) -> np.ndarray:
    """The raw mask of a region tool's gesture: h x w uint8 0/255 at the engine's region mask shape
    (engine/regions.py mask_shape); radius: the region brush's, in full-image pixels; size: (width, height)."""
    if tool not in REGION_TOOLS:
        raise ValueError(f"{tool} does not draw regions")
    if tool is Tool.REGION_LASSO:
        mask, _ = regions.lasso_mask(points, size)
    else:
        mask, _ = regions.paint_mask(points, radius, size)
    return mask * np.uint8(255)
