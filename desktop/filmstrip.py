"""Filmstrip (view): the open photo's folder as a row of thumbnails; a click opens one, Ctrl/Shift-click selects
several for "Copy settings" and "Apply this photo's colours"."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QListView, QListWidget, QListWidgetItem, QPushButton,
                               QVBoxLayout, QWidget)

from desktop.album import THUMB_SIDE
from desktop.qimage import array_to_qimage

PATH_ROLE = Qt.ItemDataRole.UserRole
CURRENT_BRUSH = QBrush(QColor(70, 120, 200, 150))


class StripList(QListWidget):
    """A plain left click (no Ctrl or Shift) on a photo asks to open it; with a modifier it only selects."""

    openRequested = Signal(object)   # Path

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._pressed = None   # the item under the press: a drag that ends on another one opens nothing

    def mousePressEvent(self, event) -> None:
        self._pressed = self.itemAt(event.position().toPoint())
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        item = self.itemAt(event.position().toPoint())
        if item is not self._pressed:
            return
        mods = event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
                                    | Qt.KeyboardModifier.MetaModifier)
        if item is not None and event.button() == Qt.MouseButton.LeftButton and not mods:
            self.openRequested.emit(Path(item.data(PATH_ROLE)))


class Filmstrip(QWidget):
    """Thumbnails in folder order, the open photo highlighted; the album tools act on the selection."""

    openRequested = Signal(object)            # Path
    copySettingsRequested = Signal(list)      # [Path] selected
    carryRequested = Signal(list)             # [Path] selected

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = StripList(self)
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setFlow(QListView.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setIconSize(QSize(THUMB_SIDE, THUMB_SIDE))
        self.list.setGridSize(QSize(THUMB_SIDE + 16, THUMB_SIDE + 28))
        self.list.setFixedHeight(THUMB_SIDE + 56)  # one row and the scroll bar; the photo keeps the rest
        self.list.openRequested.connect(self.openRequested)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.copy = QPushButton("Copy settings", self)
        self.copy.setToolTip("Copy this photo's look, vividness, size and restoration into the selected photos' "
                             "sessions (their hints and regions stay theirs)")
        self.copy.clicked.connect(lambda: self.copySettingsRequested.emit(self.selected()))
        self.carry = QPushButton("Apply colours", self)
        self.carry.clicked.connect(lambda: self.carryRequested.emit(self.selected()))
        self.carry_ok, self.carry_why = False, "Waiting for the colorization model…"
        buttons = QVBoxLayout()
        buttons.addWidget(self.copy)
        buttons.addWidget(self.carry)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.items: dict[Path, QListWidgetItem] = {}
        self.current: Path | None = None
        self._update_buttons()

    def set_folder(self, photos: list[Path], current: Path) -> None:
        """The folder's photos; their thumbnails follow (set_thumbnail)."""
        old = {p: item.icon() for p, item in self.items.items()}
        self.list.clear()
        self.items = {}
        for p in photos:
            item = QListWidgetItem(p.name)
            item.setData(PATH_ROLE, str(p))
            item.setToolTip(str(p))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            if p in old:
                item.setIcon(old[p])
            self.list.addItem(item)
            self.items[p] = item
        self.set_current(current)

    def set_current(self, photo: Path) -> None:
        self.current = photo
        bold = QFont(self.list.font())
        bold.setBold(True)
        for p, item in self.items.items():
            mine = p == photo
            item.setBackground(CURRENT_BRUSH if mine else QBrush())
            item.setFont(bold if mine else self.list.font())
        item = self.items.get(photo)
        if item is not None:
            self.list.setCurrentItem(item)  # selects it alone, as a plain click would
            self.list.scrollToItem(item)

    def set_thumbnail(self, photo: Path, rgb: np.ndarray) -> None:
        item = self.items.get(photo)
        if item is not None:
            item.setIcon(QIcon(QPixmap.fromImage(array_to_qimage(rgb))))

    def selected(self) -> list[Path]:
        """Selected photos other than the open one, in strip order."""
        rows = sorted(self.list.row(i) for i in self.list.selectedItems())
        return [p for p in (Path(self.list.item(r).data(PATH_ROLE)) for r in rows) if p != self.current]

    def set_carry_available(self, ok: bool, why: str) -> None:
        self.carry_ok, self.carry_why = ok, why
        self._update_buttons()

    def _update_buttons(self) -> None:
        some = bool(self.selected())
        self.copy.setEnabled(some)
        self.carry.setEnabled(some and self.carry_ok)
        if not self.carry_ok:
            self.carry.setToolTip(self.carry_why)
        else:
            self.carry.setToolTip("Carry this photo's hints onto the same people and places in the selected photos "
                                  "(added to their sessions, before their own hints)")
