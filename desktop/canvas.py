"""The photo canvas (QGraphicsView): zoom, pan, before/after split, hint overlay and tool strokes.

Scene coordinates are full-image pixels, so 100 % zoom is one original pixel per screen pixel
even though the pixmaps shown are the smaller preview.
"""
from __future__ import annotations

import enum

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsPixmapItem, QGraphicsScene, QGraphicsView

from desktop.canvas_habits import SpacePan, SplitDivider

ZOOM_STEP = 1.25
ZOOM_RANGE = (0.02, 32.0)
STAMP_MAX_RADIUS = 48.0   # screen pixels: bigger hint dots are drawn directly (see HintOverlay.paint)


class Tool(enum.Enum):
    BRUSH = "brush"
    ERASER = "eraser"
    REGION_PAINT = "region-paint"
    REGION_LASSO = "region-lasso"
    PROTECT = "protect"          # paints a protect region: hints leave the area as it is
    EYEDROPPER = "eyedropper"
    PAN = "pan"


STROKE_TOOLS = (Tool.BRUSH, Tool.ERASER, Tool.REGION_PAINT, Tool.REGION_LASSO, Tool.PROTECT)
REGION_TOOLS = (Tool.REGION_PAINT, Tool.REGION_LASSO, Tool.PROTECT)  # each gesture makes one region (a mask)
WIDE_TOOLS = (Tool.ERASER, Tool.REGION_PAINT, Tool.PROTECT)           # drawn with the wide region brush


class ImageItem(QGraphicsItem):
    """Draws 'before' left of the split and 'after' right of it, stretched over the full-image rect."""

    def __init__(self) -> None:
        super().__init__()
        self.before: QPixmap | None = None
        self.after: QPixmap | None = None
        self.rect = QRectF()
        self.split = 0.0          # fraction of the width that shows 'before'
        self.show_before = False  # the B toggle: show the original everywhere

    def set_images(self, before: QPixmap | None, after: QPixmap | None, size: tuple[int, int]) -> None:
        self.prepareGeometryChange()
        self.before, self.after = before, after
        self.rect = QRectF(0, 0, size[0], size[1])
        self.update()

    def boundingRect(self) -> QRectF:
        return self.rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self.before is None:
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        after = None if self.show_before else self.after
        split = 1.0 if after is None else min(max(self.split, 0.0), 1.0)
        r = self.rect
        x = r.width() * split
        if split > 0:
            self._draw(painter, self.before, QRectF(0, 0, x, r.height()))
        if split < 1:
            self._draw(painter, after, QRectF(x, 0, r.width() - x, r.height()))
        if after is not None and 0 < split < 1:
            pen = QPen(QColor(255, 255, 255, 220), 2)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawLine(QPointF(x, 0), QPointF(x, r.height()))

    def _draw(self, painter: QPainter, pix: QPixmap, target: QRectF) -> None:
        sx = pix.width() / self.rect.width()
        sy = pix.height() / self.rect.height()
        source = QRectF(target.x() * sx, target.y() * sy, target.width() * sx, target.height() * sy)
        painter.drawPixmap(target, pix, source)


class HintOverlay(QGraphicsItem):
    """Hint dots: filled with the hint colour, ringed black and white so they show on any photo."""

    def __init__(self) -> None:
        super().__init__()
        self.hints: list = []
        self.rect = QRectF()
        self.unit = 1.0  # full-image pixels per working pixel (hint radii are in working pixels)
        self._stamps: dict[tuple, QPixmap] = {}
        # Drawn once per change of hints or zoom, then blitted: a few hundred antialiased dots cost ~15 ms a paint,
        # and every new preview repaints the view, so without the cache each stroke's answer waited for them.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_hints(self, hints, size: tuple[int, int]) -> None:
        self.prepareGeometryChange()
        self.hints = list(hints)
        self.rect = QRectF(0, 0, size[0], size[1])
        self.update()

    def boundingRect(self) -> QRectF:
        pad = 64 * self.unit + 64
        return self.rect.adjusted(-pad, -pad, pad, pad)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        # Each dot is a stamp drawn once per colour and screen size, then blitted in device pixels: stroking two
        # antialiased rings per hint cost ~0.13 ms a dot, 20 ms for a few strokes' worth, on the GUI thread while
        # the stroke's preview renders.
        scale = max(painter.worldTransform().m11(), 1e-6)
        # A dot covers the hint's patch, but never less than 4 screen pixels so it stays findable.
        min_r = 4.0 / scale
        dpr = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        to_device = painter.worldTransform()
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for h in self.hints:
            r = max((h.radius + 0.5) * self.unit, min_r) * scale
            c = to_device.map(QPointF(h.x, h.y))
            if r > STAMP_MAX_RADIUS:  # zoomed far in: few dots show, and a stamp that size would cost megabytes
                _draw_dot(painter, c, r, h.color)
                continue
            stamp = self._stamp(h.color, r, dpr)
            half = stamp.width() / (2 * dpr)
            painter.drawPixmap(QPointF(c.x() - half, c.y() - half), stamp)
        painter.restore()

    def _stamp(self, color: str, radius: float, dpr: float) -> QPixmap:
        """A dot of `radius` screen pixels (to a quarter pixel) filled with `color`, ringed black and white."""
        key = (color, round(radius * 4), dpr)
        stamp = self._stamps.get(key)
        if stamp is None:
            r = key[1] / 4
            side = int(2 * r + 6)
            stamp = QPixmap(max(1, round(side * dpr)), max(1, round(side * dpr)))
            stamp.setDevicePixelRatio(dpr)
            stamp.fill(Qt.GlobalColor.transparent)
            p = QPainter(stamp)
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            _draw_dot(p, QPointF(side / 2, side / 2), r, color)
            p.end()
            if len(self._stamps) >= 128:  # many colours or zoom levels: start again rather than grow
                self._stamps.clear()
            self._stamps[key] = stamp
        return stamp


