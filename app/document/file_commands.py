"""File menu work: the document's file (New, Open, Save, Save As, Open Recent), whether it has
unsaved changes, opening or dropping projects and images, export and copy.

Saving builds a glm_core Project on the GUI thread (cheap) and writes it on a background thread
(PNG encoding takes seconds for big images); save_project writes atomically. Opening reads and
checks the whole file before the open document is touched, so a damaged, hostile or newer file
leaves it as it was.

"Unsaved changes" = the undo stack is away from its clean index, or the history changed (not an
undoable edit), or the document was recovered from an autosave and not saved since.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu

from app.ui.error_dialog import show_error
from app.document.file_dialogs import DISCARD, IMAGE_SUFFIXES, RESTORE, SAVE, FileDialogs
from app.document.base_image import Document
from app.document.export import Exporter, suggested_file_name
from app.ui.images import pil_to_qimage
from app.document.project_io import BackgroundWriter, LoadedProject, WriteJob, from_project
from app.settings import StudioSettings
from glm_core.project.metadata import RecipeError, read_recipe
from glm_core.project import PROJECT_SUFFIX, ProjectError, load_project, save_project
from glm_core.generation.validation import ImageLoadError, load_image

log = logging.getLogger(__name__)

UNTITLED = "Untitled"


class FileCommands(QObject):
    documentOpened = Signal(object)  # Document: an image was opened as the base (recipe restored or not)
    message = Signal(str)  # one line for the status bar
    stateChanged = Signal()  # the file name or the unsaved-changes flag changed
    savingChanged = Signal(bool)  # a project save started (True) or ended (False)
    saved = Signal(Path)  # a project save reached the disk

    def __init__(self, window, settings: StudioSettings, dialogs: FileDialogs):
        """`window` is the MainWindow: it owns the document (`doc`, `history`) and provides
        project_snapshot(), load_document() and open_image(); dialogs are parented to it."""
        super().__init__(window)
        self._window = window
        self._settings = settings
        self.dialogs = dialogs
        self.path: Path | None = None
        self.revision = 0  # bumped by every change; a save knows which state it wrote
        self._history_changed = False
        self._recovered = False
        self.exporter = Exporter(self)
        self.exporter.saved.connect(lambda path: self.message.emit(f"Exported {path}"))
        self.exporter.copied.connect(lambda: self.message.emit("Image copied to the clipboard, recipe included"))
        self.exporter.failed.connect(lambda text, details: show_error(self._window, "Export failed", text, details))
        self.saver = BackgroundWriter(self)
        self.saver.finished.connect(self._on_saved)

    # -- state --

    @property
    def display_name(self) -> str:
        return self.path.name if self.path is not None else UNTITLED

    @property
    def is_dirty(self) -> bool:
        return not self._window.doc.undo_stack.isClean() or self._history_changed or self._recovered

    @property
    def saving(self) -> bool:
        return self.saver.busy

    def document_changed(self, *_args) -> None:
        """The undo stack moved (connected to indexChanged)."""
        self.revision += 1
        self.stateChanged.emit()

    def history_changed(self, *_args) -> None:
        """A result was added to or deleted from the history: saved in the project, not undoable."""
        self.revision += 1
        self._history_changed = True
        self.stateChanged.emit()

    def _folder(self) -> Path:
        folder = Path(self._settings.last_folder) if self._settings.last_folder else Path.home()
        return folder if folder.is_dir() else Path.home()

    # -- new / open --

    def new_document(self) -> bool:
        if not self.maybe_save():
            return False
        self._replace(None, None)
        self.message.emit("New poster")
        return True

    def open_dialog(self) -> None:
        path = self.dialogs.open_path(self._window, str(self._folder()))
        if path is not None:
            self.open_path(path)

    def open_path(self, path: Path, dropped: bool = False) -> bool:
        """A project replaces the document (after asking to save changes); an image becomes the
        base image. A dropped PNG with a recipe asks whether to restore its prompt and settings;
        opened from the Open dialog, it restores them."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == PROJECT_SUFFIX:
            return self.open_project(path)
        if suffix in IMAGE_SUFFIXES:
            return self.open_image(path, ask_restore=dropped)
        show_error(self._window, "Cannot open this file",
                   f"“{path.name}” is neither a GLM-Image Studio project ({PROJECT_SUFFIX}) nor a PNG, "
                   f"JPEG or WebP image.")
        return False

    def open_project(self, path: Path) -> bool:
        if not self.maybe_save():
            return False
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            project = load_project(path)
        except ProjectError as exc:
            message = str(exc)
        except OSError as exc:
            message = f"“{path.name}” cannot be opened: {exc.strerror or exc}."
        else:
            message = ""
        finally:
            QApplication.restoreOverrideCursor()
        if message:
            log.warning("project %s not opened: %s", path, message)
            show_error(self._window, "Cannot open this project", message)
            return False
        loaded = from_project(project)
        self._replace(loaded, path)
        self._remember(path)
        notes = "; ".join(loaded.notes)
        self.message.emit(f"Opened “{path.name}”" + (f" ({notes})" if notes else ""))
        return True

    def open_image(self, path: Path, ask_restore: bool = False) -> bool:
        """The image becomes the poster's base image (one undo step)."""
        try:
            recipe = read_recipe(path)  # None for an image without one; PNG decided from the bytes
            image = load_image(path)
        except (RecipeError, ImageLoadError) as exc:
            show_error(self._window, "Cannot open this file", str(exc))
            return False
        except OSError as exc:  # a missing file, no permission, or a decoder Pillow gave up on at open
            reason = (f"cannot be opened: {exc.strerror}." if exc.strerror else
                      f"is damaged or not an image this app can read ({exc}): choose a PNG, JPEG or WebP file.")
            show_error(self._window, "Cannot open this file", f"“{path.name}” {reason}")
            return False
        restore = recipe is not None
        if recipe is not None and ask_restore:
            answer = self.dialogs.ask_restore_recipe(self._window, path.name)
            if answer is None:
                return False
            restore = answer == RESTORE
        self._settings.last_folder = str(path.parent)
        document = Document(image, pil_to_qimage(image), recipe)
        self._window.open_image(document, restore, f"Open {path.name}")
        self.documentOpened.emit(document)
        if recipe is None:
            self.message.emit(f"Opened “{path.name}”: it carries no recipe, so the prompt and settings stay as they were")
        elif restore:
            self.message.emit(f"Opened “{path.name}”: prompt and settings restored")
        else:
            self.message.emit(f"Opened “{path.name}”")
        return True

    def load_recovered(self, loaded: LoadedProject) -> None:
        """A crashed session's autosave: it has unsaved changes until saved to a file."""
        self._replace(loaded, loaded.document_path, recovered=True)
        where = f" (from “{loaded.document_path.name}”)" if loaded.document_path else ""
        self.message.emit(f"Recovered the autosaved document{where}: save it to keep it")

    def _replace(self, loaded: LoadedProject | None, path: Path | None, recovered: bool = False) -> None:
        self._window.load_document(loaded)
        self.path = path
        self._history_changed = False
        self._recovered = recovered
        self.revision += 1
        self.stateChanged.emit()

    # -- save --

    def save(self, wait: bool = False) -> bool:
        """Save to the document's file, asking for one the first time. With wait=True, returns
        once the file is written (True) or failed; otherwise True once the save has started."""
        if self.path is None:
            return self.save_as(wait)
        return self._write(self.path, wait)

    def save_as(self, wait: bool = False) -> bool:
        suggested = self.path if self.path is not None else self._folder() / f"{self._suggested_stem()}{PROJECT_SUFFIX}"
        path = self.dialogs.save_project_path(self._window, suggested)
        if path is None:
            return False
        return self._write(path, wait)

    def _suggested_stem(self) -> str:
        base = self._window.doc.base
        return Path(suggested_file_name(base.recipe if base is not None else None)).stem

    def _write(self, path: Path, wait: bool) -> bool:
        if self.saver.busy:
            if not wait:
                self.message.emit("Still saving the previous version…")
                return False
            self.saver.wait()
        self._window.commit_pending_edits()
        project = self._window.project_snapshot()
        job = self.saver.run(lambda: save_project(project, path, overwrite=True), token=self.revision, path=path)
        self.savingChanged.emit(True)
        self.message.emit(f"Saving “{path.name}”…")
        if wait:
            self.saver.wait()
            return job.ok
        return True

    def _on_saved(self, job: WriteJob) -> None:
        self.savingChanged.emit(self.saver.busy)
        path = job.path
        if not job.ok:
            show_error(self._window, "The project was not saved",
                       f"“{path.name}” could not be saved: {job.error}", job.details)
            return
        self.path = path
        self._settings.last_folder = str(path.parent)
        self._remember(path)
        if job.token == self.revision:  # nothing changed while it was written
            self._window.doc.undo_stack.setClean()
            self._history_changed = self._recovered = False
        self.stateChanged.emit()
        self.saved.emit(path)
        self.message.emit(f"Saved “{path.name}”")

    def maybe_save(self) -> bool:
        """Before the document is closed or replaced: True to go on (saved, or changes
        discarded), False to stay (cancelled, or the save failed)."""
        self.saver.wait()  # a save in flight decides what is still unsaved
        self._window.commit_pending_edits()
        if not self.is_dirty:
            return True
        answer = self.dialogs.ask_save_changes(self._window, self.display_name)
        if answer == DISCARD:
            return True
        if answer == SAVE:
            return self.save(wait=True)
        return False  # CANCEL

    def wait(self) -> None:
        self.saver.wait()
        self.exporter.wait()

    # -- open recent --

    def _remember(self, path: Path) -> None:
        self._settings.remember_project(str(path))
        self.fill_recent_menu()

    def fill_recent_menu(self, menu: QMenu | None = None, clear_action: QAction | None = None) -> None:
        """Rebuild File ▸ Open Recent (the menu and action are remembered on the first call)."""
        if menu is not None:
            self._recent_menu, self._clear_action = menu, clear_action
        menu = getattr(self, "_recent_menu", None)
        if menu is None:
            return
        menu.clear()
        paths = self._settings.recent_projects
        for number, text in enumerate(paths, 1):
            label = Path(text).name.replace("&", "&&")
            action = menu.addAction(f"&{number} {label}" if number < 10 else f"1&0 {label}")
            action.setToolTip(text)
            action.setStatusTip(text)
            action.triggered.connect(lambda _=False, p=text: self.open_recent(p))
        if not paths:
            menu.addAction("No recent projects").setEnabled(False)
        if self._clear_action is not None:
            menu.addSeparator()
            menu.addAction(self._clear_action)
            self._clear_action.setEnabled(bool(paths))
        menu.setToolTipsVisible(True)

    def open_recent(self, text: str) -> bool:
        path = Path(text)
        if not path.is_file():
            self._settings.forget_project(text)
            self.fill_recent_menu()
            show_error(self._window, "Project not found",
                       f"“{path.name}” is no longer in {path.parent}: it was moved, renamed or deleted. "
                       f"It has been removed from Open Recent.")
            return False
        return self.open_project(path)

    def clear_recent(self) -> None:
        self._settings.forget_project()
        self.fill_recent_menu()

    # -- export --

    def export(self, document: Document | None, for_print: bool = False) -> None:
        """File ▸ Export PNG; `for_print` first asks for a resolution (DPI) and an enlargement."""
        if document is None:
            return
        options = self.dialogs.print_options(self._window, *document.image.size) if for_print else None
        if for_print and options is None:
            return
        path = self.dialogs.export_path(self._window, self._folder() / suggested_file_name(document.recipe))
        if path is None:
            return
        overwrite = path.exists()
        if overwrite and not self.dialogs.confirm_overwrite(self._window, path):
            return
        self._settings.last_folder = str(path.parent)
        self.message.emit(f"Exporting {path.name}…")
        self.exporter.save(document.image, path, document.recipe, overwrite=overwrite,
                           dpi=options.dpi if options else None, scale=options.scale if options else 1)

    def copy(self, document: Document | None) -> None:
        if document is not None:
            self.exporter.copy(document.image, document.recipe, document.qimage)
