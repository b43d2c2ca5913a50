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
