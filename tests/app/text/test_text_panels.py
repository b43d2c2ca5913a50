"""The Text, Layers and Layout docks: edits become commands, the list follows the document, the
composed prompt is live, pinning, and what Generate sends."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent, QFont
from PySide6.QtWidgets import QApplication
from text_helpers import press, release, text_tools, window_with_boxes

from app.document.commands import AddBox
from app.text.layers_panel import toggle_rects
from glm_core.project.textbox import TextBox


@pytest.fixture
def setup(make_window, qtbot):
    title = TextBox("SUMMER JAZZ", 100, 80, 800, 150, role="title")
    sub = TextBox("夏日爵士", 200, 300, 600, 90, role="subtitle", weight=400)
    window, tools, doc = window_with_boxes(make_window, qtbot, (title, sub))
    return window, tools, doc, title, sub


# -- Text panel --

def test_text_panel_shows_selection_and_edits_through_commands(setup, qtbot):
    window, tools, doc, title, sub = setup
    panel = tools.text_panel
    assert not panel.fields.isEnabled()
    tools.selection.set(title.id)
    assert panel.fields.isEnabled() and panel.text.toPlainText() == "SUMMER JAZZ"
    assert panel.font_box.currentFont().family() == "Studio Sans CJK"

    panel.text.setFocus()
    panel.text.selectAll()
    qtbot.keyClicks(panel.text, "BLUE")
    assert doc.box(title.id).text == "BLUE"
    panel.role.setCurrentIndex(2)  # body
    panel.weight.setCurrentIndex(0)  # thin
    panel.set_color("#ff0000")
    panel.align.button(0).click()  # left
    panel.size_w.setValue(640)
    edited = doc.box(title.id)
    assert (edited.role, edited.weight, edited.color) == ("body", 100, "#ff0000")
    assert (edited.align, edited.width) == ("left", 640)
    assert panel.color.text() == "#FF0000"
    for _ in range(6):  # typing merged into one step; then role, weight, colour, align, size
        doc.undo_stack.undo()
    assert doc.box(title.id) == title
    assert panel.text.toPlainText() == "SUMMER JAZZ"  # the panel follows undo


def test_text_panel_font_choice_words_the_prompt_by_the_fonts_look_never_its_name(setup):
    window, tools, doc, title, sub = setup
    tools.selection.set(title.id)
    panel = tools.text_panel
    panel.font_box.setCurrentFont(QFont("DejaVu Serif"))
    assert doc.box(title.id).font_family == "DejaVu Serif"  # the family stays on the box (project, recipe)
    prompt = tools.preview.view.toPlainText()
    assert "set in a classic serif typeface" in prompt and "DejaVu" not in prompt
    panel.font_box.setCurrentFont(QFont("DejaVu Sans Mono"))
    assert "set in a monospaced typeface" in tools.preview.view.toPlainText()
    panel.font_box.setCurrentFont(QFont("Studio Sans CJK"))
    assert (doc.box(title.id).font_family, doc.box(title.id).font_style) == ("", "")
    assert "typeface" not in tools.preview.view.toPlainText()


def test_colour_button_opens_a_dialog_that_sets_the_colour(setup, qtbot):
    window, tools, doc, title, sub = setup
    tools.selection.set(sub.id)
    panel = tools.text_panel
    qtbot.mouseClick(panel.color, Qt.MouseButton.LeftButton)
    dialog = panel.color_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setCurrentColor(QColor("#00ff00"))
    dialog.accept()
    assert doc.box(sub.id).color == "#00ff00"


# -- Layers panel --

def _row_rect(panel, row):
    return panel.list.visualItemRect(panel.list.item(row))


def test_layers_list_front_to_back_and_selection_sync(setup, qtbot):
    window, tools, doc, title, sub = setup
    panel = tools.layers_panel
    assert panel.ids() == [sub.id, title.id]  # front first
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=_row_rect(panel, 1).center())
    assert tools.selection.current == title.id
    press(window.canvas, (500, 340))  # the subtitle on the canvas
    release(window.canvas, (500, 340))
    assert panel.list.currentRow() == 0


def test_layers_toggles_visibility_and_lock(setup, qtbot):
    window, tools, doc, title, sub = setup
    panel = tools.layers_panel
    eye, lock = toggle_rects(_row_rect(panel, 1))
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=eye.center())
    assert doc.box(title.id).visible is False
    assert not tools.layer.items[title.id].isVisible()
    assert "SUMMER JAZZ" not in tools.preview.view.toPlainText()  # hidden boxes leave the prompt
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=lock.center())
    assert doc.box(title.id).locked is True
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.box(title.id) == title


def test_layers_drag_reorders_and_buttons_shift(setup):
    window, tools, doc, title, sub = setup
    panel = tools.layers_panel
    lst = panel.list
    # A real drop on the list: the subtitle's row dragged below the title's.
    mime = lst.mimeData([lst.item(0)])
    target = QPointF(_row_rect(panel, 1).bottomLeft() + QPoint(10, -2))
    lst.setCurrentRow(0)
    args = (Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    # Qt delivers a drop only to the widget a drag entered, so enter and move first.
    QApplication.sendEvent(lst.viewport(), QDragEnterEvent(target.toPoint(), *args))
    QApplication.sendEvent(lst.viewport(), QDragMoveEvent(target.toPoint(), *args))
    QApplication.sendEvent(lst.viewport(), QDropEvent(target, *args))
    assert [b.id for b in doc.boxes] == [sub.id, title.id]  # the title is now in front
    assert panel.ids() == [title.id, sub.id]
    doc.undo_stack.undo()
    assert [b.id for b in doc.boxes] == [title.id, sub.id]

    tools.selection.set(title.id)
    panel.raise_button.click()
    assert [b.id for b in doc.boxes] == [sub.id, title.id]
    panel.delete_button.click()
    assert [b.id for b in doc.boxes] == [sub.id]
    assert isinstance(mime, QMimeData)


# -- Layout dock: the composed prompt --

def test_composed_prompt_is_live(setup, qtbot):
    window, tools, doc, title, sub = setup
    window.create_panel.prompt.set_text("A jazz poster at dusk")
    text = tools.preview.view.toPlainText()
    assert text.startswith("A jazz poster at dusk.")
    assert "「SUMMER JAZZ」" in text and "「夏日爵士」" in text
    tools.selection.set(title.id)
    tools.text_panel.text.setPlainText("BLUE NOTES")
    assert "「BLUE NOTES」" in tools.preview.view.toPlainText()


def test_notices_are_shown(setup):
    window, tools, doc, title, sub = setup
    doc.undo_stack.push(AddBox(doc, TextBox("", 0, 0, 10, 10)))
    assert "empty and was skipped" in tools.preview.notices.text()


def test_request_uses_pinned_then_composed_then_raw(setup):
    window, tools, doc, title, sub = setup
    panel, preview = window.create_panel, tools.preview
    panel.prompt.set_text("A jazz poster")
    assert window.generation_request().prompt == preview.composed().prompt
    assert "“" not in window.generation_request().prompt or "「" in window.generation_request().prompt

    preview.pin_button.click()
    assert doc.pinned_prompt == preview.composed().prompt and not preview.view.isReadOnly()
    preview.view.setPlainText("My own words with 「SUMMER JAZZ」")
    assert window.generation_request().prompt == "My own words with 「SUMMER JAZZ」"  # a pending edit counts
    doc.box(title.id)
    preview.pin_button.click()  # unpin: live again
    assert doc.pinned_prompt is None
    assert window.generation_request().prompt == preview.composed().prompt

    for box in list(doc.boxes):
        tools.selection.set(box.id)
        tools.layers_panel.delete_button.click()
    panel.prompt.set_text("A poster titled “RAW”")
    assert window.generation_request().prompt == "A poster titled “RAW”"  # no boxes: the prompt as written


def test_layout_guide_is_off_by_default_and_adds_a_reference(setup):
    window, tools, doc, title, sub = setup
    guide = tools.preview.guide
    assert not guide.isChecked()
    assert guide.toolTip().startswith("Off by default: not yet shown to improve results")
    assert window.generation_request().reference_images == []
    guide.setChecked(True)
    request = window.generation_request()
    assert len(request.reference_images) == 1
    assert request.reference_images[0].size == (request.width, request.height)


def test_generate_sends_composed_prompt_and_layout_guide(demo_window, qtbot):
    window = demo_window
    tools = text_tools(window)
    doc = tools.doc
    width, height = doc.size
    doc.undo_stack.push(AddBox(doc, TextBox("BLUE NOTES", 0, 0, width, height / 3)))
    tools.preview.guide.setChecked(True)
    with qtbot.waitSignal(window.session.generationFinished, timeout=60_000) as finished:
        window.generate()
    recipe = finished.args[0].recipe
    assert recipe.prompt == tools.preview.composed().prompt
    assert "「BLUE NOTES」" in recipe.prompt or "“BLUE NOTES”" in recipe.prompt
    assert recipe.mode == "i2i" and recipe.reference_count == 1  # the guide went as a reference


def test_text_docks_keep_their_place_between_sessions(make_window, qtbot, settings):
    from app.main_window import MainWindow

    window = make_window(source=None)
    tools = text_tools(window)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, tools.layers_dock)
    tools.layout_dock.hide()
    window.close()

    again = MainWindow(settings)
    qtbot.addWidget(again)
    again.show()
    try:
        tools = text_tools(again)
        assert again.dockWidgetArea(tools.layers_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
        assert not tools.layout_dock.isVisible()
    finally:
        again.close()
