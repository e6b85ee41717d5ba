"""The "Colour from reference photo" dialog: which colour photo, and how many points it may give."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QWidget)

from desktop.slider_row import slider_row


class ReferenceDialog(QDialog):
    """path(): the chosen photo; strength(): 0..1 from the slider (engine/reference.py's count)."""

    def __init__(self, start_dir: str = "", file_filter: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filter = file_filter
        self.setWindowTitle("Colour from reference photo")
        self.setAcceptDrops(True)
        self._start_dir = start_dir
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("A colour photo of the same place, people or era (or drop one here)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        self.slider, self.value_label, srow = slider_row(self, "strength", 0, 100,
                                                         "How many confident matches may become hints")
        self.slider.setValue(50)
        self.slider.valueChanged.connect(self._on_strength)
        self._on_strength(self.slider.value())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.path_edit.textChanged.connect(self._on_path)
        self._on_path(self.path_edit.text())
        form = QFormLayout(self)
        form.addRow("Reference photo", row)
        form.addRow("Strength", srow)
        form.addRow(QLabel("Only confident matches become hints; you can move, recolour or delete them after."))
        form.addRow(self.buttons)

    def path(self) -> str:
        return self.path_edit.text().strip()

    def strength(self) -> float:
        return self.slider.value() / 100.0

    def _on_strength(self, value: int) -> None:
        self.value_label.setText(f"{value} %")

    def _on_path(self, text: str) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(Path(text.strip()).is_file())

    def _on_browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Reference photo", self._start_dir, self._filter)
        if path:
            self.path_edit.setText(path)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            self.path_edit.setText(files[0])
            event.acceptProposedAction()
