"""The Restore dock: toned prints, keep tone, dust clean-up, denoise and local contrast, applied with one button."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QPushButton, QSlider, QWidget

from engine.restore.pipeline import RestoreOptions


def _slider(value: int = 0) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(0, 100)
    s.setValue(value)
    return s


class RestorePanel(QWidget):
    """Emits applyRequested(RestoreOptions) when Apply is pressed; sliders are 0..100 (= 0..1)."""

    applyRequested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        self.detect_tone = QCheckBox("Detect toned prints (sepia, cyanotype, selenium)")
        self.detect_tone.setToolTip("Take a toned print's tint out by its own white point before colorizing")
        self.detect_tone.setChecked(True)
        self.detone = QCheckBox("Remove toning (sepia, cyanotype)")
        self.keep_tone = _slider()
        self.keep_tone.setToolTip("Blend the print's original tone back into the colours")
        self.clean_dust = QCheckBox("Clean dust and scratches")
        self.dust_sensitivity = _slider(50)
        self.denoise = _slider()
        self.local_contrast = _slider()
        self.apply_button = QPushButton("Apply restoration")
        form.addRow(self.detect_tone)
        form.addRow(self.detone)
        form.addRow("Keep tone", self.keep_tone)
        form.addRow(self.clean_dust)
        form.addRow("Dust sensitivity", self.dust_sensitivity)
        form.addRow("Denoise", self.denoise)
        form.addRow("Local contrast", self.local_contrast)
        form.addRow(self.apply_button)
        self.clean_dust.toggled.connect(self.dust_sensitivity.setEnabled)
        self.dust_sensitivity.setEnabled(False)
        self.apply_button.clicked.connect(lambda: self.applyRequested.emit(self.options()))

    def options(self) -> RestoreOptions:
        return RestoreOptions(detone=self.detone.isChecked(), keep_tone=self.keep_tone.value() / 100.0,
                              clean_dust=self.clean_dust.isChecked(),
                              dust_sensitivity=self.dust_sensitivity.value() / 100.0,
                              denoise=self.denoise.value() / 100.0,
                              local_contrast=self.local_contrast.value() / 100.0,
                              detect_tone=self.detect_tone.isChecked())

    def set_options(self, opts: RestoreOptions) -> None:
        """Show the options in effect (a newly opened photo starts from the defaults)."""
        self.detect_tone.setChecked(opts.detect_tone)
        self.detone.setChecked(opts.detone)
        self.keep_tone.setValue(round(opts.keep_tone * 100))
        self.clean_dust.setChecked(opts.clean_dust)
        self.dust_sensitivity.setValue(round(opts.dust_sensitivity * 100))
        self.denoise.setValue(round(opts.denoise * 100))
        self.local_contrast.setValue(round(opts.local_contrast * 100))
