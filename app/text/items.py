"""Canvas items for text boxes: the box itself, the selection frame with its handles (plus snap
guides and the text tool's rubber band), and the inline editor.

Items never take mouse input: the active CanvasTool (app/text/tools.py) hit-tests in document
coordinates and changes the document through commands, so every edit is undoable and items only
ever mirror the DocumentModel.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QTextOption
from PySide6.QtWidgets import QGraphicsItem, QGraphicsTextItem

from app.text.typography import box_color, family_of, fitted_pixel_size, make_font, paint_text_local
from glm_core.project.text_check import BoxCheck
from glm_core.project.textbox import TextBox

TEXT_Z = 20.0  # above the mask layer (z 10, app/mask/layer.py); tool outlines float higher
FRAME_Z = 900.0
GHOST_OPACITY = 0.75  # text not overlaid on export is a layout intention: drawn see-through
HANDLE_PX, HANDLE_HIT_PX, ROTATE_PX = 8.0, 7.0, 26.0  # screen pixels, the same at every zoom
MIN_BOX = 4.0  # document pixels

ACCENT = QColor("#4d7cff")
CHECK_OK, CHECK_WRONG = QColor("#2e9d5b"), QColor("#d9453b")
BADGE = 22.0  # document pixels: the text check's mark on a box's corner
GUIDE = QColor("#ff3d9a")  # magenta: unlike any poster colour, so a guide never blends in

# A number per canvas gesture: EditBox merges only edits of one gesture (see app/document/commands.py).
gestures = itertools.count(1)

HANDLES = {  # name: position in the box frame, in half-widths and half-heights from the centre
    "tl": (-1, -1), "t": (0, -1), "tr": (1, -1), "r": (1, 0),
    "br": (1, 1), "b": (0, 1), "bl": (-1, 1), "l": (-1, 0),
}


def badge_mark(check: BoxCheck) -> str:
    return "✓" if check.ok else "✗"


def check_summary(check: BoxCheck) -> str:
    """One line: what the check found for the box."""
    if check.ok:
        return f"✓ Reads exactly “{check.text}”"
    seen = check.note or (f"read “{check.read}”" if check.read else "no text read")
    return f"✗ Wrong text: {seen} (similarity {check.similarity:.0%}) — Fix this box re-renders it"


def to_local(box: TextBox, x: float, y: float) -> tuple[float, float]:
    """A document point in the box's frame: origin at its centre, unrotated."""
    dx, dy = x - (box.x + box.width / 2), y - (box.y + box.height / 2)
    a = math.radians(-box.rotation)
    return dx * math.cos(a) - dy * math.sin(a), dx * math.sin(a) + dy * math.cos(a)


def to_scene(box: TextBox, lx: float, ly: float) -> tuple[float, float]:
    a = math.radians(box.rotation)
    return (box.x + box.width / 2 + lx * math.cos(a) - ly * math.sin(a),
            box.y + box.height / 2 + lx * math.sin(a) + ly * math.cos(a))


def contains(box: TextBox, x: float, y: float, margin: float = 0.0) -> bool:
    lx, ly = to_local(box, x, y)
    return abs(lx) <= box.width / 2 + margin and abs(ly) <= box.height / 2 + margin


def handle_points(box: TextBox, zoom: float) -> dict[str, tuple[float, float]]:
    """Handle centres in the box frame; "rotate" sits above the top edge."""
    points = {name: (fx * box.width / 2, fy * box.height / 2) for name, (fx, fy) in HANDLES.items()}
    points["rotate"] = (0.0, -box.height / 2 - ROTATE_PX / zoom)
    return points


class BoxSelection(QObject):
    """The selected boxes, shared by the canvas, the Layers and the Text panels. `current` is the
    one the panels show ("" = none): the last one picked; `ids` all of them, in picking order."""

    changed = Signal(str)  # the current box
    idsChanged = Signal()  # which boxes are selected (one, several, none)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.current = ""
        self.ids: tuple[str, ...] = ()

    def set(self, box_id: str) -> None:
        self.set_many((box_id,) if box_id else ())

    def set_many(self, ids) -> None:
        ids = tuple(dict.fromkeys(i for i in ids if i))
        current = ids[-1] if ids else ""
        ids_changed = ids != self.ids
        self.ids = ids
        if current != self.current:
            self.current = current
            self.changed.emit(current)
        if ids_changed:
            self.idsChanged.emit()

    def toggle(self, box_id: str) -> None:
        """Shift/Ctrl+click: add the box, or take it out again."""
        self.set_many([i for i in self.ids if i != box_id] if box_id in self.ids else [*self.ids, box_id])

    def discard(self, box_id: str) -> None:
        if box_id in self.ids:
            self.set_many([i for i in self.ids if i != box_id])


