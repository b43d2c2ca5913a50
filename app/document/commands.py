"""Every document edit as a QUndoCommand. Each command holds what it needs to go both ways and
changes the document only through DocumentModel._apply_*; push it on `document.undo_stack`."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QRect
from PySide6.QtGui import QImage, QUndoCommand

from app.document.base_image import Document
from app.document.model import DocumentModel
from glm_core.project.textbox import TextBox

_EDIT_BOX_ID = 1001  # QUndoCommand ids let consecutive small edits of one box merge
_ARRANGE_ID = 1002


class AddBox(QUndoCommand):
    def __init__(self, document: DocumentModel, box: TextBox, index: int | None = None):
        super().__init__("Add text box")
        self.document, self.box = document, box
        self.index = len(document.boxes) if index is None else index

    def redo(self):
        self.document._apply_insert_box(self.index, self.box)

    def undo(self):
        self.document._apply_remove_box(self.box.id)


class RemoveBox(QUndoCommand):
    def __init__(self, document: DocumentModel, box_id: str):
        super().__init__("Delete text box")
        self.document = document
        self.index, self.box = document.box_index(box_id), document.box(box_id)

    def redo(self):
        self.document._apply_remove_box(self.box.id)

    def undo(self):
        self.document._apply_insert_box(self.index, self.box)


class EditBox(QUndoCommand):
    """Any change to one box (move, resize, text, style). Consecutive edits of the same kind
    ("move", "resize", "text" …) to the same box merge into one undo step. A canvas drag passes a
    `gesture` number of its own, so two separate drags stay two undo steps."""

    def __init__(self, document: DocumentModel, after: TextBox, kind: str, text: str | None = None,
                 gesture: int | None = None):
        super().__init__(text or f"{kind.capitalize()} text box")
        self.document, self.kind, self.gesture = document, kind, gesture
        self.before, self.after = document.box(after.id), after

    def id(self):
        return _EDIT_BOX_ID

    def mergeWith(self, other):
        if not isinstance(other, EditBox) or (other.after.id, other.kind, other.gesture) != (
                self.after.id, self.kind, self.gesture):
            return False
        self.after = other.after
        return True

    def redo(self):
        self.document._apply_box(self.after)

    def undo(self):
        self.document._apply_box(self.before)


class ArrangeBoxes(QUndoCommand):
    """Several boxes changed together (align, distribute, a group move or nudge): one undo step
    named after what was done. A canvas drag passes its `gesture`, so the whole drag of the group
    stays one step; without one, every command is its own step."""

    def __init__(self, document: DocumentModel, after: list[TextBox], text: str, gesture: int | None = None):
        super().__init__(text)
        self.document, self.gesture = document, gesture
        self.before, self.after = [document.box(b.id) for b in after], list(after)

    def id(self):
        return _ARRANGE_ID

    def mergeWith(self, other):
        if (not isinstance(other, ArrangeBoxes) or self.gesture is None or other.gesture != self.gesture
                or [b.id for b in other.after] != [b.id for b in self.after]):
            return False
        self.after = other.after
        return True

    def redo(self):
        for box in self.after:
            self.document._apply_box(box)

    def undo(self):
        for box in self.before:
            self.document._apply_box(box)


class ReorderBoxes(QUndoCommand):
    def __init__(self, document: DocumentModel, ids: list[str], text: str = "Reorder layers"):
        super().__init__(text)
        self.document = document
        self.before, self.after = [b.id for b in document.boxes], list(ids)

    def redo(self):
        self.document._apply_order(self.after)

    def undo(self):
        self.document._apply_order(self.before)


class EditMask(QUndoCommand):
    """A stroke or fill: the pixels of `rect` before and after. Tools paint live for speed, then
    push this with both states; the first redo re-applies what is already there (harmless)."""

    def __init__(self, document: DocumentModel, rect: QRect, before: QImage, after: QImage, text: str = "Mask stroke"):
        super().__init__(text)
        self.document, self.rect, self.before, self.after = document, QRect(rect), before, after

    def redo(self):
        self.document._apply_mask_region(self.rect, self.after)

    def undo(self):
        self.document._apply_mask_region(self.rect, self.before)


class SetBase(QUndoCommand):
    """Put a generated result (or an opened image) on the canvas."""

    def __init__(self, document: DocumentModel, base: Document | None, text: str = "Apply result"):
        super().__init__(text)
        self.document, self.before, self.after = document, document.base, base
        self.size_before, self.mask_before = document.size, document.mask.copy()

    def redo(self):
        if self.after is not None and self.after.image.size != self.document.size:
            self.document._apply_size(*self.after.image.size)
        self.document._apply_base(self.after)

    def undo(self):
        if self.document.size != self.size_before:  # a resize scaled the mask: put the exact one back
            self.document._apply_size(*self.size_before)
            self.document._apply_mask_region(QRect(0, 0, *self.size_before), self.mask_before)
        self.document._apply_base(self.before)


class ResizeCanvas(QUndoCommand):
    def __init__(self, document: DocumentModel, width: int, height: int):
        super().__init__("Resize canvas")
        self.document, self.before, self.after = document, document.size, (width, height)
        self.mask_before = document.mask.copy()

    def redo(self):
        self.document._apply_size(*self.after)

    def undo(self):
        self.document._apply_size(*self.before)
        self.document._apply_mask_region(QRect(0, 0, *self.before), self.mask_before)


class SetPrompts(QUndoCommand):
    def __init__(self, document: DocumentModel, scene: str, pinned: str | None, text: str = "Edit prompt"):
        super().__init__(text)
        self.document = document
        self.before = (document.scene_prompt, document.pinned_prompt)
        self.after = (scene, pinned)

    def redo(self):
        self.document._apply_prompts(*self.after)

    def undo(self):
        self.document._apply_prompts(*self.before)


class SetSetting(QUndoCommand):
    """A generation setting that belongs to the poster (Overlay my text, Layout guide): undoable,
    and like any edit it marks the document unsaved."""

    def __init__(self, document: DocumentModel, name: str, value, text: str):
        super().__init__(text)
        self.settings, self.name = document.settings, name
        self.before, self.after = getattr(document.settings, name), value

    def redo(self):
        setattr(self.settings, self.name, self.after)

    def undo(self):
        setattr(self.settings, self.name, self.before)


def set_result_recipe(document: DocumentModel, history_id: int, recipe) -> None:
    """A result's recipe completed after it was applied (its text check): the base, and every
    Apply/Open step that holds that result, get it, so neither undo nor redo brings back the
    older recipe. Not an edit: the pixels and the boxes stay as they are."""

    def completed(base: Document | None) -> Document | None:
        return replace(base, recipe=recipe) if base is not None and base.history_id == history_id else base

    stack = document.undo_stack
    for command in (stack.command(i) for i in range(stack.count())):
        for step in [command, *(command.child(j) for j in range(command.childCount()))]:
            if isinstance(step, SetBase):
                step.before, step.after = completed(step.before), completed(step.after)
    document.base = completed(document.base)
