"""Colour picker panel: current colour (opens QColorDialog), eyedropper, and the model's likely colours."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QColorDialog, QGridLayout, QHBoxLayout, QLabel, QToolButton, QVBoxLayout,
                               QWidget)

SWATCHES = 5


def swatch_icon(color: str, size: int = 22) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(QColor(color))
    return QIcon(pix)


class ColorPanel(QWidget):
    """Shows and changes the brush colour; knows nothing about images or the model."""

    colorChosen = Signal(str)          # '#rrggbb'
    eyedropperToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.color = "#c04030"
        self.current = QToolButton(self)
        self.current.setIconSize(QSize(40, 24))
        self.current.setToolTip("Brush colour: click to choose any colour")
        self.current.setObjectName("currentColor")
        self.current.clicked.connect(self._on_pick_dialog)
        self.dropper = QToolButton(self)
        self.dropper.setText("Eyedropper")
        self.dropper.setCheckable(True)
        self.dropper.setToolTip("Take a colour from the current result (I)")
        self.dropper.toggled.connect(self.eyedropperToggled)
        top = QHBoxLayout()
        top.addWidget(self.current)
        top.addWidget(self.dropper)
        top.addStretch(1)
        self.likely_label = QLabel("Likely colours here:", self)
        grid = QGridLayout()
        self.swatches: list[QToolButton] = []
        for i in range(SWATCHES):
            b = QToolButton(self)
            b.setIconSize(QSize(26, 26))
            b.setEnabled(False)
            b.clicked.connect(lambda _=False, i=i: self._on_swatch(i))
            grid.addWidget(b, 0, i)
            self.swatches.append(b)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.likely_label)
        layout.addLayout(grid)
        layout.addStretch(1)
        self._likely: list[tuple[str, float]] = []
        self.set_color(self.color)
        self.set_likely([])

    def set_color(self, color: str) -> None:
        self.color = color
        self.current.setIcon(swatch_icon(color, 24))
        self.current.setText(color)
        self.current.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)

    def set_likely(self, colors: list[tuple[str, float]]) -> None:
        """Show up to SWATCHES (hex, probability) pairs; click one to make it the brush colour."""
        self._likely = list(colors)[:SWATCHES]
        for i, b in enumerate(self.swatches):
            if i < len(self._likely):
                hexcolor, p = self._likely[i]
                b.setIcon(swatch_icon(hexcolor, 26))
                b.setToolTip(f"{hexcolor} ({p * 100:.0f} %)")
                b.setEnabled(True)
            else:
                b.setIcon(QIcon())
                b.setToolTip("Click the photo with the brush or eyedropper to see the model's likely colours")
                b.setEnabled(False)

    def _on_swatch(self, i: int) -> None:
        if i < len(self._likely):
            self.set_color(self._likely[i][0])
            self.colorChosen.emit(self.color)

    def _on_pick_dialog(self) -> None:
        chosen = QColorDialog.getColor(QColor(self.color), self, "Hint colour")
        if chosen.isValid():
            self.set_color(chosen.name())
            self.colorChosen.emit(self.color)
