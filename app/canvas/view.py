"""The canvas: one document at its real pixel size (1 scene unit = 1 image pixel).

Previews of any resolution (the AR token mosaic, the DiT's latent previews) are stretched over
the document, so the picture fills in at the size it will have; the final image replaces them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPixmap, QTransform
from PySide6.QtWidgets import QFrame, QGraphicsPixmapItem, QGraphicsScene, QGraphicsView

from glm_core.generation.events import Phase

MIN_ZOOM, MAX_ZOOM = 1 / 32, 32.0
DROPPABLE_SUFFIXES = (".glmstudio", ".png", ".jpg", ".jpeg", ".webp")  # projects and images
ZOOM_STEP = 1.25
FIT_MARGIN = 24  # px of backdrop left around a fitted document

_BACKDROP_DARK, _BACKDROP_LIGHT = QColor("#1b1d21"), QColor("#222429")
_PAPER = QColor("#2c2f35")
_HINT = QColor("#8a8f98")


def _checkerboard(cell: int = 12) -> QBrush:
    tile = QPixmap(cell * 2, cell * 2)
    tile.fill(_BACKDROP_DARK)
    painter = QPainter(tile)
    painter.fillRect(0, 0, cell, cell, _BACKDROP_LIGHT)
    painter.fillRect(cell, cell, cell, cell, _BACKDROP_LIGHT)
    painter.end()
    return QBrush(tile)


class CanvasTool:
    """What the left mouse button does on the canvas (select, draw a text box, paint the mask…).

    The view always keeps pan (space-drag, middle mouse) and zoom; everything else goes to the
    active tool first, in scene coordinates (document pixels). A handler returns True when it
    used the event; otherwise the view (and its items) get it as usual.
    """

    cursor = Qt.CursorShape.ArrowCursor

    def activate(self, view: CanvasView) -> None:
        pass

    def deactivate(self, view: CanvasView) -> None:
        pass

    def press(self, view: CanvasView, pos: QPointF, event) -> bool:
        return False

    def move(self, view: CanvasView, pos: QPointF, event) -> bool:
        return False

    def release(self, view: CanvasView, pos: QPointF, event) -> bool:
        return False

    def key(self, view: CanvasView, event) -> bool:
        return False


class CanvasView(QGraphicsView):
    zoomChanged = Signal(float)
    imageDropped = Signal(Path)  # a project or an image file dropped on the canvas

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("canvas")
        self.setScene(QGraphicsScene(self))
        self._item = QGraphicsPixmapItem()
        self.scene().addItem(self._item)
        self._doc = QRectF(0, 0, 1024, 1024)
        self._has_image = False
        self._final = False  # final pixels: crisp when zoomed in; previews keep their own look
        self._fit = True  # refit on resize until the user zooms by hand
        self._space_held = False
        self._pan_from: QPoint | None = None
        self._backdrop = _checkerboard()
        self._hint = ""
        self._has_boxes = False  # text boxes on the page cover the start hint
        self._caption = ""  # a line over the top of the canvas (what is shown, how to go back)
        self._tool = CanvasTool()

        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._update_scene_rect()

    # -- document --

    @property
    def document_size(self) -> tuple[int, int]:
        return int(self._doc.width()), int(self._doc.height())

    @property
    def has_image(self) -> bool:
        return self._has_image

    def new_document(self, width: int, height: int) -> None:
        """An empty document of this size; the view refits if the size changed."""
        resized = (width, height) != self.document_size
        self._doc = QRectF(0, 0, width, height)
        self._item.setPixmap(QPixmap())
        self._has_image = self._final = False
        self._update_scene_rect()
        if resized or self._fit:
            self.fit_to_window()
        self.viewport().update()

    def show_preview(self, image: QImage, phase: Phase) -> None:
        # The token mosaic stays blocky (each cell is one token); latent previews look better smooth.
        fast, smooth = Qt.TransformationMode.FastTransformation, Qt.TransformationMode.SmoothTransformation
        self._set_image(image, fast if phase is Phase.PRIOR else smooth, final=False)

    def show_image(self, image: QImage) -> None:
        if (image.width(), image.height()) != self.document_size:
            self.new_document(image.width(), image.height())
        self._set_image(image, self._final_mode(), final=True)

    def _set_image(self, image: QImage, mode: Qt.TransformationMode, final: bool) -> None:
        self._item.setPixmap(QPixmap.fromImage(image))
        self._item.setTransformationMode(mode)
        sx = self._doc.width() / max(image.width(), 1)
        sy = self._doc.height() / max(image.height(), 1)
        self._item.setTransform(QTransform.fromScale(sx, sy))
        self._has_image, self._final = True, final
        self.viewport().update()

    def _final_mode(self) -> Qt.TransformationMode:
        # Zoomed in, a designer wants to see real pixels, not a blur.
        return Qt.TransformationMode.FastTransformation if self.zoom > 1 else Qt.TransformationMode.SmoothTransformation

    def set_hint(self, text: str) -> None:
        """What an empty document says (e.g. how to start)."""
        if text != self._hint:
            self._hint = text
            self.viewport().update()

    def set_has_boxes(self, has: bool) -> None:
        """Text boxes on the page: the start hint would sit behind them, so it hides."""
        if has != self._has_boxes:
            self._has_boxes = has
            self.viewport().update()

    def set_caption(self, text: str) -> None:
        """A line across the top of the canvas ("" for none), e.g. while a history preview shows."""
        if text != self._caption:
            self._caption = text
            self.viewport().update()

    def shown_image(self) -> QImage | None:
        """What the canvas shows under the boxes and the mask (None: the blank page)."""
        return self._item.pixmap().toImage() if self._has_image else None

    @property
    def caption(self) -> str:
        return self._caption

    @property
    def hint_shown(self) -> bool:
        return bool(self._hint) and not self._has_image and not self._has_boxes

    # -- tools --

    @property
    def tool(self) -> CanvasTool:
        return self._tool

    def set_tool(self, tool: CanvasTool | None) -> None:
        self._tool.deactivate(self)
        self._tool = tool or CanvasTool()
        self._tool.activate(self)
        self.viewport().setCursor(self._tool.cursor)

    def _scene_pos(self, event) -> QPointF:
        return self.mapToScene(event.position().toPoint())

    # -- zoom --

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the scene point under `anchor` (viewport coords; default: centre) still."""
        zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        if anchor is None:
            anchor = QPointF(self.viewport().rect().center())
        fixed = self.mapToScene(anchor.toPoint())
        self.setTransform(QTransform.fromScale(zoom, zoom))
        self._update_scene_rect()
        moved = self.mapFromScene(fixed) - anchor.toPoint()
        self._scroll_by(moved.x(), moved.y())
        if self._final:
            self._item.setTransformationMode(self._final_mode())
        self.zoomChanged.emit(zoom)

    def zoom_in(self) -> None:
        self._fit = False
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self._fit = False
        self.set_zoom(self.zoom / ZOOM_STEP)

    def actual_size(self) -> None:
        self._fit = False
        self.set_zoom(1.0)
        self.centerOn(self._doc.center())

    def fit_to_window(self) -> None:
        self._fit = True
        view = self.viewport().rect().adjusted(FIT_MARGIN, FIT_MARGIN, -FIT_MARGIN, -FIT_MARGIN)
        if view.width() <= 0 or view.height() <= 0:
            return
        self.set_zoom(min(view.width() / self._doc.width(), view.height() / self._doc.height()))
        self.centerOn(self._doc.center())

    def _update_scene_rect(self) -> None:
        # Room around the document, so it can be panned anywhere in the window but never lost.
        margin_x = self.viewport().width() / self.zoom
        margin_y = self.viewport().height() / self.zoom
        self.setSceneRect(self._doc.adjusted(-margin_x, -margin_y, margin_x, margin_y))

    def _scroll_by(self, dx: float, dy: float) -> None:
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + round(dx))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + round(dy))

    # -- input: wheel zoom, space-drag and middle-drag pan, drops --

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self._fit = False
            self.set_zoom(self.zoom * ZOOM_STEP**steps, event.position())
        event.accept()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._update_scene_rect()
        if self._fit:
            self.fit_to_window()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if self._tool.key(self, event):
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            if self._pan_from is None:
                self.viewport().setCursor(self._tool.cursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event) -> None:
        middle = event.button() == Qt.MouseButton.MiddleButton
        if middle or (event.button() == Qt.MouseButton.LeftButton and self._space_held):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if self._tool.press(self, self._scene_pos(event), event):
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            pos = event.position().toPoint()
            delta = pos - self._pan_from
            self._pan_from = pos
            self._fit = False
            self._scroll_by(-delta.x(), -delta.y())
            event.accept()
            return
        if self._tool.move(self, self._scene_pos(event), event):
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            if self._space_held:
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self.viewport().setCursor(self._tool.cursor)
            event.accept()
            return
        if self._tool.release(self, self._scene_pos(event), event):
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def dragEnterEvent(self, event) -> None:
        if _dropped_file(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        path = _dropped_file(event)
        if path is not None:
            event.acceptProposedAction()
            self.imageDropped.emit(path)

    # -- painting --

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        # The checkerboard is drawn in screen space so it stays put while zooming.
        painter.save()
        painter.resetTransform()
        painter.fillRect(self.viewport().rect(), self._backdrop)
        painter.restore()
        shadow = self._doc.translated(4 / self.zoom, 6 / self.zoom)
        painter.fillRect(shadow, QColor(0, 0, 0, 90))
        painter.fillRect(self._doc, _PAPER)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if not self.hint_shown and not self._caption:
            return
        painter.save()
        painter.resetTransform()
        if self.hint_shown:
            box = self.mapFromScene(self._doc).boundingRect()
            painter.setPen(_HINT)
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(box.adjusted(12, 12, -12, -12), flags, self._hint)
        if self._caption:
            metrics = painter.fontMetrics()
            width = min(metrics.horizontalAdvance(self._caption) + 24, self.viewport().width() - 16)
            band = QRectF((self.viewport().width() - width) / 2, 10, width, metrics.height() + 12)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(20, 22, 26, 225))
            painter.drawRoundedRect(band, 6, 6)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(band, Qt.AlignmentFlag.AlignCenter,
                             metrics.elidedText(self._caption, Qt.TextElideMode.ElideRight, int(width) - 16))
        painter.restore()


def _dropped_file(event) -> Path | None:
    urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
    local = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
    return local[0] if len(local) == 1 and local[0].suffix.lower() in DROPPABLE_SUFFIXES else None
