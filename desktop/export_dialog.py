"""The JPEG options asked after a .jpg export name is chosen: quality 1..100, a slider with its value."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QSlider, QSpinBox, QWidget


class JpegQualityDialog(QDialog):
    """quality: the spin box (and slider) value once accepted."""

    def __init__(self, quality: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("JPEG quality")
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(1, 100)
        self.quality = QSpinBox(self)
        self.quality.setRange(1, 100)
        self.quality.setToolTip("Higher keeps more detail in a bigger file; 92 is close to invisible loss")
        self.slider.valueChanged.connect(self.quality.setValue)
        self.quality.valueChanged.connect(self.slider.setValue)
        self.quality.setValue(quality)
        row = QHBoxLayout()
        row.addWidget(self.slider)
        row.addWidget(self.quality)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(QLabel("JPEG keeps 8 bits per channel and compresses with some loss.", self))
        form.addRow("Quality", row)
        form.addRow(buttons)
