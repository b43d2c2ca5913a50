"""A single click on a history thumbnail shows that result on the canvas without changing the
document; Esc or a click on the canvas returns; a double-click opens it as before."""

from PySide6.QtCore import Qt

from test_generation import generate_and_wait


def shows(canvas, item) -> bool:
    shown = canvas.shown_image()
    return shown is not None and shown.convertToFormat(item.qimage.format()) == item.qimage


def click_thumbnail(qtbot, window, item, double=False):
    panel = window.history_panel
    rect = panel.view.visualRect(window.history.index(window.history.row_of(item)))
    click = qtbot.mouseDClick if double else qtbot.mouseClick
    if double:
        qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    click(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_single_click_previews_a_result_and_esc_or_a_canvas_click_returns(demo_window, qtbot):
    window = demo_window
    first = generate_and_wait(qtbot, window)
    second = generate_and_wait(qtbot, window)
    canvas, doc = window.canvas, window.doc
    steps = doc.undo_stack.count()
    assert shows(canvas, second) and canvas.caption == ""

    click_thumbnail(qtbot, window, first)
    assert shows(canvas, first)  # visible at once
    assert "Preview of result" in canvas.caption and "Esc" in canvas.caption
    assert doc.base.history_id == second.id and doc.undo_stack.count() == steps  # not an edit

    qtbot.keyClick(window.history_panel.view, Qt.Key.Key_Escape)
    assert shows(canvas, second) and canvas.caption == ""

    click_thumbnail(qtbot, window, first)
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.viewport().rect().center())
    assert shows(canvas, second) and canvas.caption == ""
    assert doc.undo_stack.count() == steps  # the click did nothing else (no box, no stroke)

    click_thumbnail(qtbot, window, first, double=True)  # opens it, as before
    assert doc.base.history_id == first.id and shows(canvas, first)
    assert canvas.caption == "" and doc.undo_stack.undoText() == "Open result"
