"""The photo being edited: pixels, display preview, hints, regions, variant, settings, restoration (no Qt widgets)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QObject, Signal

from desktop.qimage import to_display_rgb8
from desktop.session import Session
from engine.hints import Hint
from engine.regions import Region
from engine.restore.pipeline import RestoreOptions

PREVIEW_LONG_SIDE = 1024  # what the screen shows and strokes edit; export renders the full size


@dataclass(frozen=True)
class VariantChoice:
    """A chosen sample of the variant sampler: its latent z (D floats) reproduces it exactly, also for a
    "more like this" sample that no seed draws; seed is recorded for reference; `variant` is the engine object."""
    seed: int
    variant: Any = None
    z: tuple[float, ...] | None = None

    @classmethod
    def of(cls, v) -> "VariantChoice":
        return cls(int(v.seed), v, tuple(float(x) for x in np.asarray(v.z, np.float32).ravel()))

    def to_json(self) -> dict:
        out = {"seed": int(self.seed)}
        if self.z is not None:
            out["z"] = list(self.z)
        return out


def make_preview(pixels: np.ndarray, long_side: int = PREVIEW_LONG_SIDE) -> np.ndarray:
    """Display copy of a picture: HxWx3 uint8 RGB, long side <= long_side (area-averaged)."""
    rgb = to_display_rgb8(pixels)
    h, w = rgb.shape[:2]
    s = long_side / max(h, w)
    if s >= 1.0:
        return rgb
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


class Document(QObject):
    """State of one open photo; undo commands are the only writers after opening."""

    hintsChanged = Signal()
    regionsChanged = Signal()
    settingsChanged = Signal()
    variantChanged = Signal()
    lookChanged = Signal()      # saturation or warmth: the shown result is re-toned, the network does not rerun
    restoreChanged = Signal()   # the restoration asked for; the restored picture follows off the GUI thread

    def __init__(self, path: Path, picture: Any, preview: np.ndarray | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.picture = picture  # engine Picture: pixels HxW[xC] uint8/uint16
        # HxWx3 uint8, what the canvas shows as "before"; pass it in to build it off the GUI thread
        self.preview = make_preview(picture.pixels) if preview is None else preview
        h, w = picture.pixels.shape[:2]
        self.full_size = (w, h)                      # (width, height) of the original
        self.scale = self.preview.shape[1] / w       # full-image pixels -> preview pixels
        self.hints: tuple[Hint, ...] = ()
        self.regions: tuple[Region, ...] = ()       # engine/regions.py, in layer order (bottom first)
        self.size: int | None = None
        self.vividness: float = 1.0
        self.saturation: float = 1.0   # engine/look.py, applied after colorizing
        self.warmth: float = 0.0
        self.variant: VariantChoice | None = None
        # Asked for; `picture` holds the restoration last made, which lags while a new one is made.
        self.restore = RestoreOptions()

    def set_hints(self, hints) -> None:
        self.hints = tuple(hints)
        self.hintsChanged.emit()

    def set_regions(self, regions) -> None:
        self.regions = tuple(regions)
        self.regionsChanged.emit()

    def set_setting(self, name: str, value) -> None:
        if name not in ("size", "vividness", "saturation", "warmth"):
            raise KeyError(name)
        setattr(self, name, value)
        (self.lookChanged if name in ("saturation", "warmth") else self.settingsChanged).emit()

    def set_restore(self, options: RestoreOptions) -> None:
        self.restore = options
        self.restoreChanged.emit()

    def set_variant(self, choice: VariantChoice | None) -> None:
        self.variant = choice
        self.variantChanged.emit()

    def session(self) -> Session:
        return Session(hints=list(self.hints), variant=None if self.variant is None else self.variant.to_json(),
                       size=self.size, vividness=self.vividness, saturation=self.saturation, warmth=self.warmth,
                       restore=self.restore, regions=list(self.regions))

    def apply_session(self, session: Session) -> None:
        """Load a saved session (before any edit, so it is not an undoable step)."""
        self.hints = tuple(session.hints)
        self.regions = tuple(session.regions)
        self.size = session.size
        self.vividness = session.vividness
        self.saturation, self.warmth = session.saturation, session.warmth
        self.restore = session.restore
        v = session.variant
        self.variant = None if not v else VariantChoice(int(v["seed"]), z=tuple(v["z"]) if v.get("z") else None)
        self.settingsChanged.emit()
        self.lookChanged.emit()
        self.restoreChanged.emit()
        self.variantChanged.emit()
        self.hintsChanged.emit()
        self.regionsChanged.emit()
