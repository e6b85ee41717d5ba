"""User colour hints: JSON loading with clear errors, and conversion to the network's hint tensors."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .color import hex_to_rgb, srgb_to_lab
from .errors import HintError

MAX_RADIUS = 64


@dataclass(frozen=True)
class Hint:
    """A colour at input-image pixel (x, y); `radius` is the half-size of its square patch in working pixels."""

    x: float
    y: float
    color: str  # '#rrggbb'
    radius: int = 2


def parse_hints(data, source="hints") -> list[Hint]:
    """Validate decoded JSON {"hints": [{"x", "y", "color", "radius"?}, ...]} into Hints."""
    if not isinstance(data, dict) or not isinstance(data.get("hints"), list):
        raise HintError(source, 'expected a JSON object {"hints": [{"x": .., "y": .., "color": "#rrggbb"}, ...]}')
    hints = []
    for i, item in enumerate(data["hints"]):
        where = f"hint {i + 1}"
        if not isinstance(item, dict):
            raise HintError(source, f"{where} is not an object")
        missing = [k for k in ("x", "y", "color") if k not in item]
        if missing:
            raise HintError(source, f"{where} lacks {', '.join(missing)}")
        x, y, radius = item["x"], item["y"], item.get("radius", 2)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (x, y)) or x < 0 or y < 0:
            raise HintError(source, f"{where} needs non-negative numbers for x and y, got {x!r}, {y!r}")
        if not isinstance(radius, int) or isinstance(radius, bool) or not 0 <= radius <= MAX_RADIUS:
            raise HintError(source, f"{where} radius must be an integer 0..{MAX_RADIUS}, got {radius!r}")
        if not isinstance(item["color"], str):
            raise HintError(source, f"{where} colour must be a '#rrggbb' string")
        try:
            hex_to_rgb(item["color"])
        except ValueError as exc:
            raise HintError(source, f"{where}: {exc}") from None
        hints.append(Hint(float(x), float(y), item["color"].strip().lower(), radius))
    return hints


def load_hints(path, image_shape: tuple[int, int] | None = None) -> list[Hint]:
    """Read a hints JSON file; with image_shape (H, W) also check every hint lies inside the image."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HintError(path, "hints file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HintError(path, f"cannot read hints file ({exc.__class__.__name__})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HintError(path, f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    hints = parse_hints(data, path)
    if image_shape is not None:
        check_inside(hints, image_shape, path)
    return hints


def check_inside(hints: list[Hint], image_shape: tuple[int, int], source="hints") -> None:
    """Raise HintError for the first hint outside an image of shape (H, W)."""
    h, w = image_shape[:2]
    for i, hint in enumerate(hints):
        if not (0 <= hint.x < w and 0 <= hint.y < h):
            raise HintError(source, f"hint {i + 1} at ({hint.x:g}, {hint.y:g}) is outside the {w}x{h} image")


def hints_to_inputs(hints: list[Hint], full_shape, work_shape, padded_shape):
    """Hints -> (hint_ab [1,2,Hp,Wp] float32 Lab a/b, hint_mask [1,1,Hp,Wp] float32 0/1).

    full_shape (H, W) is the input image, work_shape (h, w) the resized image placed at the
    top-left of the padded (Hp, Wp) network input; each hint covers a (2r+1)^2 square.
    """
    H, W = full_shape[:2]
    h, w = work_shape
    hp, wp = padded_shape
    hint_ab = np.zeros((1, 2, hp, wp), np.float32)
    mask = np.zeros((1, 1, hp, wp), np.float32)
    # One conversion for all the colours: a stroke is tens of hints, and a colour at a time cost 0.15 ms each.
    colors = sorted({hint.color for hint in hints})
    lab = dict(zip(colors, srgb_to_lab(np.stack([hex_to_rgb(c) for c in colors])).tolist())) if colors else {}
    for hint in hints:
        cx = min(w - 1, max(0, int((hint.x + 0.5) * w / W)))
        cy = min(h - 1, max(0, int((hint.y + 0.5) * h / H)))
        r = hint.radius
        y0, y1, x0, x1 = max(0, cy - r), min(h, cy + r + 1), max(0, cx - r), min(w, cx + r + 1)
        _, a, b = lab[hint.color]
        hint_ab[0, 0, y0:y1, x0:x1] = a
        hint_ab[0, 1, y0:y1, x0:x1] = b
        mask[0, 0, y0:y1, x0:x1] = 1.0
    return hint_ab, mask
