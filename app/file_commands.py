"""File menu work: open or drop a PNG with a recipe, export PNG, copy to the clipboard."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.dialogs.error_dialog import show_error
from app.dialogs.file_dialogs import FileDialogs
from app.document import Document
from app.export import Exporter, suggested_file_name
from app.images import pil_to_qimage
from app.settings import StudioSettings
from glm_core.metadata import RecipeError, read_recipe
from glm_core.validation import ImageLoadError, load_image


class FileCommands(QObject):
    documentOpened = Signal(object)  # Document, its recipe to be restored
    message = Signal(str)  # one line for the status bar

    def __init__(self, window, settings: StudioSettings, dialogs: FileDialogs):
        super().__init__(window)
        self._window = window
        self._settings = settings
        self.dialogs = dialogs
        self.exporter = Exporter(self)
        self.exporter.saved.connect(lambda path: self.message.emit(f"Exported {path}"))
        self.exporter.copied.connect(lambda: self.message.emit("Image copied to the clipboard, recipe included"))
        self.exporter.failed.connect(lambda text, details: show_error(self._window, "Export failed", text, details))

    def _folder(self) -> Path:
        folder = Path(self._settings.last_folder) if self._settings.last_folder else Path.home()
        return folder if folder.is_dir() else Path.home()

    def open_dialog(self) -> None:
        path = self.dialogs.open_path(self._window, str(self._folder()))
        if path is not None:
            self.open_png(path)

    def open_png(self, path: Path) -> None:
        """Restore the prompt and settings a PNG carries, and show the image."""
        try:
            recipe = read_recipe(path)
            if recipe is None:
                self.message.emit(f"“{path.name}” carries no recipe: nothing to restore")
                return
            image = load_image(path)
        except (OSError, RecipeError, ImageLoadError) as exc:
            show_error(self._window, "Cannot open this file", str(exc))
            return
        self._settings.last_folder = str(path.parent)
        self.documentOpened.emit(Document(image, pil_to_qimage(image), recipe))
        self.message.emit(f"Opened “{path.name}”: prompt and settings restored")

    def export(self, document: Document | None) -> None:
        if document is None:
            return
        path = self.dialogs.export_path(self._window, self._folder() / suggested_file_name(document.recipe))
        if path is None:
            return
        overwrite = path.exists()
        if overwrite and not self.dialogs.confirm_overwrite(self._window, path):
            return
        self._settings.last_folder = str(path.parent)
        self.message.emit(f"Exporting {path.name}…")
        self.exporter.save(document.image, path, document.recipe, overwrite=overwrite)

    def copy(self, document: Document | None) -> None:
        if document is not None:
            self.exporter.copy(document.image, document.recipe, document.qimage)
