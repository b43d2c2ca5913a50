"""Each document edit on its own: redo applies it, undo restores the exact previous state."""

from __future__ import annotations

from dataclasses import replace

from PIL import Image
from PySide6.QtCore import QRect
from PySide6.QtGui import QImage

from app.document.commands import AddBox, EditBox, EditMask, RemoveBox, ReorderBoxes, ResizeCanvas, SetBase, SetPrompts
from app.document.base_image import Document
from app.document.model import DocumentModel
from app.ui.images import pil_to_qimage, qimage_to_pil
from glm_core.generation.recipe import Recipe
from glm_core.project.textbox import TextBox


def snapshot(doc: DocumentModel):
    return (doc.size, list(doc.boxes), qimage_to_pil(doc.mask).tobytes(), doc.base, doc.scene_prompt, doc.pinned_prompt)


def test_box_commands_undo_and_redo(qapp):
    doc = DocumentModel(256, 256)
    stack = doc.undo_stack
    start = snapshot(doc)
    title, caption = TextBox("TITLE", 10, 10, 200, 40), TextBox("caption", 10, 200, 100, 20, role="caption")
    stack.push(AddBox(doc, title))
    stack.push(AddBox(doc, caption))
    stack.push(EditBox(doc, replace(title, text="NEW TITLE"), "text"))
    stack.push(ReorderBoxes(doc, [caption.id, title.id]))
    stack.push(RemoveBox(doc, caption.id))
    assert [b.text for b in doc.boxes] == ["NEW TITLE"]
    while stack.canUndo():
        stack.undo()
    assert snapshot(doc) == start
    while stack.canRedo():
        stack.redo()
    assert [b.text for b in doc.boxes] == ["NEW TITLE"]


def test_consecutive_moves_of_one_box_merge_into_one_step(qapp):
    doc = DocumentModel(256, 256)
    box = TextBox("A", 0, 0, 50, 20)
    doc.undo_stack.push(AddBox(doc, box))
    for step in range(1, 6):
        doc.undo_stack.push(EditBox(doc, replace(box, x=step * 10), "move"))
    assert doc.undo_stack.count() == 2 and doc.box(box.id).x == 50
    doc.undo_stack.undo()
    assert doc.box(box.id).x == 0


def test_mask_stroke_and_canvas_changes_restore_exact_pixels(qapp):
    doc = DocumentModel(64, 64)
    start = snapshot(doc)
    rect = QRect(8, 8, 16, 16)
    before = doc.mask.copy(rect)
    after = QImage(16, 16, QImage.Format.Format_Grayscale8)
    after.fill(255)
    doc.undo_stack.push(EditMask(doc, rect, before, after))
    assert not doc.mask_is_empty()
    image = Image.new("RGB", (96, 64), "red")
    base = Document(image, pil_to_qimage(image), Recipe("p", 1, 2, 1.5, 96, 64))
    doc.undo_stack.push(SetBase(doc, base))
    assert doc.size == (96, 64)
    doc.undo_stack.push(ResizeCanvas(doc, 128, 128))
    doc.undo_stack.push(SetPrompts(doc, "scene", "pinned"))
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert snapshot(doc) == start