def _cosmetic(color: QColor, width: float = 1.0, style=Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style)
    pen.setCosmetic(True)
    return pen


class TextBoxItem(QGraphicsItem):
    def __init__(self, box: TextBox):
        super().__init__()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.ghost = True  # see-through unless "Overlay my text" is on
        self.editing = False  # the inline editor draws the text meanwhile
        self.check: BoxCheck | None = None  # the last text check of this box on the shown image
        self.box = box
        self.set_box(box)

    def set_box(self, box: TextBox) -> None:
        self.prepareGeometryChange()
        self.box = box
        self.setPos(box.x + box.width / 2, box.y + box.height / 2)
        self.setRotation(box.rotation)
        self.setVisible(box.visible)
        self.update()

    def set_check(self, check: BoxCheck | None) -> None:
        """The badge: ✓, or ✗ with what OCR read in the tooltip; None takes it away."""
        self.prepareGeometryChange()
        self.check = check
        self.setToolTip("" if check is None else check_summary(check))
        self.update()

    def local_rect(self) -> QRectF:
        return QRectF(-self.box.width / 2, -self.box.height / 2, self.box.width, self.box.height)

    def _badge_rect(self) -> QRectF:
        side = min(BADGE, max(self.box.height, 8.0))  # on the box's top-right corner
        rect = self.local_rect()
        return QRectF(rect.right() - side / 2, rect.top() - side / 2, side, side)

    def boundingRect(self) -> QRectF:
        rect = self.local_rect().adjusted(-2, -2, 2, 2)
        return rect if self.check is None else rect.united(self._badge_rect())

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not self.editing:
            painter.save()
            painter.setOpacity(GHOST_OPACITY if self.ghost else 1.0)
            paint_text_local(painter, self.box)
            painter.restore()
        if self.ghost or not self.box.text.strip():
            # Where the box is matters to the prompt even when its text is faint or empty.
            painter.setPen(_cosmetic(QColor(255, 255, 255, 110), 1, Qt.PenStyle.DashLine))
            painter.drawRect(self.local_rect())
        if self.check is not None:
            self._paint_badge(painter)

    def _paint_badge(self, painter: QPainter) -> None:
        rect = self._badge_rect()
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(CHECK_OK if self.check.ok else CHECK_WRONG)
        painter.drawEllipse(rect)
        font = painter.font()
        font.setPixelSize(max(1, round(rect.height() * 0.7)))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, badge_mark(self.check))
        painter.restore()


