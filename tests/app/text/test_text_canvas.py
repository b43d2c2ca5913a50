"""Text boxes on the canvas, with real widgets and mouse events: create with the text tool, move
(snapping, Alt), resize, rotate, edit inline, delete, and undo each step."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from text_helpers import ALT, commit_text, double_click, drag, move, press, release, screen_px, text_tools

from app.document.commands import AddBox
from glm_core.project.textbox import TextBox


@pytest.fixture
def setup(make_window, qtbot):
    window = make_window(source=None)
    tools = text_tools(window)
    qtbot.waitExposed(window)
    return window, tools, tools.doc, window.canvas


def add(doc, box: TextBox) -> TextBox:
    doc.undo_stack.push(AddBox(doc, box))
    return box


def test_bundled_font_is_default_and_tools_have_shortcuts(setup, qtbot):
    window, tools, doc, canvas = setup
    assert tools.font_family == "Studio Sans CJK"
    assert canvas.tool is tools.select_tool  # Select is the starting tool
    window.activateWindow()
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_T)
    assert canvas.tool is tools.text_tool and tools.text_action.isChecked()
    qtbot.keyClick(canvas, Qt.Key.Key_V)
    assert canvas.tool is tools.select_tool


def test_drag_with_text_tool_creates_box_and_types_inline(setup, qtbot):
    window, tools, doc, canvas = setup
    tools.text_action.trigger()
    drag(canvas, (200, 150), (700, 300), modifiers=ALT)  # Alt: no snapping
    assert len(doc.boxes) == 1
    box = doc.boxes[0]
    one = screen_px(canvas, 1)
    assert (box.x, box.y) == pytest.approx((200, 150), abs=one)
    assert (box.width, box.height) == pytest.approx((500, 150), abs=2 * one)
    assert box.font_family == "" and box.role == "title"  # "" = the bundled default font
    assert canvas.tool is tools.select_tool  # back to Select after a box is made
    assert tools.layer.editing  # it opens for typing, placeholder selected
    qtbot.keyClicks(canvas, "Jazz Night")  # Space must type a space, not start a pan
    qtbot.keyClick(canvas, Qt.Key.Key_Return)  # a new line
    commit_text(canvas, "爵士")  # CJK, as an input method commits it
    qtbot.keyClick(canvas, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # done
    assert not tools.layer.editing
    assert doc.boxes[0].text == "Jazz Night\n爵士"
    assert tools.selection.current == box.id
    doc.undo_stack.undo()  # the text
    assert doc.boxes[0].text == "Title"
    doc.undo_stack.undo()  # the box
    assert doc.boxes == []


def test_escape_while_typing_in_a_new_box_keeps_the_text(setup, qtbot):
    """Esc used to throw the typing away and leave the placeholder "Title", with no hint."""
    window, tools, doc, canvas = setup
    tools.text_action.trigger()
    drag(canvas, (200, 150), (700, 300), modifiers=ALT)
    qtbot.keyClicks(canvas, "Blue Note")
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert not tools.layer.editing
    assert doc.boxes[0].text == "Blue Note"
    doc.undo_stack.undo()  # Ctrl+Z takes the typing back to the placeholder
    assert doc.boxes[0].text == "Title"


def test_click_without_drag_makes_a_default_box(setup):
    window, tools, doc, canvas = setup
    tools.text_action.trigger()
    press(canvas, (500, 500))
    release(canvas, (500, 500))
    box = doc.boxes[0]
    assert box.width == pytest.approx(doc.width * 0.5)
    assert box.x + box.width / 2 == pytest.approx(500, abs=screen_px(canvas, 1))
    tools.layer.cancel_edit()
    assert doc.boxes[0].text == "Title"


def test_move_snaps_centre_and_alt_disables(setup):
    window, tools, doc, canvas = setup
    centre = doc.width / 2
    box = add(doc, TextBox("A", 100, 100, 200, 80))
    near = screen_px(canvas, 4)  # 4 screen px from the centre line: inside the 6 px threshold
    start = (200, 140)
    # The box centre (x 200) would land `near` short of the canvas centre line.
    drag(canvas, start, (centre - near, start[1] + 200))
    moved = doc.box(box.id)
    assert moved.x + moved.width / 2 == pytest.approx(centre)
    assert moved.y == pytest.approx(300, abs=screen_px(canvas, 1))
    assert tools.layer.frame.guides == ((), ())  # guides go away on release
    assert doc.undo_stack.count() == 2  # the whole drag is one step
    doc.undo_stack.undo()
    assert (doc.box(box.id).x, doc.box(box.id).y) == (100, 100)

    drag(canvas, start, (centre - near, start[1]), modifiers=ALT)
    free = doc.box(box.id)
    assert free.x + free.width / 2 == pytest.approx(centre - near, abs=screen_px(canvas, 1))


def test_guides_show_while_snapping(setup):
    window, tools, doc, canvas = setup
    centre = doc.width / 2
    add(doc, TextBox("A", 100, 100, 200, 80))
    press(canvas, (200, 140))
    move(canvas, (centre - screen_px(canvas, 3), 141))
    assert centre in tools.layer.frame.guides[0]
    release(canvas, (centre, 141))


def test_two_drags_are_two_undo_steps(setup):
    window, tools, doc, canvas = setup
    box = add(doc, TextBox("A", 100, 100, 200, 80))
    drag(canvas, (200, 140), (250, 340), modifiers=ALT)
    drag(canvas, (250, 340), (250, 440), modifiers=ALT)
    doc.undo_stack.undo()
    assert doc.box(box.id).y == pytest.approx(300, abs=screen_px(canvas, 1))


def test_resize_from_corner_handle_and_undo(setup):
    window, tools, doc, canvas = setup
    box = add(doc, TextBox("A", 100, 100, 200, 80))
    press(canvas, (200, 140))  # select
    release(canvas, (200, 140))
    drag(canvas, (300, 180), (420, 260), modifiers=ALT)  # bottom-right handle
    resized = doc.box(box.id)
    assert (resized.x, resized.y) == pytest.approx((100, 100), abs=screen_px(canvas, 1))
    assert (resized.width, resized.height) == pytest.approx((320, 160), abs=screen_px(canvas, 1))
    assert doc.undo_stack.undoText() == "Resize text box"
    doc.undo_stack.undo()
    assert doc.box(box.id) == box


def test_rotate_handle_turns_the_box(setup):
    window, tools, doc, canvas = setup
    box = add(doc, TextBox("A", 100, 100, 200, 80))
    press(canvas, (200, 140))
    release(canvas, (200, 140))
    handle = (200, 100 - screen_px(canvas, 26))  # above the top edge's middle
    drag(canvas, handle, (400, 140))  # to the right of the centre: a quarter turn
    assert doc.box(box.id).rotation == pytest.approx(90)
    assert doc.undo_stack.undoText() == "Rotate text box"


def test_locked_box_does_not_move_and_hidden_is_not_hit(setup):
    window, tools, doc, canvas = setup
    locked = add(doc, TextBox("L", 100, 100, 200, 80, locked=True))
    hidden = add(doc, TextBox("H", 500, 500, 200, 80, visible=False))
    drag(canvas, (200, 140), (400, 400))
    assert doc.box(locked.id) == locked
    assert tools.selection.current == locked.id  # selectable, not movable
    press(canvas, (600, 540))
    release(canvas, (600, 540))
    assert tools.selection.current == ""
    assert not tools.layer.items[hidden.id].isVisible()


def test_delete_key_removes_and_undo_restores(setup, qtbot):
    window, tools, doc, canvas = setup
    box = add(doc, TextBox("A", 100, 100, 200, 80))
    press(canvas, (200, 140))
    release(canvas, (200, 140))
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert doc.boxes == []
    doc.undo_stack.undo()
    assert doc.boxes == [box]


def test_double_click_edits_text_inline_and_escape_keeps_the_text_as_one_undo_step(setup, qtbot):
    window, tools, doc, canvas = setup
    box = add(doc, TextBox("Old", 100, 100, 300, 100))
    double_click(canvas, (250, 150))
    assert tools.layer.editing
    editor = tools.layer.editor
    editor.select_all()
    commit_text(canvas, "新年快乐")
    qtbot.keyClicks(canvas, " 2025")
    assert editor.text() == "新年快乐 2025"
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert not tools.layer.editing and doc.box(box.id).text == "新年快乐 2025"
    assert doc.undo_stack.undoText() == "Edit text"
    doc.undo_stack.undo()
    assert doc.box(box.id).text == "Old"

    double_click(canvas, (250, 150))
    tools.layer.editor.select_all()
    qtbot.keyClicks(canvas, "New")
    press(canvas, (800, 800))  # clicking elsewhere finishes the edit
    release(canvas, (800, 800))
    assert doc.box(box.id).text == "New"
    assert doc.undo_stack.undoText() == "Edit text"
    doc.undo_stack.undo()
    assert doc.box(box.id).text == "Old"


def test_shortcut_letters_type_into_the_editor(setup, qtbot):
    window, tools, doc, canvas = setup
    add(doc, TextBox("x", 100, 100, 300, 100))
    double_click(canvas, (250, 150))
    tools.layer.editor.select_all()
    qtbot.keyClicks(canvas, "TV")  # T and V are tool shortcuts everywhere else
    assert tools.layer.editor.text() == "TV"
    assert canvas.tool is tools.select_tool


def test_items_follow_the_document(setup):
    window, tools, doc, canvas = setup
    back = add(doc, TextBox("back", 100, 100, 200, 80))
    front = add(doc, TextBox("front", 100, 100, 200, 80))
    items = tools.layer.items
    assert items[front.id].zValue() > items[back.id].zValue()
    assert tools.layer.box_at(150, 120) == front.id  # the front box gets the click
    doc.undo_stack.undo()
    assert front.id not in items


def test_mask_tool_takes_the_canvas_and_select_comes_back(setup, qtbot):
    window, tools, doc, canvas = setup
    mask = window.mask_tools
    brush = next(iter(mask.actions.tools.values()))
    brush.setChecked(True)
    qtbot.waitUntil(lambda: not tools.select_action.isChecked())
    assert canvas.tool is not tools.select_tool
    brush.setChecked(False)
    qtbot.waitUntil(lambda: canvas.tool is tools.select_tool)
    assert tools.select_action.isChecked()
