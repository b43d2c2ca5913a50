"""The right panel: this session's results as thumbnails, with open / re-run / vary / delete."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListView, QMenu, QToolButton, QVBoxLayout, QWidget

from app.generation.history import HistoryItem, HistoryModel, ItemRole

ICON_SIDE = 120
VARIATION_TIP = "Same layout, new details: re-runs only the DiT with a new seed"
NO_VARIATION_TIP = ("Variations reuse the layout tokens of a run, which projects saved by older versions "
                    "do not keep: Re-run this image once, then make variations of the new result")


class HistoryPanel(QWidget):
    openRequested = Signal(object)  # HistoryItem
    previewRequested = Signal(object)  # a single click: show it on the canvas without applying it
    rerunRequested = Signal(object)
    variationRequested = Signal(object)
    deleteRequested = Signal(object)

    def __init__(self, model: HistoryModel, parent=None):
        super().__init__(parent)
        self.setObjectName("historyPanel")
        self.model = model
        self._can_open = True
        self._can_generate = False
        self.view = QListView()
        self.view.setObjectName("historyList")
        self.view.setModel(model)
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setIconSize(QSize(ICON_SIDE, ICON_SIDE))
        self.view.setGridSize(QSize(ICON_SIDE + 16, ICON_SIDE + 30))
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setWordWrap(True)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.empty = QLabel("Finished images appear here.\nClick one to preview it on the canvas, "
                            "double-click to open it.")
        self.empty.setObjectName("hint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        self.open_action = self._action("Open", "Show this image on the canvas", self.openRequested, "Return")
        self.rerun_action = self._action("Re-run", "Run the same recipe again with the same seed", self.rerunRequested)
        self.variation_action = self._action("Variation", VARIATION_TIP, self.variationRequested)
        self.delete_action = self._action("Delete", "Remove from the history", self.deleteRequested,
                                          QKeySequence.StandardKey.Delete)

        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        for action in (self.open_action, self.rerun_action, self.variation_action, self.delete_action):
            button = QToolButton()
            button.setDefaultAction(action)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        layout.addLayout(buttons)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty, 1)

        self.view.clicked.connect(lambda _index: self._can_open and self._trigger(self.previewRequested))
        self.view.doubleClicked.connect(lambda _index: self._trigger(self.openRequested))
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.selectionModel().selectionChanged.connect(self._update_actions)
        for change in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            change.connect(self._update_actions)
        self._update_actions()

    def _action(self, text: str, tip: str, signal, shortcut=None) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda: self._trigger(signal))
        self.addAction(action)  # so the shortcut works while the list has focus
        return action

    def selected(self) -> HistoryItem | None:
        index = self.view.currentIndex()
        return index.data(ItemRole) if index.isValid() and self.view.selectionModel().isSelected(index) else None

    def select(self, item: HistoryItem) -> None:
        self.view.setCurrentIndex(self.model.index(self.model.row_of(item)))

    def set_availability(self, can_open: bool, can_generate: bool) -> None:
        """Open needs the canvas (not while it shows previews); Re-run and Variation need an
        idle, loaded model."""
        self._can_open, self._can_generate = can_open, can_generate
        self._update_actions()

    def _trigger(self, signal) -> None:
        item = self.selected()
        if item is not None:
            signal.emit(item)

    def _context_menu(self, pos) -> None:
        if self.view.indexAt(pos).isValid():
            menu = QMenu(self)
            menu.addActions([self.open_action, self.rerun_action, self.variation_action])
            menu.addSeparator()
            menu.addAction(self.delete_action)
            menu.popup(self.view.viewport().mapToGlobal(pos))

    def _update_actions(self, *_args) -> None:
        empty = self.model.rowCount() == 0
        self.view.setVisible(not empty)
        self.empty.setVisible(empty)
        chosen = self.selected() is not None
        self.open_action.setEnabled(chosen and self._can_open)
        self.delete_action.setEnabled(chosen)
        self.rerun_action.setEnabled(chosen and self._can_generate)
        item = self.selected()
        restored = item is not None and not item.can_vary
        self.variation_action.setEnabled(chosen and self._can_generate and not restored)
        self.variation_action.setToolTip(NO_VARIATION_TIP if restored else VARIATION_TIP)
