"""A horizontal slider with its value shown beside it, as the Look and Restore docks lay them out."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget


def slider_row(parent: QWidget, name: str, lo: int, hi: int, tip: str) -> tuple[QSlider, QLabel, QHBoxLayout]:
    """(slider named `<name>Slider` over lo..hi, its right-aligned value label, the row holding both)."""
    slider = QSlider(Qt.Orientation.Horizontal, parent)
    slider.setObjectName(f"{name}Slider")
    slider.setRange(lo, hi)
    slider.setToolTip(tip)
    label = QLabel(parent)
    label.setMinimumWidth(36)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    row = QHBoxLayout()
    row.addWidget(slider)
    row.addWidget(label)
    return slider, label, row
