"""Before/after: show the image an edit started from over its result, whole or split.

Each edit result remembers its source (by history id), so comparing works for any edit result
on the canvas, also one reopened from the history later. The source is drawn by a scene item just
above the image and below the mask: the result itself is never swapped out, so compare can never
leave the canvas showing the wrong image.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject

from app.document.base_image import Document
from app.document.model import DocumentModel

COMPARE_Z = 5.0  # above the image (z 0), below the mask layer (app/mask_layer.MASK_Z)


class CompareItem(QGraphicsObject):
    """The source over the left `split` share of the document (1.0 = all of it), a divider line
    and Before/After labels drawn at screen size."""

    def __init__(self, parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self.setZValue(COMPARE_Z)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._source = QImage()
        self._rect = QRectF()
        self._split = 1.0

    def set_source(self, image: QImage | None, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self._source = QImage() if image is None else image
        self._rect = QRectF(rect)
        self.update()

    def set_split(self, split: float) -> None:
        self._split = min(max(split, 0.0), 1.0)
        self.update()

    @property
    def split(self) -> float:
        return self._split

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self._source.isNull() or self._rect.isEmpty():
            return
        rect = self._rect
        cut = rect.left() + rect.width() * self._split
        painter.save()
        painter.setClipRect(QRectF(rect.left(), rect.top(), cut - rect.left(), rect.height()))
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, painter.worldTransform().m11() < 1)
        painter.drawImage(rect, self._source)  # a source of another size is stretched, like previews
        painter.restore()
        # Divider and labels in screen pixels, so they read the same at any zoom.
        top, bottom = painter.worldTransform().map(QPointF(cut, rect.top())), painter.worldTransform().map(
            QPointF(cut, rect.bottom()))
        painter.save()
        painter.resetTransform()
        if self._split < 1:
            painter.setPen(QPen(QColor(255, 255, 255, 220), 2))
            painter.drawLine(top, bottom)
        font = QFont(painter.font())
        font.setPointSizeF(9)
        font.setBold(True)
        painter.setFont(font)
        self._label(painter, "BEFORE", top + QPointF(-10, 10), Qt.AlignmentFlag.AlignRight)
        if self._split < 1:
            self._label(painter, "AFTER", top + QPointF(10, 10), Qt.AlignmentFlag.AlignLeft)
        painter.restore()

    @staticmethod
    def _label(painter: QPainter, text: str, at: QPointF, align: Qt.AlignmentFlag) -> None:
        width = painter.fontMetrics().horizontalAdvance(text) + 14
        x = at.x() - width if align == Qt.AlignmentFlag.AlignRight else at.x()
        box = QRectF(x, at.y(), width, painter.fontMetrics().height() + 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(20, 22, 26, 200))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QColor("#e6e8ec"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


class CompareController(QObject):
    """Which source belongs to the result on the canvas, and how much of it to show."""

    availabilityChanged = Signal(bool)  # whether the image on the canvas has a "before"
    showingChanged = Signal(bool)

    def __init__(self, scene, document: DocumentModel, parent: QObject | None = None):
        super().__init__(parent)
        self.item = CompareItem()
        self.item.hide()
        scene.addItem(self.item)
        self._document = document
        self._sources: dict[int, Document] = {}  # result history id -> the image it was made from
        self._held = False  # hold-to-compare button or the \ key
        self._split = 0.0  # the split slider: 0 = off
        self._suspended = False  # a generation owns the canvas
        self._available = False
        document.baseChanged.connect(self._update)
        document.sizeChanged.connect(self._update)

    def record(self, result_id: int, source: Document) -> None:
        self._sources[result_id] = source
        self._update()

    def source_for(self, base: Document | None) -> Document | None:
        if base is None or base.history_id is None:
            return None
        return self._sources.get(base.history_id)

    @property
    def available(self) -> bool:
        return self._available

    @property
    def showing(self) -> bool:
        return self.item.isVisible()

    def set_held(self, held: bool) -> None:
        self._held = held
        self._update()

    def set_split(self, split: float) -> None:
        self._split = split
        self._update()

    def set_suspended(self, suspended: bool) -> None:
        self._suspended = suspended
        self._update()

    def _update(self, *_args) -> None:
        source = self.source_for(self._document.base)
        available = source is not None
        if available != self._available:
            self._available = available
            self.availabilityChanged.emit(available)
        was = self.item.isVisible()
        show = available and not self._suspended and (self._held or self._split > 0)
        if show:
            self.item.set_source(source.qimage, QRectF(0, 0, *self._document.size))
            self.item.set_split(1.0 if self._held else self._split)
        self.item.setVisible(show)
        if show != was:
            self.showingChanged.emit(show)
