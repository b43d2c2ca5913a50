"""Opens Model ▸ Manage Models… over the main window and loads the model it hands back through
the window's ordinary load path (the same one the Model panel's Load button takes)."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow

from app.models.model_manager import ModelManagerDialog


class ModelManagerLauncher(QObject):
    def __init__(self, window: QMainWindow, action: QAction | None = None):
        super().__init__(window)
        self.window = window
        self.dialog: ModelManagerDialog | None = None
        if action is not None:
            action.triggered.connect(lambda: self.open())
        manage = getattr(getattr(window, "model_panel", None), "manageRequested", None)
        if manage is not None:
            manage.connect(lambda: self.open())

    def open(self, select: str | None = None) -> ModelManagerDialog:
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            return self.dialog
        dialogs = getattr(getattr(self.window, "files", None), "dialogs", None)
        dialog = ModelManagerDialog(dialogs, self.window, select)
        dialog.useRequested.connect(self.use)
        dialog.finished.connect(self._closed)
        self.dialog = dialog
        dialog.open()
        return dialog

    def use(self, source: str) -> None:
        window = self.window
        window.model_panel.set_choice(source, window.settings.quant, window.settings.device)
        window.load_model(window.model_panel.options())

    def _closed(self) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.deleteLater()
