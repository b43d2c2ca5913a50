"""Arrange ▸ Align and Distribute for the selected text boxes: the menu, the Layers dock's buttons,
and the commands the Select tool's group moves and nudges push. The arithmetic is glm_core's
(glm_core/project/arrange.py), the same `python main.py project align|distribute` runs.

Every action is one ArrangeBoxes step named after what it did ("Align left (3 boxes)").
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

from app.document.commands import ArrangeBoxes, RemoveBox
from app.document.model import DocumentModel
from app.text.layer import TextLayer
from app.ui.resources import icon
from glm_core.project.arrange import ALIGN_EDGES, ALIGN_NAMES, MIN_TO_DISTRIBUTE, align, distribute
from glm_core.project.textbox import TextBox

_DISTRIBUTE_NAMES = {"x": "Distribute horizontally", "y": "Distribute vertically"}


def push_arrange(document: DocumentModel, after: list[TextBox], text: str, gesture: int | None = None) -> bool:
    """Push the boxes that changed as one step; nothing (False) when none moved."""
    changed = [box for box in after if box != document.box(box.id)]
    if changed:
        document.undo_stack.push(ArrangeBoxes(document, changed, text, gesture))
    return bool(changed)


def delete_boxes(document: DocumentModel, boxes: list[TextBox]) -> None:
    """Delete the unlocked boxes among `boxes` as one undo step."""
    doomed = [b for b in boxes if not b.locked]
    if len(doomed) == 1:
        document.undo_stack.push(RemoveBox(document, doomed[0].id))
    elif doomed:
        document.undo_stack.beginMacro(f"Delete {len(doomed)} text boxes")
        for box in doomed:
            document.undo_stack.push(RemoveBox(document, box.id))
        document.undo_stack.endMacro()


class ArrangeActions(QObject):
    """The Align and Distribute actions, enabled only when they can do something: align with one
    box selected lines it up with the canvas, with several with their common outline; distribute
    needs three or more."""

    def __init__(self, window: QMainWindow, layer: TextLayer):
        super().__init__(window)
        self.layer = layer
        self.align: dict[str, QAction] = {}
        for edge in ALIGN_EDGES:
            action = QAction(icon(f"align-{edge}"), ALIGN_NAMES[edge], window)
            action.setObjectName(f"align_{edge}")
            action.triggered.connect(lambda _=False, edge=edge: self.align_to(edge))
            self.align[edge] = action
        self.distribute: dict[str, QAction] = {}
        for axis, name in _DISTRIBUTE_NAMES.items():
            action = QAction(icon(f"distribute-{axis}"), name, window)
            action.setObjectName(f"distribute_{axis}")
            action.setToolTip(f"{name}: equal gaps between 3 or more selected boxes")
            action.triggered.connect(lambda _=False, axis=axis: self.distribute_along(axis))
            self.distribute[axis] = action
        layer.selection.idsChanged.connect(self.update_enabled)
        layer.document.boxChanged.connect(self.update_enabled)  # a box locked or unlocked
        self.update_enabled()

    def all_actions(self) -> list[QAction]:
        return [*self.align.values(), *self.distribute.values()]

    def rows(self) -> list[list[QAction]]:
        """Side to side, then top to bottom: for a compact block of buttons."""
        a, d = self.align, self.distribute
        return [[a["left"], a["hcenter"], a["right"], d["x"]], [a["top"], a["vmiddle"], a["bottom"], d["y"]]]

    def build_menu(self, parent: QMainWindow) -> QMenu:
        menu = QMenu("&Arrange", parent)
        menu.setObjectName("arrangeMenu")
        menu.addActions(list(self.align.values()))
        menu.addSeparator()
        menu.addActions(list(self.distribute.values()))
        return menu

    def update_enabled(self, *_args) -> None:
        boxes = self.layer.selected_boxes()
        movable = any(not b.locked for b in boxes)
        target = "the canvas" if len(boxes) == 1 else "each other"
        for edge, action in self.align.items():
            action.setEnabled(movable)
            action.setToolTip(f"{ALIGN_NAMES[edge]} of the selected boxes with {target}")
        for action in self.distribute.values():
            action.setEnabled(movable and len(boxes) >= MIN_TO_DISTRIBUTE)

    def align_to(self, edge: str) -> bool:
        boxes = self.layer.selected_boxes()
        if not boxes:
            return False
        where = "to canvas" if len(boxes) == 1 else f"({len(boxes)} boxes)"
        doc = self.layer.document
        return push_arrange(doc, align(boxes, edge, doc.size), f"{ALIGN_NAMES[edge]} {where}")

    def distribute_along(self, axis: str) -> bool:
        boxes = self.layer.selected_boxes()
        if len(boxes) < MIN_TO_DISTRIBUTE:
            return False
        return push_arrange(self.layer.document, distribute(boxes, axis),
                            f"{_DISTRIBUTE_NAMES[axis]} ({len(boxes)} boxes)")
