"""Canvas tools that paint the edit mask: brush (B), eraser (E), rectangle (M) and lasso (L).

Every tool paints live into DocumentModel.mask (only the touched region, see app/mask/ops.py),
refreshes that region of the MaskLayer, and on release pushes ONE EditMask command with the
exact before/after pixels of everything the gesture touched, so undo restores the mask byte for
byte. Alt or the right mouse button reverses a tool (brush erases, fills subtract).
"""

from __future__ import annotations

import math
from typing import Callable

from PySide6.QtCore import QObject, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsPathItem, QGraphicsRectItem

from app.canvas.view import CanvasTool, CanvasView
from app.document.commands import EditMask
from app.document.model import DocumentModel
from app.mask.layer import MASK_Z, MaskLayer
from app.mask.ops import ADD, SUBTRACT, fill_polygon, fill_rect, stroke_segment

MIN_SIZE, MAX_SIZE = 1, 1000  # brush diameter in document pixels
DEFAULT_SIZE, DEFAULT_HARDNESS = 64, 0.7
_OUTLINE_Z = MASK_Z + 1000  # tool outlines float above everything on the canvas


class BrushSettings(QObject):
    """Diameter and hardness, shared by brush and eraser and shown in the mask panel."""

    changed = Signal()

    def __init__(self, size: int = DEFAULT_SIZE, hardness: float = DEFAULT_HARDNESS, parent=None):
        super().__init__(parent)
        self.size, self.hardness = size, hardness

    def set_size(self, size: float) -> None:
        size = int(min(max(round(size), MIN_SIZE), MAX_SIZE))
        if size != self.size:
            self.size = size
            self.changed.emit()

    def set_hardness(self, hardness: float) -> None:
        hardness = min(max(float(hardness), 0.0), 1.0)
        if hardness != self.hardness:
            self.hardness = hardness
            self.changed.emit()

    def bigger(self) -> None:
        # ~20% per press, at least 1 px: the same number of presses feels alike at 4 px and 400 px.
        self.set_size(max(self.size + 1, self.size * 1.2))

    def smaller(self) -> None:
        self.set_size(min(self.size - 1, self.size / 1.2))


class _BrushOutline(QGraphicsEllipseItem):
    """The brush's size at the mouse: a white ring on a dark one, readable on any picture."""

    def paint(self, painter, option, widget=None) -> None:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(_outline_pen("#000000", 3))
        painter.drawEllipse(self.rect())
        painter.setPen(_outline_pen("#ffffff", 1))
        painter.drawEllipse(self.rect())


def _outline_pen(color: str, width: float = 1.0, dashed: bool = False) -> QPen:
    pen = QPen(QColor(color), width)
    pen.setCosmetic(True)  # the same thickness on screen at any zoom
    if dashed:
        pen.setDashPattern([4, 4])
    return pen


def _reversed(event) -> bool:
    return bool(event.modifiers() & Qt.KeyboardModifier.AltModifier) or event.button() == Qt.MouseButton.RightButton


def _painting_button(event) -> bool:
    return event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton)


class MaskTool(CanvasTool):
    """Shared plumbing: the document, the layer, one gesture = one undo step."""

    name = ""  # "brush", "eraser", "rectangle", "lasso"
    title = ""
    shortcut = ""
    texts = ("", "")  # the undo step's name when the gesture adds / subtracts
    cursor = Qt.CursorShape.CrossCursor
    _preview = None  # a dashed outline item shown while dragging (rectangle, lasso)

    def __init__(self, document: Callable[[], DocumentModel], layer: MaskLayer, settings: BrushSettings,
                 on_deactivate: Callable[[MaskTool], None] | None = None):
        self._document, self.layer, self.settings = document, layer, settings
        self.enabled = True  # off while a generation owns the canvas
        self._on_deactivate = on_deactivate
        self._before: QImage | None = None  # the mask when the gesture began
        self._dirty = QRect()
        self._value = ADD

    @property
    def document(self) -> DocumentModel:
        return self._document()

    @property
    def active_gesture(self) -> bool:
        return self._before is not None

    def deactivate(self, view: CanvasView) -> None:
        self.finish()
        if self._on_deactivate is not None:
            self._on_deactivate(self)

    def _begin(self, value: int) -> None:
        # One full copy per gesture (~1 ms at 2048²) rather than per mouse move: the undo entry
        # then holds only the dirty rect, cut from it at the end.
        self._before = self.document.mask.copy()
        self._dirty, self._value = QRect(), value

    def _painted(self, rect: QRect | None) -> None:
        if rect is not None:
            self._dirty = self._dirty.united(rect)
            self.layer.refresh(rect)

    def _show_preview(self, view: CanvasView) -> None:
        self._preview.setZValue(_OUTLINE_Z)
        self._preview.setPen(_outline_pen("#ffffff", dashed=True))
        view.scene().addItem(self._preview)

    def finish(self) -> None:
        """End the gesture: one EditMask with the before/after pixels of all it touched."""
        if self._preview is not None and self._preview.scene() is not None:
            self._preview.scene().removeItem(self._preview)
        before, dirty, self._before = self._before, self._dirty, None
        if before is None or dirty.isEmpty():
            return
        doc = self.document
        if before.size() != doc.mask.size():  # the page changed size under the gesture: nothing to undo
            return
        old, new = before.copy(dirty), doc.mask.copy(dirty)
        if old != new:
            doc.undo_stack.push(EditMask(doc, dirty, old, new, self.texts[self._value != ADD]))


