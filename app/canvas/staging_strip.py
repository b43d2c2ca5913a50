"""The staging strip: a batch's results as thumbnails along the bottom of the canvas.

Stepping through them (click, ←/→) shows each on the canvas without applying it. Accept (Enter)
applies the selected one, Keep (Esc) closes the strip leaving them all in the history, Discard
(Delete) drops the selected one from the strip and the history. The strip only says what the
user chose; app/generation/staging.py does it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QApplication, QFrame, QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget,
)

THUMB_SIDE = 72
ItemRole = Qt.ItemDataRole.UserRole + 1
_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape, Qt.Key.Key_Delete)


class _Thumbnails(QListWidget):
    """The thumbnails in one row. Enter, Esc and Delete are the strip's while it has focus, not
    the window's shortcuts (Esc elsewhere cancels the run)."""

    keyChosen = Signal(int)  # Qt.Key

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and event.key() in _KEYS:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if event.key() in _KEYS:
            self.keyChosen.emit(event.key())
            event.accept()
            return
        super().keyPressEvent(event)


class StagingStrip(QFrame):
    selected = Signal(object)  # HistoryItem now shown on the canvas, or None
    acceptRequested = Signal(object)  # HistoryItem
    keepRequested = Signal()
    discardRequested = Signal(list)  # [HistoryItem]: the selected one, or all

    def __init__(self, canvas: QWidget):
        super().__init__(canvas)  # a child of the canvas, in a band it keeps free below the picture
        self.setObjectName("stagingStrip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.canvas = canvas
        self.list = _Thumbnails()
        self.list.setObjectName("stagingThumbnails")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setFlow(QListView.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setIconSize(QSize(THUMB_SIDE, THUMB_SIDE))
        self.list.setGridSize(QSize(THUMB_SIDE + 64, THUMB_SIDE + 26))  # room for "Seed 4294967295"
        self.list.setFixedHeight(THUMB_SIDE + 34)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.title = QLabel()
        self.title.setObjectName("stagingTitle")
        self.accept_button = self._button("Accept", "Put the selected result on the canvas, one undo step (Enter)",
                                          lambda: self._emit_current(self.acceptRequested))
        self.keep_button = self._button("Keep", "Close the strip; every result stays in the History (Esc)",
                                        self.keepRequested.emit)
        self.discard_button = self._button("Discard", "Remove the selected result from the strip and the "
                                           "History (Delete)", lambda: self._discard(all_of_them=False))
        self.discard_all_button = self._button("Discard all", "Remove every result of the strip from the History",
                                               lambda: self._discard(all_of_them=True))

        buttons = QVBoxLayout()
        buttons.setSpacing(4)
        buttons.addWidget(self.title)
        for button in (self.accept_button, self.keep_button, self.discard_button, self.discard_all_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

        self.list.currentItemChanged.connect(self._on_current)
        self.list.keyChosen.connect(self._on_key)
        canvas.installEventFilter(self)
        self.hide()

    def _button(self, text: str, tip: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    # -- contents --

    def items(self) -> list:
        return [self.list.item(row).data(ItemRole) for row in range(self.list.count())]

    def current(self):
        row = self.list.currentRow()
        return self.list.item(row).data(ItemRole) if row >= 0 else None

    def add(self, item) -> None:
        """A new result at the end; the first one of an empty strip is selected (and shown)."""
        entry = QListWidgetItem(QIcon(QPixmap.fromImage(item.thumbnail)), f"Seed {item.recipe.seed}")
        entry.setData(ItemRole, item)
        entry.setToolTip(item.summary())
        self.list.addItem(entry)
        self._refresh()
        if not self.isVisible():
            self.show()
            self._place()
            self.raise_()
            if QApplication.focusWidget() in (None, self.canvas):  # never while the user types elsewhere
                self.list.setFocus()
        if self.list.count() == 1:
            self.list.setCurrentRow(0)

    def remove(self, item) -> None:
        rows = [row for row in range(self.list.count()) if self.list.item(row).data(ItemRole).id == item.id]
        for row in reversed(rows):
            self.list.takeItem(row)
        self._refresh()

    def close_strip(self) -> None:
        self.list.clear()
        self.hide()
        self.canvas.setViewportMargins(0, 0, 0, 0)

    def select(self, item) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(ItemRole).id == item.id:
                self.list.setCurrentRow(row)

    # -- user choices --

    def _emit_current(self, signal) -> None:
        item = self.current()
        if item is not None:
            signal.emit(item)

    def _discard(self, all_of_them: bool) -> None:
        items = self.items() if all_of_them else [item for item in [self.current()] if item is not None]
        if items:
            self.discardRequested.emit(items)

    def _on_key(self, key: int) -> None:
        if key == Qt.Key.Key_Escape:
            self.keepRequested.emit()
        elif key == Qt.Key.Key_Delete:
            self._discard(all_of_them=False)
        else:
            self._emit_current(self.acceptRequested)

    def _on_current(self, *_args) -> None:
        self._refresh()
        self.selected.emit(self.current())

    def _refresh(self) -> None:
        count, row = self.list.count(), self.list.currentRow()
        self.title.setText(f"{row + 1} of {count}" if row >= 0 else f"{count} results")
        for button in (self.accept_button, self.discard_button):
            button.setEnabled(row >= 0)

    # -- placement along the canvas' bottom --

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.canvas and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def _place(self) -> None:
        # The canvas' picture area shrinks by the strip's height (and refits), so the strip never
        # hides the bottom of the poster.
        height = self.sizeHint().height()
        self.canvas.setViewportMargins(0, 0, 0, height)
        self.setGeometry(0, self.canvas.height() - height, self.canvas.width(), height)
