"""The Help menu's windows: the keyboard shortcuts sheet and About Tinta (their content: desktop/help_content.py)."""
from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QTableWidget,
                               QTableWidgetItem, QTextBrowser, QVBoxLayout, QWidget)

from desktop.help_content import About


def _close_buttons(dialog: QDialog, layout: QVBoxLayout) -> None:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)


class ShortcutsDialog(QDialog):
    """A read-only table: menu, action, keys."""

    def __init__(self, rows: list[tuple[str, str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        _close_buttons(self, layout)
        self.resize(520, 560)

    def rows(self) -> list[tuple[str, ...]]:
        t = self.table
        return [tuple(t.item(r, c).text() for c in range(3)) for r in range(t.rowCount())]


class AboutDialog(QDialog):
    """Tinta's version and the colorization model's card: data, licences, measured numbers."""

    def __init__(self, facts: About, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Tinta")
        self.text = QTextBrowser(self)
        self.text.setOpenExternalLinks(False)  # offline: nothing here leads out
        self.text.setHtml(self.html(facts))
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        _close_buttons(self, layout)
        self.resize(620, 560)

    @staticmethod
    def html(facts: About) -> str:
        def section(title: str, lines: list[str]) -> str:
            if not lines:
                return ""
            items = "".join(f"<li>{escape(line)}</li>" for line in lines)
            return f"<h3>{escape(title)}</h3><ul>{items}</ul>"

        return (f"<h2>Tinta {escape(facts.version)}</h2>"
                "<p>Restores and colorizes old black-and-white photographs, offline: nothing leaves this machine.</p>"
                f"<h3>Colorization model</h3><p>{escape(facts.model)}</p>"
                + section("Trained on", facts.data) + section("Licences", facts.licences)
                + section("Measured", facts.measured))