def _draw_dot(painter: QPainter, centre: QPointF, r: float, color: str) -> None:
    """One hint dot of radius r in the painter's pixels: the hint colour ringed black, then white."""
    painter.setBrush(QColor(color))
    for pen in (QPen(QColor(0, 0, 0, 200), 3), QPen(QColor(255, 255, 255, 230), 1.2)):
        painter.setPen(pen)
        painter.drawEllipse(centre, r, r)


class HeatItem(QGraphicsItem):
    """The "Where am I unsure?" map, semi-transparent over the photo, and the suggested hint places ringed."""

    def __init__(self) -> None:
        super().__init__()
        self.heat: QPixmap | None = None
        self.places: list[tuple[float, float]] = []
        self.rect = QRectF()

    def set_heat(self, heat: QPixmap | None, places, size: tuple[int, int]) -> None:
        self.prepareGeometryChange()
        self.heat, self.places = heat, list(places)
        self.rect = QRectF(0, 0, size[0], size[1])
        self.update()

    def boundingRect(self) -> QRectF:
        return self.rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self.heat is None:
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawPixmap(self.rect, self.heat, QRectF(self.heat.rect()))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        r = 9.0 / max(painter.worldTransform().m11(), 1e-6)  # 9 screen pixels at any zoom
        for colour, width in ((QColor(0, 0, 0, 220), 4.0), (QColor(255, 255, 255, 240), 1.5)):
            pen = QPen(colour, width)
            pen.setCosmetic(True)
            painter.setPen(pen)
            for x, y in self.places:
                painter.drawEllipse(QPointF(x, y), r, r)


def dropped_files(mime) -> list[str]:
    """The local files a drag carries (none for text, web links or an empty drag)."""
    if mime is None or not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]


