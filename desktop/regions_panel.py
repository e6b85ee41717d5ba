"""Regions dock: the photo's regions as a list, each selectable, with recolour, fade, show/hide and delete."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QCheckBox, QColorDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPushButton, QSlider, QVBoxLayout, QWidget)


def region_icon(region, size: int = 22) -> QIcon:
    """A swatch of the region's colour; a protect region's is gray and crossed out."""
    pix = QPixmap(size, size)
    if region.kind == "protect":
        pix.fill(QColor(128, 128, 128))
        p = QPainter(pix)
        p.setPen(QColor(255, 255, 255))
        p.drawLine(3, 3, size - 4, size - 4)
        p.drawLine(size - 4, 3, 3, size - 4)
        p.end()
    else:
        pix.fill(QColor(region.color))
    return QIcon(pix)


def region_label(region, number: int) -> str:
    kind = "Protect" if region.kind == "protect" else "Colour"
    hidden = "" if region.visible else " (hidden)"
    fade = "" if region.opacity >= 1 else f" {round(region.opacity * 100)} %"
    return f"{kind} {number}{fade}{hidden}"


class RegionsPanel(QWidget):
    """Lists regions (bottom layer first) and asks for changes by signal; it changes nothing itself."""

    recolourRequested = Signal(int, str)     # index, '#rrggbb'
    opacityRequested = Signal(int, float)    # index, 0..1
    visibleRequested = Signal(int, bool)
    deleteRequested = Signal(int)
    selected = Signal(int)                   # index, -1 for none

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.regions: tuple = ()
        self.list = QListWidget(self)
        self.list.setObjectName("regionList")
        self.list.setIconSize(QSize(22, 22))
        # A handful of rows is enough to pick from (it scrolls); the dock column's height goes to the variants.
        self.list.setMaximumHeight(140)
        self.list.currentRowChanged.connect(self._on_row)
        self.recolour = QPushButton("Colour…", self)
        self.recolour.setToolTip("Choose another colour for the selected region")
        self.recolour.clicked.connect(self._on_recolour)
        self.delete = QPushButton("Delete", self)
        self.delete.setToolTip("Remove the selected region")
        self.delete.clicked.connect(lambda: self._emit(self.deleteRequested))
        self.show_box = QCheckBox("Show", self)
        self.show_box.setToolTip("Hide a region to see the photo without it; it stays in the list")
        self.show_box.toggled.connect(lambda on: self._emit(self.visibleRequested, bool(on)))
        self.opacity = QSlider(Qt.Orientation.Horizontal, self)
        self.opacity.setRange(0, 100)
        self.opacity.setToolTip("How strongly the region applies (fade it out towards 0)")
        self.opacity.valueChanged.connect(lambda v: self._emit(self.opacityRequested, v / 100.0))
        self.hint = QLabel("Paint (R), lasso (L) or protect (P) an area to make a region.", self)
        self.hint.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.recolour)
        row.addWidget(self.show_box)
        row.addWidget(self.delete)
        fade = QHBoxLayout()
        fade.addWidget(QLabel("Strength", self))
        fade.addWidget(self.opacity)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(row)
        layout.addLayout(fade)
        layout.addWidget(self.hint)
        self._sync_controls()

    @property
    def current(self) -> int:
        return self.list.currentRow()

    def set_regions(self, regions) -> None:
        """Show the document's regions; the selection stays, or goes to a region just added."""
        regions = tuple(regions)
        row = self.current
        if len(regions) > len(self.regions):
            row = len(regions) - 1
        row = min(row, len(regions) - 1)
        self.regions = regions
        self.list.blockSignals(True)
        self.list.clear()
        for i, r in enumerate(regions):
            QListWidgetItem(region_icon(r), region_label(r, i + 1), self.list)
        self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        self._sync_controls()
        self.selected.emit(self.current)

    def _on_row(self, row: int) -> None:
        self._sync_controls()
        self.selected.emit(row)

    def _sync_controls(self) -> None:
        i = self.current
        region = self.regions[i] if 0 <= i < len(self.regions) else None
        for w in (self.delete, self.show_box, self.opacity):
            w.setEnabled(region is not None)
        self.recolour.setEnabled(region is not None and region.kind == "colour")
        self.hint.setVisible(not self.regions)
        if region is not None:
            for w, set_value in ((self.show_box, lambda: self.show_box.setChecked(region.visible)),
                                 (self.opacity, lambda: self.opacity.setValue(round(region.opacity * 100)))):
                w.blockSignals(True)
                set_value()
                w.blockSignals(False)

    def _emit(self, signal, *args) -> None:
        if 0 <= self.current < len(self.regions):
            signal.emit(self.current, *args)

    def _on_recolour(self) -> None:
        i = self.current
        if not 0 <= i < len(self.regions):
            return
        chosen = QColorDialog.getColor(QColor(self.regions[i].color), self, "Region colour")
        if chosen.isValid():
            self.recolourRequested.emit(i, chosen.name())
