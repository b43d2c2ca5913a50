"""Keeps one TextBoxItem per box of the DocumentModel on the canvas, and runs inline editing.

The layer only mirrors the document (boxAdded/boxChanged/boxRemoved/boxesReordered); tools and
panels change boxes through commands. While the inline editor is open, the layer filters the
view's key events straight to the scene, so Space types a space instead of starting a pan and
single-letter tool shortcuts (T, V) type letters.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import QApplication

from app.canvas.view import CanvasView
from app.document.commands import EditBox
from app.document.model import DocumentModel
from app.text.items import (
    HANDLE_HIT_PX,
    TEXT_Z,
    BoxSelection,
    FrameItem,
    InlineEditor,
    TextBoxItem,
    contains,
    gestures,
    handle_points,
    to_local,
)
from glm_core.project.arrange import outline
from glm_core.project.textbox import TextBox


class TextLayer(QObject):
    editingChanged = Signal(bool)

    def __init__(self, view: CanvasView, document: DocumentModel, selection: BoxSelection, parent=None):
        super().__init__(parent)
        self.view, self.selection = view, selection
        self.items: dict[str, TextBoxItem] = {}
        self.frame = FrameItem()
        view.scene().addItem(self.frame)
        self.ghost = True
        self.editor: InlineEditor | None = None
        self.document = document
        selection.idsChanged.connect(self._refresh_frame)
        view.installEventFilter(self)
        for signal, slot in ((document.boxAdded, self._added), (document.boxChanged, self._changed),
                             (document.boxRemoved, self._removed), (document.boxesReordered, self._restack),
                             (document.sizeChanged, self._refresh_frame)):
            signal.connect(slot)
        self._rebuild()

    # -- binding --

    def _rebuild(self) -> None:
        for item in self.items.values():
            self.view.scene().removeItem(item)
        self.items.clear()
        self.view.set_has_boxes(False)
        for box in self.document.boxes:
            self._added(box.id)

    def _added(self, box_id: str) -> None:
        item = TextBoxItem(self.document.box(box_id))
        item.ghost = self.ghost
        self.view.scene().addItem(item)
        self.items[box_id] = item
        self.view.set_has_boxes(True)
        self._restack()

    def _changed(self, box_id: str) -> None:
        box = self.document.box(box_id)
        if self.editor is not None and self.editor.box.id == box_id and box.text != self.editor.box.text:
            self.cancel_edit()  # changed under the editor (an undo): the editor's copy is stale
        self.items[box_id].set_box(box)
        if not box.visible:
            self.selection.discard(box_id)
        self._refresh_frame()

    def _removed(self, box_id: str) -> None:
        if self.editor is not None and self.editor.box.id == box_id:
            self.cancel_edit()
        self.view.scene().removeItem(self.items.pop(box_id))
        self.view.set_has_boxes(bool(self.items))
        self.selection.discard(box_id)
        self._refresh_frame()

    def _restack(self) -> None:
        for index, box in enumerate(self.document.boxes):
            self.items[box.id].setZValue(TEXT_Z + index / 1000)  # back to front, below FRAME_Z

    def _refresh_frame(self, *_args) -> None:
        chosen = [self.document.box(i) for i in self.selection.ids if i in self.items]
        self.frame.box = chosen[0] if len(chosen) == 1 else None
        self.frame.group = chosen if len(chosen) > 1 else []
        self.frame.canvas = QRectF(0, 0, *self.document.size)
        self.frame.refresh()

    def set_ghost(self, ghost: bool) -> None:
        """See-through text (a layout intention) or opaque (the exact overlay export draws)."""
        self.ghost = ghost
        for item in self.items.values():
            item.ghost = ghost
            item.update()

    # -- geometry for the tools --

    def selected_boxes(self) -> list[TextBox]:
        """The selected boxes, back to front."""
        chosen = set(self.selection.ids)
        return [b for b in self.document.boxes if b.id in chosen]

    def boxes_in(self, rect: QRectF) -> list[str]:
        """The visible boxes a rubber band touches, back to front."""
        return [b.id for b in self.document.boxes
                if b.visible and QRectF(QPointF(*outline(b)[:2]), QPointF(*outline(b)[2:])).intersects(rect)]

    def box_at(self, x: float, y: float) -> str:
        """The front-most visible box under a document point ("" for none)."""
        for box in reversed(self.document.boxes):
            if box.visible and contains(box, x, y):
                return box.id
        return ""

    def handle_at(self, x: float, y: float) -> str:
        """The handle of the selected, unlocked box under the point ("" for none)."""
        box = self.frame.box
        if box is None or box.locked or not box.visible:
            return ""
        zoom = self.view.zoom
        lx, ly = to_local(box, x, y)
        reach = HANDLE_HIT_PX / zoom
        hits = [(abs(lx - hx) + abs(ly - hy), name) for name, (hx, hy) in handle_points(box, zoom).items()
                if abs(lx - hx) <= reach and abs(ly - hy) <= reach]
        return min(hits)[1] if hits else ""

    def set_guides(self, xs=(), ys=()) -> None:
        self.frame.guides = (tuple(xs), tuple(ys))
        self.frame.refresh()

    def set_rubber(self, rect: QRectF | None) -> None:
        self.frame.rubber = rect
        self.frame.refresh()

    # -- inline editing --

    @property
    def editing(self) -> bool:
        return self.editor is not None

    def editor_contains(self, x: float, y: float) -> bool:
        return self.editor is not None and contains(self.editor.box, x, y, margin=4 / self.view.zoom)

    def start_edit(self, box_id: str, select_all: bool = False) -> None:
        self.commit_edit()
        item = self.items[box_id]
        self.selection.set(box_id)
        self.editor = InlineEditor(item.box, item)
        self.editor.finished.connect(self._finish_edit)
        item.editing = True
        item.update()
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)
        if select_all:
            self.editor.select_all()
        self.editingChanged.emit(True)

    def commit_edit(self) -> None:
        if self.editor is not None:
            self.editor.finish(True)

    def cancel_edit(self) -> None:
        if self.editor is not None:
            self.editor.finish(False)

    def _finish_edit(self, keep: bool) -> None:
        editor, self.editor = self.editor, None
        if editor is None:
            return
        box, text = editor.box, editor.text()
        item = self.items.get(box.id)
        if item is not None:
            item.editing = False
            item.update()
        editor.clearFocus()
        editor.setParentItem(None)
        self.view.scene().removeItem(editor)
        editor.deleteLater()
        if keep and item is not None and text != box.text:
            self.document.undo_stack.push(EditBox(self.document, replace(box, text=text), "text",
                                                  "Edit text", gesture=next(gestures)))
        self.editingChanged.emit(False)

    def eventFilter(self, watched, event) -> bool:
        if self.editor is None or watched is not self.view:
            return False
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # every key is the editor's while it is open (Ctrl+Z too: its own undo)
            return True
        if kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.InputMethod):
            QApplication.sendEvent(self.view.scene(), event)
            return True
        return False