class Canvas(QGraphicsView):
    """Shows the photo and turns mouse gestures into tool signals; it decides nothing itself."""

    strokeFinished = Signal(object, list)       # Tool, [(x, y)] full-image pixels
    pointPicked = Signal(float, float)          # eyedropper click, full-image pixels
    zoomChanged = Signal(float)                 # scale: screen pixels per original pixel
    filesDropped = Signal(list)                 # local file paths dropped on the photo
    splitMoved = Signal(float)                  # the before/after divider dragged on the photo (0..1)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.image = ImageItem()
        self.heat = HeatItem()
        self.overlay = HintOverlay()
        self.scene().addItem(self.image)
        self.scene().addItem(self.heat)
        self.scene().addItem(self.overlay)
        self.outline = QGraphicsPixmapItem()   # the selected region's edge, stretched over the photo
        self.outline.setZValue(5)
        self.outline.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.outline)
        self.live = QGraphicsPathItem()
        self.live.setZValue(10)
        self.scene().addItem(self.live)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setBackgroundBrush(QColor(48, 48, 48))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.tool = Tool.BRUSH
        self.brush_radius = 12.0      # full-image pixels
        self.brush_color = QColor("#c04030")
        self._points: list[tuple[float, float]] = []
        self._stroking = False
        self._panning_from: QPointF | None = None
        self._space = False
        self._size = (0, 0)
        self.divider = SplitDivider(self)
        self.space_pan = SpacePan(self)

    # --- drops: files are the window's business, so they are handed on ------------------------
    def dragEnterEvent(self, event) -> None:
        if dropped_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if dropped_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        files = dropped_files(event.mimeData())
        if files:
            event.acceptProposedAction()
            self.filesDropped.emit(files)
        else:
            super().dropEvent(event)

    # --- content -------------------------------------------------------------------------------
    def set_photo(self, before: QPixmap, size: tuple[int, int]) -> None:
        self._size = size
        self.image.set_images(before, None, size)
        self.overlay.set_hints([], size)
        self.outline.setPixmap(QPixmap())
        self.heat.set_heat(None, [], size)
        self.scene().setSceneRect(QRectF(0, 0, size[0], size[1]))
        self.fit()

    def set_result(self, after: QPixmap | None) -> None:
        self.image.set_images(self.image.before, after, self._size)
        self.divider.sync()

    def set_hints(self, hints) -> None:
        self.overlay.set_hints(hints, self._size)

    def set_outline(self, outline: QPixmap | None) -> None:
        """The selected region's edge as an ARGB picture of any size (None: no region selected)."""
        if outline is None or self._size[0] == 0:
            self.outline.setPixmap(QPixmap())
            return
        self.outline.setPixmap(outline)
        self.outline.setScale(self._size[0] / max(1, outline.width()))

    def set_uncertainty(self, heat: QPixmap | None, places=()) -> None:
        """The uncertainty map (stretched over the photo) and suggested hint places, full-image pixels."""
        self.heat.set_heat(heat, places, self._size)

    def set_hints_visible(self, on: bool) -> None:
        self.overlay.setVisible(on)

    def set_split(self, fraction: float) -> None:
        self.image.split = fraction
        self.image.update()
        self.divider.sync()

    def set_show_before(self, on: bool) -> None:
        self.image.show_before = on
        self.image.update()
        self.divider.sync()

    # --- zoom ----------------------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        if self._size[0] > 0:
            self.fitInView(self.image, Qt.AspectRatioMode.KeepAspectRatio)
            self.zoomChanged.emit(self.zoom())

    def actual_size(self) -> None:
        self.set_zoom(1.0)

    def set_zoom(self, scale: float) -> None:
        scale = min(max(scale, ZOOM_RANGE[0]), ZOOM_RANGE[1])
        factor = scale / self.zoom()
        self.scale(factor, factor)
        self.zoomChanged.emit(self.zoom())

    def zoom_by(self, factor: float) -> None:
        self.set_zoom(self.zoom() * factor)

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(ZOOM_STEP ** steps)
        event.accept()

    # --- gestures ------------------------------------------------------------------------------
    def _pan_gesture(self, event) -> bool:
        return (event.button() == Qt.MouseButton.MiddleButton or self._space or self.tool is Tool.PAN)

    def mousePressEvent(self, event) -> None:
        if self._size[0] == 0:
            return super().mousePressEvent(event)
        if not self._space and self.divider.press(event):
            event.accept()
            return
        if self._pan_gesture(event):
            self._panning_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        p = self.mapToScene(event.position().toPoint())
        if self.tool is Tool.EYEDROPPER:
            self.pointPicked.emit(p.x(), p.y())
        elif self.tool in STROKE_TOOLS:
            self._stroking = True
            self._points = [(p.x(), p.y())]
            self._draw_live()
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        # Button state is tracked here, not read from the event: synthetic events may omit it.
        if self.divider.move(event):
            event.accept()
        elif self._panning_from is not None:
            d = event.position() - self._panning_from
            self._panning_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - round(d.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(d.y()))
            event.accept()
        elif self._stroking:
            p = self.mapToScene(event.position().toPoint())
            self._points.append((p.x(), p.y()))
            self._draw_live()
            event.accept()
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self.divider.release(event):
            event.accept()
        elif self._panning_from is not None:
            self._panning_from = None
            self.viewport().unsetCursor()
            event.accept()
        elif self._stroking:
            p = self.mapToScene(event.position().toPoint())
            if (p.x(), p.y()) != self._points[-1]:
                self._points.append((p.x(), p.y()))
            self._stroking = False
            points, self._points = self._points, []
            self.live.setPath(QPainterPath())
            self.strokeFinished.emit(self.tool, points)
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def set_space_held(self, on: bool) -> None:
        """Space held arms panning (desktop/canvas_habits.py catches the key whichever widget has focus)."""
        if on == self._space:
            return
        self._space = on
        if on:
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif self._panning_from is None:
            self.viewport().unsetCursor()

    def _draw_live(self) -> None:
        path = QPainterPath(QPointF(*self._points[0]))
        for x, y in self._points[1:]:
            path.lineTo(x, y)
        if self.tool is Tool.REGION_LASSO:
            pen = QPen(QColor(255, 255, 255), 1.5, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            path.closeSubpath()
        elif self.tool in (Tool.ERASER, Tool.PROTECT):
            pen = QPen(QColor(255, 255, 255, 110), 2 * self.brush_radius)
        else:
            c = QColor(self.brush_color)
            c.setAlpha(140)
            pen = QPen(c, 2 * self.brush_radius)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        self.live.setPen(pen)
        self.live.setPath(path)
