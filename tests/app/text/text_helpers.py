"""Helpers for the text-layout GUI tests: a window with the text tools, and real mouse events
on the canvas given in document pixels (with modifiers, which QTest's mouseMove cannot send)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier
ALT = Qt.KeyboardModifier.AltModifier


def text_tools(window):
    """The window's text feature."""
    return window.text_tools


def _send(view, kind, doc_point, button, buttons, modifiers=NONE):
    local = QPointF(view.mapFromScene(QPointF(*doc_point)))
    global_pos = QPointF(view.viewport().mapToGlobal(local.toPoint()))
    event = QMouseEvent(kind, local, global_pos, button, buttons, modifiers)
    QApplication.sendEvent(view.viewport(), event)


def press(view, point, modifiers=NONE):
    _send(view, QEvent.Type.MouseButtonPress, point, LEFT, LEFT, modifiers)


def move(view, point, modifiers=NONE, held=True):
    _send(view, QEvent.Type.MouseMove, point, Qt.MouseButton.NoButton, LEFT if held else Qt.MouseButton.NoButton,
          modifiers)


def release(view, point, modifiers=NONE):
    _send(view, QEvent.Type.MouseButtonRelease, point, LEFT, Qt.MouseButton.NoButton, modifiers)


def drag(view, start, end, modifiers=NONE, steps=6):
    press(view, start, modifiers)
    for i in range(1, steps + 1):
        t = i / steps
        move(view, (start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t), modifiers)
    release(view, end, modifiers)


def double_click(view, point):
    press(view, point)
    release(view, point)
    _send(view, QEvent.Type.MouseButtonDblClick, point, LEFT, LEFT)
    release(view, point)


def screen_px(view, pixels: float) -> float:
    """`pixels` screen pixels in document pixels at the view's zoom."""
    return pixels / view.zoom


def commit_text(widget, text: str) -> None:
    """Type `text` the way an input method commits CJK (QTest can only type ASCII keys)."""
    from PySide6.QtGui import QInputMethodEvent

    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def window_with_boxes(make_window, qtbot, boxes):
    """A shown window without a model whose document holds `boxes`: (window, text tools, document)."""
    from app.document.commands import AddBox

    window = make_window(source=None)
    tools = text_tools(window)
    qtbot.waitExposed(window)
    doc = tools.doc
    for box in boxes:
        doc.undo_stack.push(AddBox(doc, box))
    return window, tools, doc
