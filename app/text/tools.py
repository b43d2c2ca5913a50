"""The canvas tools for text: Select (V) moves, resizes, rotates, deletes and edits boxes; Text (T)
drags out a new box. Both work in document coordinates and change boxes only through commands.

A drag pushes EditBox on every mouse move with one gesture number, so the model (and the live
prompt) follow the mouse while the whole drag stays one undo step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QGraphicsView

from app.canvas.view import CanvasTool
from app.document.commands import AddBox, EditBox
from app.text.arrange import delete_boxes, push_arrange
from app.text.snapping import SNAP_PX, snap_move, snap_resize, targets
from app.text.items import HANDLES, MIN_BOX, gestures, to_local, to_scene
from app.text.layer import TextLayer
from glm_core.project.arrange import move, outline
from glm_core.project.textbox import TextBox

_CURSORS = {"tl": Qt.CursorShape.SizeFDiagCursor, "br": Qt.CursorShape.SizeFDiagCursor,
            "tr": Qt.CursorShape.SizeBDiagCursor, "bl": Qt.CursorShape.SizeBDiagCursor,
            "t": Qt.CursorShape.SizeVerCursor, "b": Qt.CursorShape.SizeVerCursor,
            "l": Qt.CursorShape.SizeHorCursor, "r": Qt.CursorShape.SizeHorCursor,
            "rotate": Qt.CursorShape.CrossCursor}
_PLACEHOLDER = {"title": "Title", "subtitle": "Subtitle", "body": "Body text", "caption": "Caption", "label": "Label"}
_ROLE_ORDER = ("title", "subtitle", "body")


def _snapping(event) -> bool:
    return not event.modifiers() & Qt.KeyboardModifier.AltModifier  # Alt: place freely


def _targets(layer: TextLayer, moving=()):
    """What a drag snaps to: the canvas and the visible boxes not in `moving` (ids)."""
    doc = layer.document
    others = [(b.x, b.y, b.width, b.height) for b in doc.boxes if b.id not in moving and b.visible]
    return targets(doc.size, others)


def _adding(event) -> bool:
    """Shift or Ctrl(Cmd)+click adds to the selection, as in other design apps."""
    return bool(event.modifiers() & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier))


class _DoubleClicks(QObject):
    """CanvasTool has no double-click hook: catch it on the viewport instead."""

    def __init__(self, tool: SelectTool):
        super().__init__()
        self.tool = tool

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.MouseButtonDblClick and event.button() == Qt.MouseButton.LeftButton:
            view = watched.parent()
            if isinstance(view, QGraphicsView):
                return self.tool.double_click(view.mapToScene(event.position().toPoint()))
        return False


class SelectTool(CanvasTool):
    cursor = Qt.CursorShape.ArrowCursor

    def __init__(self, layer: TextLayer, left: Callable[[], None] = lambda: None):
        self.layer = layer
        self.left = left  # called when another tool takes the canvas
        self._drag: dict | None = None
        self._double_clicks = _DoubleClicks(self)

    def activate(self, view) -> None:
        view.viewport().setMouseTracking(True)  # hover cursors over handles
        view.viewport().installEventFilter(self._double_clicks)

    def deactivate(self, view) -> None:
        view.viewport().removeEventFilter(self._double_clicks)
        self._end_drag()
        self.layer.commit_edit()
        self.left()

    def double_click(self, pos: QPointF) -> bool:
        if self.layer.editing and self.layer.editor_contains(pos.x(), pos.y()):
            return False  # a double-click inside the editor selects a word
        box_id = self.layer.box_at(pos.x(), pos.y())
        if box_id:
            self._end_drag()
            self.layer.start_edit(box_id)
        return bool(box_id)

    def press(self, view, pos, event) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        layer = self.layer
        if layer.editing:
            if layer.editor_contains(pos.x(), pos.y()):
                return False  # the editor places its cursor
            layer.commit_edit()
        handle = layer.handle_at(pos.x(), pos.y())
        box_id = layer.frame.box.id if handle else layer.box_at(pos.x(), pos.y())
        if not box_id:  # on the empty canvas: a rubber band (with Shift/Ctrl it adds to the selection)
            kept = layer.selection.ids if _adding(event) else ()
            layer.selection.set_many(kept)
            self._drag = {"mode": "band", "start": QPointF(pos), "kept": kept}
            return True
        if _adding(event):
            layer.selection.toggle(box_id)
            return True
        if handle or box_id not in layer.selection.ids:
            layer.selection.set(box_id)
        start = {"start": QPointF(pos), "gesture": next(gestures)}
        if len(layer.selection.ids) > 1:
            self._drag = {"mode": "group", "boxes": layer.selected_boxes(), **start}
        elif not layer.document.box(box_id).locked:
            self._drag = {"mode": handle or "move", "box": layer.document.box(box_id), **start}
        return True

    def move(self, view, pos, event) -> bool:
        if self._drag is None:
            if not event.buttons():
                handle = self.layer.handle_at(pos.x(), pos.y())
                view.viewport().setCursor(_CURSORS.get(handle, self.cursor))
            return False
        drag = self._drag
        if drag["mode"] == "band":
            rect = QRectF(drag["start"], pos).normalized()
            self.layer.set_rubber(rect)
            self.layer.selection.set_many([*drag["kept"], *self.layer.boxes_in(rect)])
            return True
        if drag["mode"] == "group":
            self._move_group(drag, pos - drag["start"], _snapping(event), view.zoom)
            return True
        box = drag["box"]
        zoom = view.zoom
        if drag["mode"] == "move":
            new, guides = self._moved(box, pos - drag["start"], _snapping(event), zoom)
            kind = "move"
        elif drag["mode"] == "rotate":
            new, guides, kind = self._rotated(box, pos, event), ((), ()), "rotate"
        else:
            new, guides = self._resized(box, drag["mode"], pos, _snapping(event), zoom)
            kind = "resize"
        self.layer.set_guides(*guides)
        if new != self.layer.document.box(box.id):
            doc = self.layer.document
            doc.undo_stack.push(EditBox(doc, new, kind, gesture=drag["gesture"]))
        return True

    def release(self, view, pos, event) -> bool:
        if self._drag is None:
            return False
        self._end_drag()
        return True

    def _move_group(self, drag: dict, delta: QPointF, snap: bool, zoom: float) -> None:
        """The selected boxes follow the mouse together; their common outline snaps."""
        boxes = drag["boxes"]
        dx, dy = delta.x(), delta.y()
        if snap:
            outlines = [outline(b) for b in boxes]
            left, top = min(o[0] for o in outlines), min(o[1] for o in outlines)
            right, bottom = max(o[2] for o in outlines), max(o[3] for o in outlines)
            ids = {b.id for b in boxes}
            s = snap_move((left + dx, top + dy, right - left, bottom - top), _targets(self.layer, ids), SNAP_PX / zoom)
            dx, dy = dx + s.dx, dy + s.dy
            self.layer.set_guides(s.guides_x, s.guides_y)
        else:
            self.layer.set_guides()
        push_arrange(self.layer.document, move(boxes, dx, dy), f"Move {len(boxes)} text boxes", drag["gesture"])

    def _end_drag(self) -> None:
        self._drag = None
        self.layer.set_guides()
        self.layer.set_rubber(None)

    def _moved(self, box: TextBox, delta: QPointF, snap: bool, zoom: float):
        x, y = box.x + delta.x(), box.y + delta.y()
        if not snap:
            return replace(box, x=x, y=y), ((), ())
        s = snap_move((x, y, box.width, box.height), _targets(self.layer, (box.id,)), SNAP_PX / zoom)
        return replace(box, x=x + s.dx, y=y + s.dy), (s.guides_x, s.guides_y)

    def _resized(self, box: TextBox, handle: str, pos: QPointF, snap: bool, zoom: float):
        # Work in the box's own frame, so rotated boxes resize along their own axes.
        lx, ly = to_local(box, pos.x(), pos.y())
        left, top, right, bottom = -box.width / 2, -box.height / 2, box.width / 2, box.height / 2
        fx, fy = HANDLES[handle]
        if fx < 0:
            left = min(lx, right - MIN_BOX)
        elif fx > 0:
            right = max(lx, left + MIN_BOX)
        if fy < 0:
            top = min(ly, bottom - MIN_BOX)
        elif fy > 0:
            bottom = max(ly, top + MIN_BOX)
        cx, cy = to_scene(box, (left + right) / 2, (top + bottom) / 2)
        width, height = right - left, bottom - top
        rect = (cx - width / 2, cy - height / 2, width, height)
        guides = ((), ())
        if snap and abs(box.rotation) < 0.01:  # edges of a turned box are not vertical lines
            edges = ("l" if fx < 0 else "r" if fx > 0 else "") + ("t" if fy < 0 else "b" if fy > 0 else "")
            snapped, s = snap_resize(rect, edges, _targets(self.layer, (box.id,)), SNAP_PX / zoom)
            if snapped[2] >= MIN_BOX and snapped[3] >= MIN_BOX:
                rect, guides = snapped, (s.guides_x, s.guides_y)
        return replace(box, x=rect[0], y=rect[1], width=rect[2], height=rect[3]), guides

    def _rotated(self, box: TextBox, pos: QPointF, event) -> TextBox:
        cx, cy = box.x + box.width / 2, box.y + box.height / 2
        angle = math.degrees(math.atan2(pos.y() - cy, pos.x() - cx)) + 90
        step = 15 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 90
        nearest = round(angle / step) * step
        if step == 15 or abs(angle - nearest) < 3:  # square angles catch the handle a little
            angle = nearest
        angle = (angle + 180) % 360 - 180
        return replace(box, rotation=round(angle, 2))

    def key(self, view, event) -> bool:
        layer = self.layer
        if layer.editing:
            return False
        key, doc = event.key(), layer.document
        if event.matches(QKeySequence.StandardKey.SelectAll):
            layer.selection.set_many([b.id for b in doc.boxes if b.visible])
            return True
        boxes = layer.selected_boxes()
        if not boxes:
            return False
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            delete_boxes(doc, boxes)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F2):
            layer.start_edit(layer.selection.current)
            return True
        if key == Qt.Key.Key_Escape:
            layer.selection.set("")
            return True
        arrows = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
        if key in arrows:
            step = 10 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1
            dx, dy = arrows[key]
            if len(boxes) == 1:
                if not boxes[0].locked:  # consecutive nudges of one box merge (EditBox)
                    box = boxes[0]
                    doc.undo_stack.push(EditBox(doc, replace(box, x=box.x + dx * step, y=box.y + dy * step),
                                                "move", "Nudge text box"))
            else:
                push_arrange(doc, move(boxes, dx * step, dy * step), f"Nudge {len(boxes)} text boxes")
            return True
        return False


class TextTool(CanvasTool):
    """Drag out a box (or click for a default-sized one); it opens for typing at once."""

    cursor = Qt.CursorShape.IBeamCursor

    def __init__(self, layer: TextLayer, default_font: str = "", left: Callable[[], None] = lambda: None):
        self.layer = layer
        self.default_font = default_font
        self.created = _Created()
        self.left = left  # called when another tool takes the canvas
        self._start: QPointF | None = None

    def deactivate(self, view) -> None:
        self._start = None
        self.layer.set_rubber(None)
        self.layer.set_guides()
        self.layer.commit_edit()
        self.left()

    def press(self, view, pos, event) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        if self.layer.editing:
            if self.layer.editor_contains(pos.x(), pos.y()):
                return False
            self.layer.commit_edit()
        box_id = self.layer.box_at(pos.x(), pos.y())
        if box_id:  # clicking text with the text tool edits it
            self.layer.start_edit(box_id)
            return True
        self._start = QPointF(pos)
        return True

    def move(self, view, pos, event) -> bool:
        if self._start is None:
            return False
        rect = self._rect(self._start, pos, _snapping(event), view.zoom)
        self.layer.set_rubber(rect)
        return True

    def release(self, view, pos, event) -> bool:
        if self._start is None:
            return False
        start, self._start = self._start, None
        self.layer.set_rubber(None)
        self.layer.set_guides()
        rect = self._rect(start, pos, _snapping(event), view.zoom)
        if rect.width() * view.zoom < 6 or rect.height() * view.zoom < 6:
            rect = self._default_rect(start)  # a click, not a drag
        self.create(rect)
        return True

    def _rect(self, start: QPointF, pos: QPointF, snap: bool, zoom: float) -> QRectF:
        rect = QRectF(start, pos).normalized()
        if not snap:
            self.layer.set_guides()
            return rect
        edges = ("l" if pos.x() < start.x() else "r") + ("t" if pos.y() < start.y() else "b")
        (x, y, w, h), s = snap_resize((rect.x(), rect.y(), rect.width(), rect.height()), edges,
                                      _targets(self.layer), SNAP_PX / zoom)
        self.layer.set_guides(s.guides_x, s.guides_y)
        return QRectF(x, y, max(w, 0), max(h, 0))

    def _default_rect(self, at: QPointF) -> QRectF:
        width, height = self.layer.document.size
        w, h = width * 0.5, height * 0.12
        return QRectF(at.x() - w / 2, at.y() - h / 2, w, h)

    def create(self, rect: QRectF) -> TextBox:
        doc = self.layer.document
        used = {b.role for b in doc.boxes}
        role = next((r for r in _ROLE_ORDER if r not in used), "body")
        box = TextBox(_PLACEHOLDER[role], rect.x(), rect.y(), rect.width(), rect.height(), role=role,
                      font_family=self.default_font, weight=700 if role == "title" else 400)
        doc.undo_stack.push(AddBox(doc, box))
        self.created.box.emit(box.id)  # the window switches back to Select, like other design apps
        self.layer.start_edit(box.id, select_all=True)
        return box


class _Created(QObject):
    box = Signal(str)
