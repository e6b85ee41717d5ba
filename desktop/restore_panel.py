"""The Restore dock: toned prints, keep tone, dust clean-up, denoise and local contrast, each change shown live."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QPushButton, QSlider, QWidget

from desktop.slider_row import slider_row
from engine.restore.pipeline import RestoreOptions

LEVELS = {"keep_tone": ("Keep tone", "Blend the print's original tone back into the colours"),
          "dust_sensitivity": ("Dust sensitivity", "Higher finds fainter specks and scratches (and risks detail)"),
          "denoise": ("Denoise", "Smooth film grain and scanner noise in the luminance"),
          "local_contrast": ("Local contrast", "Bring back contrast in faded, flat areas")}



class RestorePanel(QWidget):
    """Emits restoreRequested(RestoreOptions, what) at every change, `what` naming the option moved ("reset" for
    the button); sliders are 0..100 (= 0..1) with their value shown beside them."""

    restoreRequested = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        self.detect_tone = QCheckBox("Detect toned prints (sepia, cyanotype, selenium)")
        self.detect_tone.setToolTip("Take a toned print's tint out by its own white point before colorizing")
        self.detone = QCheckBox("Remove toning (sepia, cyanotype)")
        self.clean_dust = QCheckBox("Clean dust and scratches")
        self.checks = {"detect_tone": self.detect_tone, "detone": self.detone, "clean_dust": self.clean_dust}
        self.sliders: dict[str, QSlider] = {}
        self.labels: dict[str, QLabel] = {}
        for name, (title, tip) in LEVELS.items():
            slider, label, row = slider_row(self, name, 0, 100, tip)
            self.sliders[name], self.labels[name] = slider, label
            setattr(self, name, slider)
            if name == "keep_tone":
                form.addRow(self.detect_tone)
                form.addRow(self.detone)
            elif name == "dust_sensitivity":
                form.addRow(self.clean_dust)
            form.addRow(title, row)
            slider.valueChanged.connect(lambda v, n=name: self._changed(n))
        for name, box in self.checks.items():
            box.toggled.connect(lambda on, n=name: self._changed(n))
        self.reset_button = QPushButton("Reset restoration", self)
        self.reset_button.setToolTip("Back to the default: only a toned print's tint is taken out")
        self.reset_button.clicked.connect(lambda: self.restoreRequested.emit(RestoreOptions(), "reset"))
        form.addRow(self.reset_button)
        self.set_options(RestoreOptions())

    def options(self) -> RestoreOptions:
        levels = {name: s.value() / 100.0 for name, s in self.sliders.items()}
        return replace(RestoreOptions(), **{n: b.isChecked() for n, b in self.checks.items()}, **levels)

    def set_options(self, opts: RestoreOptions) -> None:
        """Show the document's restoration without asking for it again."""
        for name, box in self.checks.items():
            box.blockSignals(True)
            box.setChecked(getattr(opts, name))
            box.blockSignals(False)
        for name, slider in self.sliders.items():
            slider.blockSignals(True)
            slider.setValue(round(getattr(opts, name) * 100))
            slider.blockSignals(False)
        self._refresh()

    def _refresh(self) -> None:
        for name, slider in self.sliders.items():
            self.labels[name].setText(f"{slider.value() / 100:.2f}")
        self.dust_sensitivity.setEnabled(self.clean_dust.isChecked())

    def _changed(self, name: str) -> None:
        self._refresh()
        self.restoreRequested.emit(self.options(), name)
