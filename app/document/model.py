"""The open poster as one model: canvas size, the base image, text boxes, the mask, the prompts,
and the generation settings (glm_core GenerationSettings: the prompt as typed is its `prompt`).

Widgets bind to its signals and never change it directly: every user edit is a QUndoCommand
(app/document/commands.py) pushed on `undo_stack`, and only commands call the `_apply_*` methods
below. That keeps undo/redo exact and lets each edit be tested on its own. The two changes that
are not edits are public: `replace_all` (New, Open, Recover) and `resize_blank_page`.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRect, Signal
from PySide6.QtGui import QImage, QUndoStack

from app.document.base_image import Document
from glm_core.generation.settings import GenerationSettings
from glm_core.project.textbox import TextBox


def blank_mask(width: int, height: int) -> QImage:
    mask = QImage(width, height, QImage.Format.Format_Grayscale8)
    mask.fill(0)
    return mask


class DocumentModel(QObject):
    sizeChanged = Signal(int, int)
    baseChanged = Signal()  # the base image (a result, an opened PNG) or its absence
    boxAdded = Signal(str)  # box id
    boxChanged = Signal(str)
    boxRemoved = Signal(str)
    boxesReordered = Signal()
    maskChanged = Signal(QRect)  # the region that changed, in document pixels
    promptsChanged = Signal()  # scene prompt or pinned prompt

    def __init__(self, width: int = 1024, height: int = 1024, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.width, self.height = width, height
        self.base: Document | None = None
        self.boxes: list[TextBox] = []  # back to front: the last box draws on top
        self.mask = blank_mask(width, height)  # 255 = change this pixel in a masked edit
        self.settings = GenerationSettings()  # what Generate asks for; its `prompt` is the scene as typed
        self.pinned_prompt: str | None = None  # a composed prompt the user edited and pinned

    # -- reading --

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def scene_prompt(self) -> str:
        """The prompt as typed (the scene the text boxes are composed into)."""
        return self.settings.prompt

    def box(self, box_id: str) -> TextBox:
        return next(b for b in self.boxes if b.id == box_id)

    def box_index(self, box_id: str) -> int:
        return next(i for i, b in enumerate(self.boxes) if b.id == box_id)

    def mask_is_empty(self) -> bool:
        from app.ui.images import qimage_to_pil

        return qimage_to_pil(self.mask).getbbox() is None

    # -- changes that are not edits --

    def replace_all(self, state) -> None:
        """Hold `state` (app/document/project_io.DocumentState) instead, every view following,
        with a fresh undo history: opening a document is not an edit."""
        for box in reversed(list(self.boxes)):
            self._apply_remove_box(box.id)
        self._apply_base(None)
        self._apply_size(state.width, state.height)
        mask = state.mask
        if mask is None or mask.size().toTuple() != (state.width, state.height):
            mask = blank_mask(state.width, state.height)
        self._apply_mask_region(QRect(0, 0, state.width, state.height),
                                mask.convertToFormat(QImage.Format.Format_Grayscale8))
        self._apply_base(state.base)
        for index, box in enumerate(state.boxes):
            self._apply_insert_box(index, box)
        self._apply_prompts(state.scene_prompt, state.pinned_prompt)
        self.undo_stack.clear()
        self.undo_stack.setClean()

    def resize_blank_page(self, width: int, height: int) -> None:
        """A page with nothing on it follows the size picker, without an undo step."""
        self._apply_size(width, height)

    # -- changing: called by commands only --

    def _apply_size(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        if self.mask.size().toTuple() != (width, height):
            self.mask = self.mask.scaled(width, height)
        self.sizeChanged.emit(width, height)

    def _apply_base(self, base: Document | None) -> None:
        self.base = base
        self.baseChanged.emit()

    def _apply_insert_box(self, index: int, box: TextBox) -> None:
        self.boxes.insert(index, box)
        self.boxAdded.emit(box.id)

    def _apply_box(self, box: TextBox) -> None:
        self.boxes[self.box_index(box.id)] = box
        self.boxChanged.emit(box.id)

    def _apply_remove_box(self, box_id: str) -> TextBox:
        box = self.boxes.pop(self.box_index(box_id))
        self.boxRemoved.emit(box_id)
        return box

    def _apply_order(self, ids: list[str]) -> None:
        by_id = {b.id: b for b in self.boxes}
        self.boxes = [by_id[i] for i in ids]
        self.boxesReordered.emit()

    def _apply_mask_region(self, rect: QRect, pixels: QImage) -> None:
        """Paste `pixels` (Grayscale8, rect-sized) into the mask at rect's top-left."""
        from PySide6.QtGui import QPainter

        painter = QPainter(self.mask)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        painter.drawImage(rect.topLeft(), pixels)
        painter.end()
        self.maskChanged.emit(rect)

    def _apply_prompts(self, scene: str, pinned: str | None) -> None:
        self.settings.prompt, self.pinned_prompt = scene, pinned
        self.promptsChanged.emit()
