"""What each canvas tool does to the hint list: a finished gesture in, the new list and an undo label out."""
from __future__ import annotations

from dataclasses import dataclass

from desktop import regions
from desktop.canvas import Tool
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
    """The edit a gesture makes (None when it changes nothing).

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
    if tool is Tool.REGION_PAINT:
        mask, scale = regions.paint_mask(points, wide_radius(radius, unit), size)
    elif tool is Tool.REGION_LASSO:
        mask, scale = regions.lasso_mask(points, size)
    else:
        return None
    new = regions.grid_hints(mask, scale, color, radius, unit)
    return Edit(hints + tuple(new), "Colour region") if new else None
