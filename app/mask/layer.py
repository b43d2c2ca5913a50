"""The mask drawn over the canvas: a tinted, see-through layer at document size.

The tint is cached in an ARGB image and only the region a stroke touched is rebuilt (two native
QPainter fills, no per-pixel Python), so painting costs the same on a 64² and a 2048² document.
Opacity is the item's own opacity, so changing it never touches the pixels.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject

from app.document.model import DocumentModel
from app.mask.ops import mask_array

# Scene stacking: the image is at z 0, the before/after view (app/mask/compare.py) just above it, the
# mask above both; text boxes and tool outlines belong above MASK_Z.
MASK_Z = 10.0
DEFAULT_TINT = QColor(255, 40, 96)  # a rubylith red-magenta: visible on photos and on flat posters
DEFAULT_OPACITY = 0.6


class MaskLayer(QGraphicsObject):
    def __init__(self, document: DocumentModel, parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self.setZValue(MASK_Z)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # purely visual
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)  # gives exposedRect
        self.setOpacity(DEFAULT_OPACITY)
        self._tint = QColor(DEFAULT_TINT)
        self._document = document
        self._overlay = QImage()
        self._empty = True  # nothing to draw: skip the overlay in every repaint (most of the time)
        document.maskChanged.connect(self._mask_changed)
        document.sizeChanged.connect(self._rebuild)
        self._rebuild()

    # -- binding --

    @property
    def document(self) -> DocumentModel:
        return self._document

    # -- look --

    @property
    def tint(self) -> QColor:
        return QColor(self._tint)

    def set_tint(self, color: QColor) -> None:
        self._tint = QColor(color.red(), color.green(), color.blue())  # alpha comes from the mask
        self._rebuild()

    # -- pixels --

    def _rebuild(self, *_size) -> None:
        """A new overlay for the whole mask (size or tint changed: rare, never during a stroke)."""
        mask = self._document.mask
        self.prepareGeometryChange()
        self._overlay = QImage(mask.width(), mask.height(), QImage.Format.Format_ARGB32_Premultiplied)
        self._mask_changed(mask.rect())

    def _mask_changed(self, rect: QRect) -> None:
        # A command (stroke, op, undo, resize) changed the mask: worth one exact emptiness check.
        self.refresh(rect)
        self._empty = not mask_array(self._document.mask, writable=False).any()

    def refresh(self, rect: QRect) -> None:
        """Re-tint `rect` from the mask and repaint just that part of the scene."""
        rect = QRect(rect).intersected(self._overlay.rect())
        if rect.isEmpty():
            return
        self._empty = False  # a live stroke: assume paint until the next command says otherwise
        # The mask's bytes read as alpha: Grayscale8 and Alpha8 share one layout, so the rect is
        # reinterpreted, not converted.
        alpha = self._document.mask.copy(rect)
        alpha.reinterpretAsFormat(QImage.Format.Format_Alpha8)
        painter = QPainter(self._overlay)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        painter.fillRect(rect, self._tint)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationIn)
        painter.drawImage(rect.topLeft(), alpha)
        painter.end()
        self.update(QRectF(rect))

    def overlay(self) -> QImage:
        """The tinted overlay as drawn (before opacity): for tests and screenshots."""
        return self._overlay

    # -- QGraphicsItem --

    def boundingRect(self) -> QRectF:
        return QRectF(self._overlay.rect())

    def paint(self, painter: QPainter, option, widget=None) -> None:
        exposed = option.exposedRect.toAlignedRect().intersected(self._overlay.rect())
        if exposed.isEmpty() or self._empty:
            return
        # Zoomed out, smooth sampling keeps soft edges soft; zoomed in, show real mask pixels.
        zoomed_out = painter.worldTransform().m11() < 1
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, zoomed_out)
        painter.drawImage(QRectF(exposed), self._overlay, QRectF(exposed))
