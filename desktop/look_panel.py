"""The Look dock: saturation and warmth after colorizing (engine/look.py), each a slider with its value shown."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QPushButton, QSlider, QWidget

from desktop.slider_row import slider_row
from engine import look


class LookPanel(QWidget):
    """Sliders in hundredths: saturation 0..200 (100 = unchanged), warmth -100..100 (0 = unchanged)."""

    lookRequested = Signal(str, float)   # "saturation" | "warmth", value in engine units

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        self.sliders: dict[str, QSlider] = {}
        self.labels: dict[str, QLabel] = {}
        for name, (lo, hi), tip in (
                ("saturation", look.SATURATION_RANGE, "Colour strength after colorizing: 0 gray, 1 as made, 2 double"),
                ("warmth", look.WARMTH_RANGE, "Cooler (left) or warmer (right) colours; lightness never changes")):
            slider, label, row = slider_row(self, name, round(lo * 100), round(hi * 100), tip)
            form.addRow(name.capitalize(), row)
            self.sliders[name], self.labels[name] = slider, label
            slider.valueChanged.connect(lambda v, n=name: self._moved(n, v))
        self.reset_button = QPushButton("Reset look", self)
        self.reset_button.clicked.connect(self._reset)
        form.addRow(self.reset_button)
        self.set_look(1.0, 0.0)

    def set_look(self, saturation: float, warmth: float) -> None:
        """Show the document's look without asking for it again."""
        for name, value in (("saturation", saturation), ("warmth", warmth)):
            slider = self.sliders[name]
            slider.blockSignals(True)
            slider.setValue(round(value * 100))
            slider.blockSignals(False)
            self._label(name, slider.value())

    def _label(self, name: str, v: int) -> None:
        self.labels[name].setText(f"{v / 100:.2f}" if name == "saturation" else f"{v / 100:+.2f}")

    def _moved(self, name: str, v: int) -> None:
        self._label(name, v)
        self.lookRequested.emit(name, v / 100.0)

    def _reset(self) -> None:
        self.sliders["saturation"].setValue(100)
        self.sliders["warmth"].setValue(0)