class BrushTool(MaskTool):
    name, title, shortcut = "brush", "Brush", "B"
    texts = ("Brush stroke", "Erase")
    paints = ADD

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._last: QPointF | None = None
        self._outline = _BrushOutline()
        self._outline.setZValue(_OUTLINE_Z)
        self._outline.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._tracking = False
        self.settings.changed.connect(self._resize_outline)

    def activate(self, view: CanvasView) -> None:
        # The size outline follows the mouse, so the view must report moves without a button.
        self._tracking = view.viewport().hasMouseTracking()
        view.viewport().setMouseTracking(True)
        view.scene().addItem(self._outline)
        self._outline.hide()
        self._resize_outline()

    def deactivate(self, view: CanvasView) -> None:
        super().deactivate(view)
        view.viewport().setMouseTracking(self._tracking)
        if self._outline.scene() is not None:
            self._outline.scene().removeItem(self._outline)

    def _resize_outline(self) -> None:
        r = self.settings.size / 2
        self._outline.setRect(QRectF(-r, -r, 2 * r, 2 * r))

    def press(self, view, pos, event) -> bool:
        if not self.enabled or not _painting_button(event):
            return False
        self._begin(SUBTRACT if (self.paints == ADD) == _reversed(event) else ADD)
        self._last = pos
        self._stroke(pos, pos)
        return True

    def move(self, view, pos, event) -> bool:
        self._outline.setPos(pos)
        self._outline.setVisible(self.enabled)
        if not self.active_gesture:
            return False
        # Mouse samples can be far apart (a fast hand, a zoomed-out view): each pair is joined by
        # an exact capsule, so the stroke is continuous at any zoom.
        self._stroke(self._last, pos)
        self._last = pos
        return True

    def release(self, view, pos, event) -> bool:
        if not self.active_gesture:
            return False
        self._stroke(self._last, pos)
        self.finish()
        return True

    def key(self, view, event) -> bool:
        if event.key() == Qt.Key.Key_BracketLeft:
            self.settings.smaller()
        elif event.key() == Qt.Key.Key_BracketRight:
            self.settings.bigger()
        else:
            return False
        return True

    def _stroke(self, a: QPointF, b: QPointF) -> None:
        s = self.settings
        self._painted(stroke_segment(self.document.mask, a, b, s.size, s.hardness, self._value))


class EraserTool(BrushTool):
    name, title, shortcut = "eraser", "Eraser", "E"
    paints = SUBTRACT


class RectangleTool(MaskTool):
    """Drag a rectangle: filled on release. Shift makes it square."""

    name, title, shortcut = "rectangle", "Rectangle", "M"
    texts = ("Fill rectangle", "Clear rectangle")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._start: QPointF | None = None
        self._preview = QGraphicsRectItem()

    def press(self, view, pos, event) -> bool:
        if not self.enabled or not _painting_button(event):
            return False
        self._begin(SUBTRACT if _reversed(event) else ADD)
        self._start = pos
        self._show_preview(view)
        self._preview.setRect(QRectF(pos, pos))
        return True

    def move(self, view, pos, event) -> bool:
        if not self.active_gesture:
            return False
        self._preview.setRect(self._shape(pos, event))
        return True

    def release(self, view, pos, event) -> bool:
        if not self.active_gesture:
            return False
        box = self._shape(pos, event)
        # Pixel edges nearest the drag: a drag from 10.4 to 20.6 fills pixels 10..20.
        left, top = round(box.left()), round(box.top())
        rect = QRect(left, top, round(box.right()) - left, round(box.bottom()) - top)
        if rect.width() > 0 and rect.height() > 0:
            self._painted(fill_rect(self.document.mask, rect, self._value))
        self.finish()
        return True

    def _shape(self, pos: QPointF, event) -> QRectF:
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            side = max(abs(pos.x() - self._start.x()), abs(pos.y() - self._start.y()))
            pos = QPointF(self._start.x() + math.copysign(side, pos.x() - self._start.x()),
                          self._start.y() + math.copysign(side, pos.y() - self._start.y()))
        return QRectF(self._start, pos).normalized()


class LassoTool(MaskTool):
    """Draw a closed outline freehand: the inside is filled on release."""

    name, title, shortcut = "lasso", "Lasso", "L"
    texts = ("Lasso fill", "Lasso clear")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._points: list[QPointF] = []
        self._preview = QGraphicsPathItem()

    def press(self, view, pos, event) -> bool:
        if not self.enabled or not _painting_button(event):
            return False
        self._begin(SUBTRACT if _reversed(event) else ADD)
        self._points = [pos]
        self._show_preview(view)
        self._update_preview()
        return True

    def move(self, view, pos, event) -> bool:
        if not self.active_gesture:
            return False
        last = self._points[-1]
        # Keep a point per ~2 screen pixels: enough for the shape, cheap for the preview path.
        if max(abs(pos.x() - last.x()), abs(pos.y() - last.y())) * view.zoom >= 2:
            self._points.append(pos)
            self._update_preview()
        return True

    def release(self, view, pos, event) -> bool:
        if not self.active_gesture:
            return False
        self._points.append(pos)
        self._painted(fill_polygon(self.document.mask, self._points, self._value))
        self.finish()
        return True

    def key(self, view, event) -> bool:
        if event.key() == Qt.Key.Key_Escape and self.active_gesture:
            self._dirty = QRect()  # nothing painted yet: dropping the gesture changes nothing
            self.finish()
            return True
        return False

    def finish(self) -> None:
        self._points = []
        super().finish()

    def _update_preview(self) -> None:
        path = QPainterPath(self._points[0])
        for point in self._points[1:]:
            path.lineTo(point)
        path.closeSubpath()
        self._preview.setPath(path)


TOOL_CLASSES = (BrushTool, EraserTool, RectangleTool, LassoTool)
