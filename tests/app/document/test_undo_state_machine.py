"""Random sequences of every document command, undo and redo: the state at each undo-stack index
is exact (size, boxes, mask bytes, base, prompts), so undoing to the start gives the initial
document back and redoing to the end the final one."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from PIL import Image
from PySide6.QtCore import QRect

from app.document.commands import AddBox, EditBox, EditMask, RemoveBox, ReorderBoxes, ResizeCanvas, SetBase, SetPrompts
from app.document.base_image import Document
from app.document.model import DocumentModel
from app.ui.images import pil_to_qimage, qimage_to_pil
from glm_core.generation.recipe import Recipe
from glm_core.project.textbox import ALIGNMENTS, ROLES, TextBox

SIDES = (16, 24, 40)
texts = st.text(alphabet="AB c“”é字", max_size=6)
coords = st.integers(-20, 60).map(float)


def snapshot(doc: DocumentModel):
    mask = qimage_to_pil(doc.mask)
    return (doc.size, tuple(doc.boxes), mask.size, mask.tobytes(), doc.base, doc.scene_prompt, doc.pinned_prompt)


def make_base(width: int, height: int, seed: int) -> Document:
    image = Image.frombytes("RGB", (width, height), random.Random(seed).randbytes(width * height * 3))
    recipe = Recipe(f"poster {seed}", seed, 2, 1.5, width, height)
    return Document(image, pil_to_qimage(image), recipe if seed % 2 else None)


class DocumentCommands(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.doc = DocumentModel(24, 16)
        self.stack = self.doc.undo_stack
        self.states = [snapshot(self.doc)]  # states[i]: the document at undo-stack index i

    # -- helpers --

    def push(self, command) -> None:
        index = self.stack.index()
        self.stack.push(command)
        if self.stack.index() == index:  # merged into the command below
            del self.states[index + 1:]
            self.states[index] = snapshot(self.doc)
        else:
            assert self.stack.index() == index + 1
            del self.states[index + 1:]
            self.states.append(snapshot(self.doc))

    def pick_box(self, data) -> TextBox:
        return data.draw(st.sampled_from(self.doc.boxes), label="box")

    # -- edits --

    @rule(text=texts, x=coords, y=coords, w=st.integers(1, 30), h=st.integers(1, 30), role=st.sampled_from(ROLES),
          data=st.data())
    def add_box(self, text, x, y, w, h, role, data):
        index = data.draw(st.none() | st.integers(0, len(self.doc.boxes)), label="index")
        self.push(AddBox(self.doc, TextBox(text, x, y, float(w), float(h), role=role), index))

    @precondition(lambda self: self.doc.boxes)
    @rule(data=st.data(), dx=st.integers(-5, 5), dy=st.integers(-5, 5), gesture=st.sampled_from([None, 1, 2]))
    def move_box(self, data, dx, dy, gesture):
        box = self.pick_box(data)
        self.push(EditBox(self.doc, replace(box, x=box.x + dx, y=box.y + dy), "move", gesture=gesture))

    @precondition(lambda self: self.doc.boxes)
    @rule(data=st.data(), kind=st.sampled_from(["text", "style", "resize"]), text=texts,
          align=st.sampled_from(ALIGNMENTS), weight=st.sampled_from([300, 700]), w=st.integers(1, 30))
    def edit_box(self, data, kind, text, align, weight, w):
        box = self.pick_box(data)
        after = {"text": replace(box, text=text), "style": replace(box, align=align, weight=weight),
                 "resize": replace(box, width=float(w))}[kind]
        self.push(EditBox(self.doc, after, kind))

    @precondition(lambda self: self.doc.boxes)
    @rule(data=st.data())
    def remove_box(self, data):
        self.push(RemoveBox(self.doc, self.pick_box(data).id))

    @precondition(lambda self: len(self.doc.boxes) > 1)
    @rule(data=st.data())
    def reorder(self, data):
        ids = data.draw(st.permutations([b.id for b in self.doc.boxes]), label="order")
        self.push(ReorderBoxes(self.doc, ids))

    @rule(data=st.data(), seed=st.integers(0, 2**16))
    def mask_stroke(self, data, seed):
        width, height = self.doc.size
        x, y = data.draw(st.integers(0, width - 1), label="x"), data.draw(st.integers(0, height - 1), label="y")
        w, h = data.draw(st.integers(1, width - x), label="w"), data.draw(st.integers(1, height - y), label="h")
        rect = QRect(x, y, w, h)
        after = pil_to_qimage(Image.frombytes("L", (w, h), random.Random(seed).randbytes(w * h)))
        self.push(EditMask(self.doc, rect, self.doc.mask.copy(rect), after))

    @rule(size=st.none() | st.tuples(st.sampled_from(SIDES), st.sampled_from(SIDES)), seed=st.integers(0, 99))
    def set_base(self, size, seed):
        self.push(SetBase(self.doc, None if size is None else make_base(*size, seed)))

    @rule(width=st.sampled_from(SIDES), height=st.sampled_from(SIDES))
    def resize_canvas(self, width, height):
        self.push(ResizeCanvas(self.doc, width, height))

    @rule(scene=texts, pinned=st.none() | texts)
    def set_prompts(self, scene, pinned):
        self.push(SetPrompts(self.doc, scene, pinned))

    # -- undo / redo --

    @precondition(lambda self: self.stack.canUndo())
    @rule()
    def undo(self):
        self.stack.undo()

    @precondition(lambda self: self.stack.canRedo())
    @rule()
    def redo(self):
        self.stack.redo()

    @rule()
    def undo_all_then_redo_all(self):
        index = self.stack.index()
        while self.stack.canUndo():
            self.stack.undo()
        assert snapshot(self.doc) == self.states[0]  # exactly the initial document
        while self.stack.canRedo():
            self.stack.redo()
        assert snapshot(self.doc) == self.states[-1]  # exactly the final one
        self.stack.setIndex(index)

    @invariant()
    def state_matches_the_stack_index(self):
        assert len(self.states) == self.stack.count() + 1
        assert snapshot(self.doc) == self.states[self.stack.index()]
        assert self.doc.mask.size().toTuple() == self.doc.size

    def teardown(self):
        self.undo_all_then_redo_all()
        self.doc.deleteLater()


def test_random_command_sequences_undo_and_redo_exactly(qapp):
    run_state_machine_as_test(DocumentCommands, settings=settings(
        max_examples=80, stateful_step_count=40, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
