"""View ▸ Undo History: every change to the poster, oldest first, with a line saying how to use it."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QUndoView, QVBoxLayout, QWidget


def undo_history_panel(view: QUndoView) -> QWidget:
    panel = QWidget()
    panel.setObjectName("undoPanel")
    hint = QLabel("Every change to this poster, oldest first. Click a step to go back to it; "
                  "a new change after going back replaces the steps below.")
    hint.setObjectName("hint")
    hint.setWordWrap(True)
    layout = QVBoxLayout(panel)
    layout.setContentsMargins(10, 10, 10, 10)
    layout.setSpacing(8)
    layout.addWidget(hint)
    layout.addWidget(view, 1)
    return panel
