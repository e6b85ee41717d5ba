"""Preferences dialog: execution provider, default working size, theme, colorize on open."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QWidget

from desktop.settings import THEMES, Settings

SIZES = (0, 256, 384, 512, 768, 1024)  # 0 = the model card's default
# Why the default is small: the model learned whole scenes at about 190 px, and on the evaluation photos its
# colours get worse above that (PSNR 21.4 dB at 192, 20.9 at 256, 20.5 at 320), while the photo's own detail
# always comes from its full-resolution luminance.
SIZE_TIP = ("The size (long side, in pixels) the network sees the photo at. Detail always comes from your "
            "full-resolution photo; \"Model default\" gives the most believable colours. Larger sizes are "
            "slower and only help where small objects need their own colour.")


def provider_choices() -> list[str]:
    from engine.providers import available
    return ["auto"] + available()


class PreferencesDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.settings = settings
        self.provider = QComboBox(self)
        self.provider.addItems(provider_choices())
        current = settings.provider or "auto"
        if self.provider.findText(current) < 0:
            self.provider.addItem(current)
        self.provider.setCurrentText(current)
        self.provider.setToolTip("Takes effect the next time Tinta starts")
        self.size = QComboBox(self)
        for s in SIZES:
            self.size.addItem("Model default" if s == 0 else str(s), s)
        self.size.setCurrentIndex(max(0, self.size.findData(settings.default_size or 0)))
        self.size.setToolTip(SIZE_TIP)
        self.theme = QComboBox(self)
        self.theme.addItems(THEMES)
        self.theme.setCurrentText(settings.theme)
        self.auto = QCheckBox("Colorize as soon as a photo opens", self)
        self.auto.setChecked(settings.auto_colorize)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Execution provider", self.provider)
        form.addRow("Default working size", self.size)
        form.addRow("Theme", self.theme)
        form.addRow(self.auto)
        form.addRow(buttons)

    def store(self) -> None:
        s = self.settings
        p = self.provider.currentText()
        s.provider = None if p == "auto" else p
        s.default_size = self.size.currentData() or None
        s.theme = self.theme.currentText()
        s.auto_colorize = self.auto.isChecked()
        s.sync()
