"""Canvas habits of photo editors: Space held pans whichever widget has focus, and the before/after divider is
dragged on the photo itself, with "Before" and "After" labels."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QComboBox, QGraphicsItem, QLineEdit, QPlainTextEdit,
                               QTextEdit, QWidget)

GRAB_PX = 8          # how near the divider (screen pixels) a press takes hold of it
SPLIT_LIMITS = (0.01, 0.99)  # dragged to an edge it stays grabbable; 0 turns the compare off (the toolbar slider)


def _types_text(widget: QWidget | None) -> bool:
    """A widget where Space is typed, not a pan."""
    while widget is not None:
        if isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)):
            return True
        if isinstance(widget, QComboBox) and widget.isEditable():
            return True
        widget = widget.parentWidget()
    return False


class SpacePan(QObject):
    """An application-wide event filter: Space held anywhere in the canvas's window arms panning on the canvas, and
    the key never reaches the focused widget (a focused button is not pressed by it). Text fields keep their
    spaces."""

    def __init__(self, canvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.WindowDeactivate and obj is self.canvas.window():
            self.canvas.set_space_held(False)   # released elsewhere: never stuck panning
            return False
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return False
        if not isinstance(obj, QWidget) or event.key() != Qt.Key.Key_Space or event.modifiers():
            return False
        if obj.window() is not self.canvas.window() or _types_text(obj):
            return False
        if not event.isAutoRepeat():
            self.canvas.set_space_held(kind == QEvent.Type.KeyPress)
        return True


class SplitLabels(QGraphicsItem):
    """"Before" left of the divider and "After" right of it, at the photo's top edge, in screen pixels."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setZValue(8)
        self.font = QFont()
        self.font.setBold(True)
        self._metrics = QFontMetricsF(self.font)

    def boundingRect(self) -> QRectF:
        w = self._metrics.horizontalAdvance("Before") + 24
        return QRectF(-w - 8, 0, 2 * w + 16, self._metrics.height() + 16)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setFont(self.font)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        h = self._metrics.height() + 6
        for text, right in (("Before", False), ("After", True)):
            w = self._metrics.horizontalAdvance(text) + 12
            box = QRectF(8 if right else -8 - w, 8, w, h)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 150))
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


class SplitDivider:
    """The compare line of the canvas's ImageItem, dragged by mouse when the compare (split) view is on."""

    def __init__(self, canvas) -> None:
        self.canvas = canvas
        self.labels = SplitLabels()
        canvas.scene().addItem(self.labels)
        self.dragging = False
        self._hover = False
        self.sync()

    @property
    def active(self) -> bool:
        image = self.canvas.image
        return (image.after is not None and not image.show_before and 0 < image.split < 1
                and image.rect.width() > 0)

    def sync(self) -> None:
        """Follow the image's split, pictures and the B toggle."""
        image = self.canvas.image
        self.labels.setVisible(self.active)
        if self.active:
            self.labels.setPos(QPointF(image.rect.width() * image.split, 0))

    def _line_x(self) -> float:
        image = self.canvas.image
        return self.canvas.mapFromScene(QPointF(image.rect.width() * image.split, 0)).x()

    def _near(self, event) -> bool:
        return self.active and abs(event.position().x() - self._line_x()) <= GRAB_PX

    def press(self, event) -> bool:
        """True when the press took hold of the divider."""
        if event.button() != Qt.MouseButton.LeftButton or not self._near(event):
            return False
        self.dragging = True
        self._follow(event)
        return True

    def move(self, event) -> bool:
        if self.dragging:
            self._follow(event)
            return True
        near = self._near(event) and not self.canvas._space and self.canvas._panning_from is None
        if near != self._hover:
            self._hover = near
            if near:
                self.canvas.viewport().setCursor(Qt.CursorShape.SplitHCursor)
            else:
                self.canvas.viewport().unsetCursor()
        return False

    def release(self, event) -> bool:
        if not self.dragging:
            return False
        self._follow(event)
        self.dragging = False
        return True

    def _follow(self, event) -> None:
        width = self.canvas.image.rect.width()
        x = self.canvas.mapToScene(event.position().toPoint()).x()
        fraction = min(max(x / width, SPLIT_LIMITS[0]), SPLIT_LIMITS[1])
        self.canvas.set_split(fraction)
        self.canvas.splitMoved.emit(fraction)
