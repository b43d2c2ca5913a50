"""Docks and tabs that never cut their labels or contents: the Create dock before a model is
loaded (wide enough at the start; narrower, it scrolls sideways instead of cutting), the Text
dock, the dock tabs with Undo History shown, and the Layout dock's prompt with its splitter."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QAbstractButton, QDockWidget, QTabBar


@pytest.fixture
def default_window(make_window, qtbot):
    window = make_window(source=None)  # no model loaded: the Create panel shows its hint
    window.resize(1440, 900)
    qtbot.waitExposed(window)
    qtbot.wait(50)
    return window


@pytest.fixture
def small_window(make_window, qtbot):
    window = make_window(source=None)  # no model loaded: the Create panel shows its hint
    window.undo_dock.toggleViewAction().trigger()  # one more tab beside History, Model, Text, Mask
    qtbot.waitExposed(window)
    window.resize(window.minimumSizeHint())
    qtbot.wait(50)
    return window


def visible_in(widget, dock: QDockWidget) -> bool:
    """The widget lies wholly inside the dock's visible area, left to right."""
    top_left = widget.mapTo(dock, QPoint(0, 0))
    rect = QRect(top_left, widget.size())
    return rect.left() >= 0 and rect.right() <= dock.width()


def test_the_create_dock_starts_wide_enough_and_scrolls_when_made_narrower(default_window, qtbot):
    window = default_window
    panel = window.create_panel
    buttons = [b for b in panel.findChildren(QAbstractButton) if b.isVisible()]
    assert len(buttons) >= 5  # Recent, swap, lock, dice, copy, Generate …
    cut = [b.text() or b.toolTip() for b in buttons if not visible_in(b, window.create_dock)]
    assert cut == []
    window.resizeDocks([window.create_dock], [240], Qt.Orientation.Horizontal)
    qtbot.wait(50)
    sideways = window.create_dock.widget().horizontalScrollBar()
    assert sideways.isVisible() and sideways.maximum() > 0  # a scroll bar, not a cut-off edge


def test_a_dock_widens_when_its_panel_grows_but_not_against_the_user(default_window, qtbot):
    """During a run Cancel appears beside Generate: the Create dock grew a sideways scroll bar."""
    from PySide6.QtWidgets import QPushButton

    window = default_window
    area = window.create_dock.widget()
    before = area.needed_width()
    wide = QPushButton("A button as wide as a long label in another language " * 2)
    window.create_panel.layout().addWidget(wide)  # the panel now needs more than the dock has
    qtbot.waitUntil(lambda: area.needed_width() > before and area.width() >= area.needed_width())
    qtbot.wait(50)
    assert not area.horizontalScrollBar().isVisible() and visible_in(wide, window.create_dock)

    window.resizeDocks([window.create_dock], [240], Qt.Orientation.Horizontal)  # the user narrows it
    qtbot.wait(50)
    wide.setText(wide.text() + " more")  # the panel grows again
    qtbot.wait(100)
    assert area.width() < area.needed_width() and area.horizontalScrollBar().isVisible()


def test_the_text_dock_fields_keep_a_margin(default_window):
    window = default_window
    dock = window.text_tools.text_dock
    dock.raise_()
    panel = window.text_tools.text_panel
    fields = [w for w in panel.findChildren(QAbstractButton) if w.isVisible()]
    assert all(w.mapTo(dock, QPoint(w.width(), 0)).x() <= dock.width() - 4 for w in fields)


def test_dock_tabs_show_whole_labels(small_window):
    bars = [b for b in small_window.findChildren(QTabBar) if b.isVisible() and b.count() >= 3]
    assert bars
    for bar in bars:
        assert bar.elideMode() == Qt.TextElideMode.ElideNone
        labels = [bar.tabText(i) for i in range(bar.count())]
        assert "Undo History" in labels or len(bars) > 1
        for i in range(bar.count()):
            assert bar.tabRect(i).width() >= bar.fontMetrics().horizontalAdvance(bar.tabText(i))


def test_the_layout_dock_has_a_splitter_and_does_not_tear_off(small_window, qtbot):
    tools = small_window.text_tools
    preview = tools.preview
    assert not tools.layout_dock.features() & QDockWidget.DockWidgetFeature.DockWidgetFloatable
    assert preview.splitter.widget(0) is preview.view and not preview.splitter.childrenCollapsible()
    assert preview.view.minimumHeight() >= 3 * preview.view.fontMetrics().lineSpacing()
    small_window.resize(1440, 1000)
    small_window.resizeDocks([tools.layout_dock], [360], Qt.Orientation.Vertical)
    qtbot.wait(50)
    sizes = preview.splitter.sizes()
    assert sizes[0] >= 5 * preview.view.fontMetrics().lineSpacing()  # a taller strip goes to the prompt
    preview.splitter.moveSplitter(sizes[0] - 40, 1)  # the handle moves; the switches get the room
    assert preview.splitter.sizes()[0] < sizes[0]
    # The note under the prompt is never cut: it is as tall as its wrapped lines.
    note = preview.notices
    assert note.height() >= note.heightForWidth(note.width())
