"""Variants gallery: thumbnails of alternative colourings from the model's sampler, apply or refine one; earlier
sets stay in a history row below (newest first), each of their thumbnails applies that variant."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy,
                               QSpinBox, QToolButton, QVBoxLayout, QWidget)

from desktop.qimage import array_to_qimage
from desktop.variants import UNSUPPORTED

THUMB = 200          # the newest set, big enough to judge skin and sky
HISTORY_THUMB = 72   # earlier sets


class VariantsPanel(QWidget):
    """A grid of variant thumbnails; the controller fills it and receives the user's choice."""

    sampleRequested = Signal(int)      # how many
    applyRequested = Signal(int)       # index into the shown variants
    historyApplyRequested = Signal(int, int)  # earlier set (0 = the one before the newest), index in it
    moreLikeRequested = Signal(int, int)  # set (-1: the newest, k: earlier set k), index in it
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
        grid_box = QWidget(self)
        grid_box.setLayout(self.grid)
        self.scroll = QScrollArea(self)
        self.scroll.setWidget(grid_box)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        # The dock column must still fit a small screen: the gallery scrolls rather than ask for height.
        self.scroll.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.history_label = QLabel("Earlier sets (newest first)", self)
        self.history_row = QHBoxLayout()
        self.history_row.setContentsMargins(0, 0, 0, 0)
        history_box = QWidget(self)
        history_box.setLayout(self.history_row)
        self.history_scroll = QScrollArea(self)
        self.history_scroll.setWidget(history_box)
        self.history_scroll.setWidgetResizable(True)
        self.history_scroll.setFixedHeight(HISTORY_THUMB + 30)
        self.history_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        row2 = QHBoxLayout()
        row2.addWidget(self.more)
        row2.addWidget(self.original)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(row2)
        layout.addWidget(self.history_label)
        layout.addWidget(self.history_scroll)
        self.buttons: list[QToolButton] = []
        self.history_buttons: list[list[QToolButton]] = []   # per earlier set, newest set first
        self.history_widgets: list[QWidget] = []
        self.selected: tuple[int, int] | None = None  # (set, index) of the variant last applied here
        self.set_available(False, UNSUPPORTED)

    def set_available(self, ok: bool, reason: str = "") -> None:
        self.setEnabled(ok)
        self.setToolTip("" if ok else (reason or UNSUPPORTED))
        for w in (self.sample, self.more, self.count):
            w.setToolTip(w.toolTip() if ok else (reason or UNSUPPORTED))
        self._update_buttons()
        self._show_history()

    def set_variants(self, images: list[np.ndarray]) -> None:
        """images: h x w x 3 uint8 thumbnails (long side <= THUMB), one per variant, in sampler order."""
        for b in self.buttons:
            self.grid.removeWidget(b)
            b.deleteLater()
        self.buttons = []
        self.selected = None
        for i, rgb in enumerate(images):
            b = _thumb_button(self, rgb, THUMB, f"Variant {i + 1}: click to apply")
            b.setCheckable(True)
            b.setAutoExclusive(True)
            b.clicked.connect(lambda _=False, i=i: self._on_clicked(i))
            self.grid.addWidget(b, i // 2, i % 2)
            self.buttons.append(b)
        # Once there is a set to judge, one row of it is always in view (the Regions list gives way);
        # an empty gallery asks for nothing, so the window still fits a small screen at start.
        self.scroll.setMinimumHeight(THUMB + 24 if images else 0)
        self._update_buttons()

    def set_history(self, sets: list[list[np.ndarray]]) -> None:
        """Earlier sets' thumbnails, the most recent set first; [] for a new photo."""
        for w in self.history_widgets:
            self.history_row.removeWidget(w)
            w.deleteLater()
        self.history_widgets, self.history_buttons = [], []
        for k, images in enumerate(sets):
            if k:
                line = QFrame(self)
                line.setFrameShape(QFrame.Shape.VLine)
                self.history_row.addWidget(line)
                self.history_widgets.append(line)
            row = []
            for i, rgb in enumerate(images):
                b = _thumb_button(self, rgb, HISTORY_THUMB, f"Set -{k + 1}, variant {i + 1}: click to apply")
                b.clicked.connect(lambda _=False, k=k, i=i: self._on_history_clicked(k, i))
                self.history_row.addWidget(b)
                self.history_widgets.append(b)
                row.append(b)
            self.history_buttons.append(row)
        self._show_history()

    def _show_history(self) -> None:
        shown = bool(self.history_buttons)
        self.history_label.setVisible(shown)
        self.history_scroll.setVisible(shown)

    def _on_history_clicked(self, k: int, i: int) -> None:
        self.selected = (k, i)        # "More like this" works on an earlier set's variant too
        for b in self.buttons:
            b.setAutoExclusive(False)
            b.setChecked(False)
            b.setAutoExclusive(True)
        self._update_buttons()
        self.historyApplyRequested.emit(k, i)

    def _on_clicked(self, i: int) -> None:
        self.selected = (-1, i)
        self._update_buttons()
        self.applyRequested.emit(i)

    def _on_more(self) -> None:
        if self.selected is not None:
            self.moreLikeRequested.emit(*self.selected)

    def _update_buttons(self) -> None:
        self.more.setEnabled(self.selected is not None)


def _thumb_button(parent: QWidget, rgb: np.ndarray, side: int, tip: str) -> QToolButton:
    b = QToolButton(parent)
    pix = QPixmap.fromImage(array_to_qimage(rgb)).scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    b.setIcon(QIcon(pix))
    b.setIconSize(QSize(side, side))
    b.setToolTip(tip)
    return b
