"""Menus, shortcuts and small window behaviour that needs no model."""

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication, QKeySequence

from glm_core.paths import user_log_dir


@pytest.fixture
def window(make_window, qtbot):
    window = make_window(source=None)
    qtbot.waitExposed(window)
    return window


def test_shortcuts_are_bound(window):
    a = window.actions
    assert QKeySequence("Ctrl+Return") in a.generate.shortcuts()
    assert QKeySequence("Ctrl+Enter") in a.generate.shortcuts()
    assert a.cancel.shortcut() == QKeySequence("Esc")
    assert a.export_png.shortcut() == QKeySequence("Ctrl+E")
    assert a.fit.shortcut() == QKeySequence("Ctrl+0")
    assert a.actual_size.shortcut() == QKeySequence("Ctrl+1")
    # Nothing loaded: generate and cancel are off, so Esc and Ctrl+Enter do nothing.
    assert not a.generate.isEnabled() and not a.cancel.isEnabled()


def test_zoom_keys_drive_the_canvas(window, qtbot):
    canvas = window.canvas
    fitted = canvas.zoom
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom == 1.0
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom > 1.0
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom < 1.0
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom == pytest.approx(fitted)


class UrlCatcher(QObject):
    def __init__(self):
        super().__init__()
        self.urls = []

    @Slot(QUrl)
    def open(self, url):
        self.urls.append(url)


def test_help_opens_the_log_folder(window):
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        window.actions.open_logs.trigger()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [url.toLocalFile() for url in catcher.urls] == [str(user_log_dir())]


def test_seed_lock_dice_and_copy(window):
    seed = window.create_panel.seed
    assert seed.seed() is None  # random by default
    seed.dice.click()
    assert seed.locked and seed.seed() is not None
    seed.copy.click()
    assert QGuiApplication.clipboard().text() == str(seed.seed())
    seed.lock.click()
    assert seed.seed() is None and seed.edit.text()  # unlocked: the number stays visible, unused
    seed.edit.clear()
    seed.lock.click()  # locking an empty field locks a fresh seed
    assert seed.locked and seed.edit.text().isdigit()


def test_recent_prompts_menu_fills_the_editor(window, settings):
    settings.remember_prompt("first poster")
    window.create_panel.prompt.set_recent(settings.remember_prompt("second poster & more"))
    actions = window.create_panel.prompt.recent_menu.actions()
    assert [a.text() for a in actions] == ["second poster && more", "first poster"]
    actions[1].trigger()
    assert window.create_panel.prompt.text == "first poster"


def test_the_status_bar_shows_the_zoom_and_its_menu_resets_it(window, qtbot):
    canvas, zoom = window.canvas, window.zoom_indicator
    assert zoom.isVisible() and zoom.text() == f"{round(canvas.zoom * 100)}%"
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert zoom.text() == "100%"
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert zoom.text() == f"{round(canvas.zoom * 100)}%" != "100%"
    offered = {a.text() for a in zoom.menu().actions()}
    assert {"&Fit to Window", "&Actual Pixels"} <= offered
    next(a for a in zoom.menu().actions() if a.text() == "&Actual Pixels").trigger()
    assert zoom.text() == "100%" and canvas.zoom == 1.0
    canvas.set_zoom(0.05)
    assert zoom.text() == "5.0%"


def test_the_start_hint_hides_once_there_are_text_boxes(window):
    from app.document.commands import AddBox
    from glm_core.project.textbox import TextBox

    assert window.canvas.hint_shown
    window.doc.undo_stack.push(AddBox(window.doc, TextBox("JAZZ", 10, 10, 300, 80)))
    assert not window.canvas.hint_shown
    window.doc.undo_stack.undo()
    assert window.canvas.hint_shown


def test_every_tool_in_the_tools_bar_has_an_icon(window):
    actions = [a for a in window.tools_bar.actions() if not a.isSeparator()]
    assert {a.text() for a in actions} >= {"Select", "Text", "Brush", "Eraser", "Rectangle", "Lasso"}
    assert [a.text() for a in actions if a.icon().isNull()] == []
    assert all(not a.icon().pixmap(24, 24).isNull() for a in actions)  # the SVG files exist and render


def test_about_names_versions_model_licences_and_copies(window, qtbot):
    import PySide6
    from PySide6.QtWidgets import QApplication
    from app.ui.about import AboutDialog, about_text

    dialog = AboutDialog(None, window)
    qtbot.addWidget(dialog)
    text = dialog.text.toPlainText()
    for part in ("GLM-Image Studio", "Python 3.", f"PySide6 {PySide6.__version__}", "Model: none loaded",
                 "MIT", "Noto Sans CJK", "SIL Open Font License", "https://huggingface.co/zai-org/GLM-Image"):
        assert part in text, part
    assert dialog.text.isReadOnly()
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == text
    QApplication.clipboard().clear()


def test_about_names_the_loaded_model(demo_window):
    from app.ui.about import about_text

    text = about_text(demo_window.session.report)
    assert "Model: Demo model" in text and "Device: CPU" in text and "Weights: AR" in text
