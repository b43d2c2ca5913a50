"""A single click on a history thumbnail shows that result on the canvas as a look only: the
document (its base image, its undo history) does not change. A caption over the canvas says so;
Esc, a click on the canvas, or anything that changes what the canvas shows (Open, an undo, a
generation starting) returns to the document's own image. Double-click / Open applies as before."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut

from app.generation.history import HistoryItem


class HistoryPeek(QObject):
    def __init__(self, window):
        """`window`: the MainWindow (its canvas, document, history panel and show_base)."""
        super().__init__(window)
        self.window = window
        self.item: HistoryItem | None = None
        self.escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), window)
        self.escape.setEnabled(False)  # only while peeking: Esc otherwise belongs to Cancel and the tools
        self.escape.activated.connect(self.end)
        window.history_panel.previewRequested.connect(self.show)
        window.doc.baseChanged.connect(self._document_changed)
        window.doc.sizeChanged.connect(self._document_changed)
        window.session.activityChanged.connect(lambda _activity: self.end())
        window.canvas.viewport().installEventFilter(self)

    @property
    def active(self) -> bool:
        return self.item is not None

    def show(self, item: HistoryItem) -> None:
        base = self.window.doc.base
        if self.window.session.busy or (base is not None and base.history_id == item.id):
            self.end()  # the canvas already shows it (or a run's previews; Esc is Cancel's then)
            return
        self.item = item
        self.window.canvas.show_image(item.qimage)
        self.window.canvas.set_caption(f"Preview of result {item.id} · seed {item.recipe.seed} — "
                                       "Esc or click the canvas to go back · double-click to open it")
        self.escape.setEnabled(True)

    def end(self) -> None:
        if self.item is None:
            return
        self.item = None
        self.escape.setEnabled(False)
        self.window.canvas.set_caption("")
        self.window.show_base()

    def _document_changed(self, *_args) -> None:
        """The window redraws the document's image itself; the look is over."""
        if self.item is not None:
            self.item = None
            self.escape.setEnabled(False)
            self.window.canvas.set_caption("")

    def eventFilter(self, watched, event) -> bool:
        if self.item is not None and event.type() == QEvent.Type.MouseButtonPress:
            self.end()
            return True  # the click only returns to the document; no tool acts on it
        return False
