"""Several text boxes at once on the canvas, with real mouse and keys: rubber band and
Shift/Ctrl+click select, Arrange ▸ Align / Distribute, moving and nudging the group — each action
one named undo step, the menu and Layers buttons enabled only when they can act."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu
from text_helpers import ALT, drag, press, release, screen_px, window_with_boxes

from app.document.commands import AddBox, ArrangeBoxes
from app.document.model import DocumentModel
from glm_core.project.textbox import TextBox

SHIFT, CTRL = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def setup(make_window, qtbot):
    boxes = [TextBox("JAZZ", 100, 100, 300, 80), TextBox("NIGHT", 250, 300, 200, 60),
             TextBox("爵士", 600, 600, 120, 120)]
    window, tools, doc = window_with_boxes(make_window, qtbot, boxes)
    return window, tools, doc, window.canvas, [b.id for b in boxes]


def xs(doc):
    return [b.x for b in doc.boxes]


def test_arrange_boxes_is_one_step_that_undoes_every_box(qapp):
    doc = DocumentModel(512, 512)
    a, b = TextBox("A", 10, 10, 50, 20), TextBox("B", 100, 100, 50, 20)
    for box in (a, b):
        doc.undo_stack.push(AddBox(doc, box))
    doc.undo_stack.push(ArrangeBoxes(doc, [replace(a, x=0), replace(b, x=0)], "Align left (2 boxes)"))
    assert [x.x for x in doc.boxes] == [0, 0]
    assert doc.undo_stack.undoText() == "Align left (2 boxes)"
    doc.undo_stack.undo()
    assert doc.boxes == [a, b]
    doc.undo_stack.redo()
    assert [x.x for x in doc.boxes] == [0, 0]


def test_one_gesture_of_a_group_drag_merges_into_one_step(qapp):
    doc = DocumentModel(512, 512)
    a, b = TextBox("A", 10, 10, 50, 20), TextBox("B", 100, 100, 50, 20)
    for box in (a, b):
        doc.undo_stack.push(AddBox(doc, box))
    for dx in (5, 10, 15):
        doc.undo_stack.push(ArrangeBoxes(doc, [replace(a, x=10 + dx), replace(b, x=100 + dx)], "Move 2 text boxes", 7))
    doc.undo_stack.push(ArrangeBoxes(doc, [replace(a, x=0), replace(b, x=0)], "Move 2 text boxes", 8))
    assert doc.undo_stack.count() == 4  # two adds, one drag, another drag
    doc.undo_stack.undo()
    assert [x.x for x in doc.boxes] == [25, 115]
    doc.undo_stack.undo()
    assert doc.boxes == [a, b]


def test_rubber_band_and_shift_click_select_several_boxes(setup):
    window, tools, doc, canvas, ids = setup
    drag(canvas, (50, 50), (300, 320))  # touches JAZZ and NIGHT, not 爵士
    assert set(tools.selection.ids) == set(ids[:2])
    assert tools.layer.frame.box is None and len(tools.layer.frame.group) == 2  # outlines, no handles
    press(canvas, (650, 650), SHIFT)
    release(canvas, (650, 650), SHIFT)
    assert set(tools.selection.ids) == set(ids)
    press(canvas, (300, 330), CTRL)  # Ctrl+click takes NIGHT out again
    release(canvas, (300, 330), CTRL)
    assert set(tools.selection.ids) == {ids[0], ids[2]}
    press(canvas, (900, 50))  # the empty canvas clears it
    release(canvas, (900, 50))
    assert tools.selection.ids == ()


def test_align_and_distribute_from_the_menu_are_named_steps(setup):
    window, tools, doc, canvas, ids = setup
    arrange = tools.arrange
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.index("&Arrange") == titles.index("&View") - 1
    menu = window.findChild(QMenu, "arrangeMenu")
    assert len([a for a in menu.actions() if not a.isSeparator()]) == 8
    assert not arrange.align["left"].isEnabled() and not arrange.distribute["x"].isEnabled()  # nothing selected
    tools.selection.set_many(ids[:2])
    assert arrange.align["left"].isEnabled() and not arrange.distribute["x"].isEnabled()  # two: no gaps to even
    arrange.align["left"].trigger()
    assert xs(doc) == [100, 100, 600]
    assert doc.undo_stack.undoText() == "Align left (2 boxes)"
    tools.selection.set_many(ids)
    arrange.distribute["y"].trigger()  # 100-180, 300-360, 600-720: gaps of (720-100-260)/2 = 180
    assert [b.y for b in doc.boxes] == [100, 360, 600]
    assert doc.undo_stack.undoText() == "Distribute vertically (3 boxes)"
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert xs(doc) == [100, 250, 600] and [b.y for b in doc.boxes] == [100, 300, 600]


def test_one_box_aligns_with_the_canvas(setup):
    window, tools, doc, canvas, ids = setup
    tools.selection.set(ids[2])
    tools.arrange.align["right"].trigger()
    assert doc.boxes[2].x == doc.size[0] - 120
    assert doc.undo_stack.undoText() == "Align right to canvas"


def test_the_layers_dock_has_the_arrange_buttons(setup):
    window, tools, doc, canvas, ids = setup
    from PySide6.QtWidgets import QToolButton

    buttons = [b for b in tools.layers_panel.findChildren(QToolButton) if b.defaultAction() in tools.arrange.all_actions()]
    assert len(buttons) == 8 and all(not b.icon().isNull() for b in buttons)
    assert not any(b.isEnabled() for b in buttons)
    tools.selection.set_many(ids)
    assert all(b.isEnabled() for b in buttons)


def test_dragging_one_of_several_moves_them_together_as_one_step(setup):
    window, tools, doc, canvas, ids = setup
    tools.selection.set_many(ids[:2])
    steps = doc.undo_stack.count()
    drag(canvas, (200, 140), (230, 190), modifiers=ALT)  # Alt: no snapping
    near = screen_px(canvas, 2)
    assert xs(doc)[:2] == pytest.approx([130, 280], abs=near)
    assert [b.y for b in doc.boxes][:2] == pytest.approx([150, 350], abs=near)
    assert doc.boxes[2].x == 600  # not selected, not moved
    assert doc.undo_stack.count() == steps + 1 and doc.undo_stack.undoText() == "Move 2 text boxes"
    assert set(tools.selection.ids) == set(ids[:2])  # still both


def test_arrow_keys_nudge_the_group_shift_by_ten(setup, qtbot):
    window, tools, doc, canvas, ids = setup
    tools.selection.set_many(ids)
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    qtbot.keyClick(canvas, Qt.Key.Key_Down, SHIFT)
    assert xs(doc) == [101, 251, 601] and [b.y for b in doc.boxes] == [110, 310, 610]
    assert doc.undo_stack.undoText() == "Nudge 3 text boxes"
    doc.undo_stack.undo()
    assert [b.y for b in doc.boxes] == [100, 300, 600]


def test_locked_boxes_stay_put_and_delete_removes_the_others_as_one_step(setup, qtbot):
    window, tools, doc, canvas, ids = setup
    from app.document.commands import EditBox

    doc.undo_stack.push(EditBox(doc, replace(doc.box(ids[2]), locked=True), "lock"))
    tools.selection.set_many(ids)
    tools.arrange.align["left"].trigger()
    assert xs(doc) == [100, 100, 600]
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert [b.id for b in doc.boxes] == [ids[2]]
    assert doc.undo_stack.undoText() == "Delete 2 text boxes"
    doc.undo_stack.undo()
    assert len(doc.boxes) == 3


def test_ctrl_click_in_layers_adds_to_the_selection(setup, qtbot):
    window, tools, doc, canvas, ids = setup
    panel = tools.layers_panel
    tools.selection.set(ids[0])
    listed = panel.ids()  # front to back
    row = panel.list.visualItemRect(panel.list.item(listed.index(ids[1])))
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, CTRL, row.center())
    assert set(tools.selection.ids) == {ids[0], ids[1]}
    assert tools.arrange.align["left"].isEnabled()
