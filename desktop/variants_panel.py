"""Variants gallery: thumbnails of alternative colourings from the model's sampler, apply or refine one."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QPushButton, QSpinBox, QToolButton, QVBoxLayout,
                               QWidget)

from desktop.qimage import array_to_qimage
from desktop.variants import UNSUPPORTED

THUMB = 120


class VariantsPanel(QWidget):
    """A grid of variant thumbnails; the controller fills it and receives the user's choice."""

    sampleRequested = Signal(int)      # how many
    applyRequested = Signal(int)       # index into the shown variants
    moreLikeRequested = Signal(int)
    originalRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.count = QSpinBox(self)
        self.count.setRange(2, 12)
        self.count.setValue(6)
        self.count.setToolTip("How many variants to sample")
        self.sample = QPushButton("Sample variants", self)
        self.sample.clicked.connect(lambda: self.sampleRequested.emit(self.count.value()))
        self.more = QPushButton("More like this", self)
        self.more.clicked.connect(self._on_more)
        self.original = QPushButton("Model's colours", self)
        self.original.setToolTip("Drop the applied variant")
        self.original.clicked.connect(self.originalRequested)
        row = QHBoxLayout()
        row.addWidget(self.count)
        row.addWidget(self.sample)
        self.grid = QGridLayout()
        row2 = QHBoxLayout()
        row2.addWidget(self.more)
        row2.addWidget(self.original)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addLayout(self.grid)
        layout.addLayout(row2)
        layout.addStretch(1)
        self.buttons: list[QToolButton] = []
        self.selected: int | None = None
        self.set_available(False, UNSUPPORTED)

    def set_available(self, ok: bool, reason: str = "") -> None:
        self.setEnabled(ok)
        self.setToolTip("" if ok else (reason or UNSUPPORTED))
        for w in (self.sample, self.more, self.count):
            w.setToolTip(w.toolTip() if ok else (reason or UNSUPPORTED))
        self._update_buttons()

    def set_variants(self, images: list[np.ndarray]) -> None:
        """images: HxWx3 uint8 previews, one per variant, in sampler order."""
        for b in self.buttons:
            self.grid.removeWidget(b)
            b.deleteLater()
        self.buttons = []
        self.selected = None
        for i, rgb in enumerate(images):
            b = QToolButton(self)
            pix = QPixmap.fromImage(array_to_qimage(rgb)).scaled(
                THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
            b.setIcon(QIcon(pix))
            b.setIconSize(QSize(THUMB, THUMB))
            b.setCheckable(True)
            b.setAutoExclusive(True)
            b.setToolTip(f"Variant {i + 1}: click to apply")
            b.clicked.connect(lambda _=False, i=i: self._on_clicked(i))
            self.grid.addWidget(b, i // 2, i % 2)
            self.buttons.append(b)
        self._update_buttons()

    def _on_clicked(self, i: int) -> None:
        self.selected = i
        self._update_buttons()
        self.applyRequested.emit(i)

    def _on_more(self) -> None:
        if self.selected is not None:
            self.moreLikeRequested.emit(self.selected)

    def _update_buttons(self) -> None:
        self.more.setEnabled(self.selected is not None)