class FrameItem(QGraphicsItem):
    """What sits on top of everything: the selection frame and handles, snap guides, rubber band."""

    def __init__(self):
        super().__init__()
        self.setZValue(FRAME_Z)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.box: TextBox | None = None  # one selected box: its frame and handles
        self.group: list[TextBox] = []  # several selected boxes: an outline each, no handles
        self.guides: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())
        self.rubber: QRectF | None = None
        self.canvas = QRectF(0, 0, 1024, 1024)

    def boundingRect(self) -> QRectF:
        # Handles keep their screen size, so at low zoom they reach far outside the box: cover all.
        return QRectF(-1e6, -1e6, 2e6, 2e6)

    def refresh(self) -> None:
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        px = 1 / max(painter.worldTransform().m11(), 1e-6)  # one screen pixel in document units
        xs, ys = self.guides
        if xs or ys:
            painter.setPen(_cosmetic(GUIDE))
            reach = self.canvas.adjusted(-40 * px, -40 * px, 40 * px, 40 * px)
            for x in xs:
                painter.drawLine(QPointF(x, reach.top()), QPointF(x, reach.bottom()))
            for y in ys:
                painter.drawLine(QPointF(reach.left(), y), QPointF(reach.right(), y))
        if self.rubber is not None:
            painter.setPen(_cosmetic(ACCENT, 1, Qt.PenStyle.DashLine))
            painter.setBrush(QColor(77, 124, 255, 40))
            painter.drawRect(self.rubber)
        if self.box is not None and self.box.visible:
            self._paint_selection(painter, self.box, px)
        for box in self.group:
            self._paint_outline(painter, box)

    def _paint_outline(self, painter: QPainter, box: TextBox) -> None:
        painter.save()
        painter.translate(box.x + box.width / 2, box.y + box.height / 2)
        painter.rotate(box.rotation)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        rect = QRectF(-box.width / 2, -box.height / 2, box.width, box.height)
        dash = Qt.PenStyle.DashLine if box.locked else Qt.PenStyle.SolidLine
        for pen in (_cosmetic(QColor(0, 0, 0, 140), 3.5), _cosmetic(ACCENT, 1.5, dash)):
            painter.setPen(pen)
            painter.drawRect(rect)
        painter.restore()

    def _paint_selection(self, painter: QPainter, box: TextBox, px: float) -> None:
        painter.save()
        painter.translate(box.x + box.width / 2, box.y + box.height / 2)
        painter.rotate(box.rotation)
        rect = QRectF(-box.width / 2, -box.height / 2, box.width, box.height)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if box.locked:  # a locked box shows where it is but offers nothing to grab
            painter.setPen(_cosmetic(QColor("#9aa0aa"), 1.5, Qt.PenStyle.DashLine))
            painter.drawRect(rect)
            painter.restore()
            return
        points = handle_points(box, 1 / px)
        rx, ry = points.pop("rotate")
        # A dark edge under the accent line keeps the frame visible on any picture, even noise.
        for pen in (_cosmetic(QColor(0, 0, 0, 140), 3.5), _cosmetic(ACCENT, 1.5)):
            painter.setPen(pen)
            painter.drawRect(rect)
            painter.drawLine(QPointF(0, -box.height / 2), QPointF(rx, ry))
        painter.setBrush(QBrush(QColor("#ffffff")))
        half = HANDLE_PX / 2 * px
        painter.drawEllipse(QPointF(rx, ry), half, half)
        for x, y in points.values():
            painter.drawRect(QRectF(x - half, y - half, 2 * half, 2 * half))
        painter.restore()


class InlineEditor(QGraphicsTextItem):
    """Multi-line editing on the canvas at the box's fitted size (Latin, CJK, input methods)."""

    finished = Signal(bool)  # True: keep the text; False: cancelled

    def __init__(self, box: TextBox, parent: QGraphicsItem):
        super().__init__(parent)
        self.box = box
        self.setFont(make_font(family_of(box), box.weight, fitted_pixel_size(box)))
        self.setDefaultTextColor(box_color(box))
        document = self.document()
        document.setDocumentMargin(0)
        # No wrapping: lines break only where the user breaks them, as in the exported overlay.
        align = {"left": Qt.AlignmentFlag.AlignLeft, "right": Qt.AlignmentFlag.AlignRight}
        option = QTextOption(align.get(box.align, Qt.AlignmentFlag.AlignHCenter))
        option.setWrapMode(QTextOption.WrapMode.NoWrap)
        document.setDefaultTextOption(option)
        self.setPlainText(box.text)
        self.setTextWidth(box.width)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextEditorInteraction)
        self._done = self._refitting = False
        document.contentsChanged.connect(self._refit)
        self._refit()

    def _refit(self) -> None:
        """Keep the typed text at the size the box will give it, centred, as it is typed."""
        if self._refitting:
            return
        self._refitting = True
        text = self.text()
        size = fitted_pixel_size(replace(self.box, text=text)) if text.strip() else self.font().pixelSize()
        if size != self.font().pixelSize():
            self.setFont(make_font(family_of(self.box), self.box.weight, size))
        self.setPos(-self.box.width / 2, -self.boundingRect().height() / 2)
        self._refitting = False

    def text(self) -> str:
        return self.toPlainText().replace("\u2029", "\n").replace("\u2028", "\n")

    def select_all(self) -> None:
        cursor = self.textCursor()
        cursor.select(cursor.SelectionType.Document)
        self.setTextCursor(cursor)

    def finish(self, keep: bool) -> None:
        if not self._done:
            self._done = True
            self.finished.emit(keep)

    def keyPressEvent(self, event) -> None:
        # Esc leaves the editor keeping what was typed, as Ctrl+Enter does: throwing typing away on
        # one key surprised users, and the kept text is one "Edit text" step that Ctrl+Z undoes.
        if event.key() == Qt.Key.Key_Escape or (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and event.modifiers() & (
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier)):
            self.finish(True)
        else:
            super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        # Switching windows or opening the editor's own context menu is not "done editing".
        if event.reason() not in (Qt.FocusReason.ActiveWindowFocusReason, Qt.FocusReason.PopupFocusReason):
            self.finish(True)
