"""The main window: canvas in the middle, Create panel left, History and Model right."""

from __future__ import annotations

import logging
import secrets

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import QMainWindow, QUndoView, QVBoxLayout, QWidget

from app.document.autosaver import AUTOSAVE_INTERVAL_MS, Autosaver, default_store
from app.document.undo_panel import undo_history_panel
from app.canvas.view import CanvasView
from app.canvas.zoom_indicator import ZoomIndicator
from app.ui.about import AboutDialog
from app.document.commands import SetBase, SetPrompts
from app.ui.error_dialog import show_error
from app.document.file_dialogs import FileDialogs
from app.models.model_loading import ModelLoading, demo_banner, saved_engine
from app.document.recovery_dialog import RecoveryDialog, offer_recovery
from app.document.base_image import Document
from app.document.model import DocumentModel
from app.document.file_commands import FileCommands
from app.generation.history import HistoryItem, HistoryModel
from app.mask.feature import MaskTools
from app.menus import build_actions, build_menus, build_tools_bar
from app.text.feature import TextTools
from app.ui.docks import make_dock
from app.generation.create_panel import CreatePanel
from app.generation.prompt_commit import PromptCommit
from app.generation.history_panel import HistoryPanel
from app.generation.history_peek import HistoryPeek
from app.generation.memory_plan import MemoryPlanning
from app.models.model_panel import ModelPanel
from app.document.project_io import DocumentState, LoadedProject, to_project
from app.generation.session import Activity, Session
from app.generation.staging import Staging
from app.settings import StudioSettings
from app.status_bar import StudioStatusBar
from glm_core.project.autosave import AutosaveStore
from glm_core.engine.base import Engine
from glm_core.generation.events import Phase
from glm_core.paths import APP_NAME, user_log_dir
from glm_core.project import Project
from glm_core.generation.request import GenerationRequest
from glm_core.generation.settings import PER_DOCUMENT, REMEMBERED
from glm_core.project.document import restored_prompt
from glm_core.project.request_builder import build_request
from glm_core.generation.validation import MAX_SEED, InvalidRequest, validate_request

log = logging.getLogger(__name__)

class MainWindow(QMainWindow):
    def __init__(self, settings: StudioSettings, engine: Engine | None = None,
                 dialogs: FileDialogs | None = None, autosave: AutosaveStore | None = None,
                 autosave_interval_ms: int = AUTOSAVE_INTERVAL_MS):
        """`autosave`: where this session autosaves (tests pass a store on a temporary folder);
        by default the user data folder's."""
        super().__init__()
        self.setObjectName("mainWindow")
        self.settings = settings
        self.history = HistoryModel(self)
        self.doc = DocumentModel(parent=self)  # the one open poster; New and Open refill it
        self.session = Session(self.history, engine or saved_engine(settings), parent=self)
        self.recovery_dialog: RecoveryDialog | None = None
        self._closed = False
        self.files = FileCommands(self, settings, dialogs or FileDialogs())

        self.canvas = CanvasView()
        self.demo_banner = demo_banner()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.demo_banner)
        column.addWidget(self.canvas, 1)
        self.setCentralWidget(central)

        self.create_panel = CreatePanel(self.doc.settings)
        self.undo_view = QUndoView(self.doc.undo_stack)
        self.undo_view.setObjectName("undoView")
        self.undo_view.setEmptyLabel("Start")  # the document as opened, before the first edit
        self.history_panel = HistoryPanel(self.history)
        self.model_panel = ModelPanel(self.doc.settings)
        self.create_dock = make_dock(self, "Create", "createDock", self.create_panel, scroll=True)
        self.history_dock = make_dock(self, "History", "historyDock", self.history_panel)
        self.model_dock = make_dock(self, "Model", "modelDock", self.model_panel)
        self.undo_dock = make_dock(self, "Undo History", "undoDock", undo_history_panel(self.undo_view))
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.create_dock)
        for dock in (self.history_dock, self.model_dock, self.undo_dock):
            self.addDockWidget(right, dock)
        self.tabifyDockWidget(self.history_dock, self.model_dock)
        self.tabifyDockWidget(self.model_dock, self.undo_dock)  # a tab beside History and Model
        self.undo_dock.hide()  # View ▸ Undo History shows it, in front
        self.undo_dock.toggleViewAction().triggered.connect(lambda shown: shown and self.undo_dock.raise_())
        self.history_dock.raise_()
        self.resizeDocks([self.create_dock, self.history_dock], [340, 300], Qt.Orientation.Horizontal)
        self.status = StudioStatusBar(self.session, settings)
        self.setStatusBar(self.status)
        self.actions = build_actions(self)
        self.menus = build_menus(self, self.actions,
                                 [self.create_dock, self.history_dock, self.model_dock, self.undo_dock])
        self.autosaver = Autosaver(autosave if autosave is not None else default_store(),
                                   self._autosave_snapshot, autosave_interval_ms, self)
        self.staging = Staging(self)  # Batch N, the queue, the staging strip; results applied through it
        self._connect()
        self.models = ModelLoading(self, settings, self.session, self.model_panel, self.files.dialogs, self.status,
                                   self.actions.load_model, self.actions.manage_models)
        self.memory = MemoryPlanning(self, self.session, self.doc, self.model_panel, self._start)  # plan, remedies
        self._restore()
        self.files.fill_recent_menu(self.menus.recent, self.actions.clear_recent)
        self._update_state()
        self._update_title()
        # The features, each given what it joins: the canvas tools bar, the View and Image menus.
        self.tools_bar = build_tools_bar(self)
        self.text_tools = TextTools(self, self.tools_bar, self.menus.view)  # text boxes, Select/Text, their docks
        self.mask_tools = MaskTools(self, self.tools_bar, self.menus.view, self.menus.image)  # masked editing
        self.text_tools.follow_other_tools(self.mask_tools.actions.tools.values())
        self.prompt_commit = PromptCommit(self.create_panel.prompt, self.doc, self.actions.undo,
                                          self.text_tools.preview.commit_pinned)
        self.menus.view.addAction(self.tools_bar.toggleViewAction())
        a = self.actions
        self.zoom_indicator = ZoomIndicator(self.canvas, [a.fit, a.actual_size, a.zoom_in, a.zoom_out])
        self.status.addPermanentWidget(self.zoom_indicator)
        self.history_peek = HistoryPeek(self)  # a single click on a thumbnail: a look, not an edit

    def _connect(self) -> None:
        a, s, files, doc, stack = self.actions, self.session, self.files, self.doc, self.doc.undo_stack
        a.generate.triggered.connect(self.generate)
        a.cancel.triggered.connect(self.staging.queue.cancel_all)
        a.new_document.triggered.connect(files.new_document)
        a.open.triggered.connect(files.open_dialog)
        a.save.triggered.connect(lambda: files.save())
        a.save_as.triggered.connect(lambda: files.save_as())
        a.clear_recent.triggered.connect(files.clear_recent)
        a.undo.triggered.connect(self.undo)
        a.redo.triggered.connect(self.redo)
        a.export_png.triggered.connect(lambda: files.export(self.poster()))
        a.export_print.triggered.connect(lambda: files.export(self.poster(), for_print=True))
        a.copy_image.triggered.connect(lambda: files.copy(self.poster()))
        a.quit.triggered.connect(self.close)
        a.zoom_in.triggered.connect(self.canvas.zoom_in)
        a.zoom_out.triggered.connect(self.canvas.zoom_out)
        a.fit.triggered.connect(self.canvas.fit_to_window)
        a.actual_size.triggered.connect(self.canvas.actual_size)
        a.open_logs.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(user_log_dir()))))
        a.about.triggered.connect(lambda: AboutDialog(self.session.report, self).open())
        self.create_panel.generateRequested.connect(self.generate)
        self.create_panel.cancelRequested.connect(self.staging.queue.cancel_all)
        self.history_panel.openRequested.connect(self.open_item)
        self.history_panel.rerunRequested.connect(lambda item: self._start(item.rerun_request()))
        self.history_panel.variationRequested.connect(self.vary)
        self.history_panel.deleteRequested.connect(self.delete_item)
        self.canvas.imageDropped.connect(lambda path: files.open_path(path, dropped=True))
        files.message.connect(lambda text: self.status.showMessage(text, 6000))
        files.stateChanged.connect(self._update_title)
        files.savingChanged.connect(self._on_saving)
        files.saved.connect(self._on_saved)
        stack.indexChanged.connect(files.document_changed)
        stack.cleanChanged.connect(self._update_title)
        stack.canRedoChanged.connect(a.redo.setEnabled)
        stack.undoTextChanged.connect(lambda text: a.undo.setText(f"&Undo {text}" if text else "&Undo"))
        stack.redoTextChanged.connect(lambda text: a.redo.setText(f"&Redo {text}" if text else "&Redo"))
        a.redo.setEnabled(stack.canRedo())
        for signal in (self.history.rowsInserted, self.history.rowsRemoved):
            signal.connect(files.history_changed)
        for signal in (doc.sizeChanged, doc.baseChanged):
            signal.connect(self.show_base)
        doc.baseChanged.connect(self._update_state)
        self.create_panel.size_picker.sizeChanged.connect(self._follow_size_picker)
        self.autosaver.failed.connect(lambda text: self.status.showMessage(text, 10000))
        s.activityChanged.connect(self._update_state)
        s.modelChanged.connect(self._on_model_changed)
        s.previewShown.connect(self.canvas.show_preview)
        s.generationFailed.connect(self._on_generation_failed)
        s.cancelled.connect(self._on_cancelled)

    # -- model --

    def start(self) -> None:
        """After the window is shown: offer to recover a crashed session's work, then load the
        saved model, or ask on the very first run."""
        self.recovery_dialog = offer_recovery(self, self.autosaver, self.files, self.models.start)

    def _on_model_changed(self, report) -> None:
        self.models.show(report, self.demo_banner, self.create_panel.size_picker)
        if report is not None:
            self._follow_size_picker(*self.create_panel.size_picker.size)
        self._update_state()

    # -- generation --

    def generate(self) -> None:
        """Batch N results of what the Create panel says; queued behind a run."""
        if not self.staging.queue.can_submit:
            return
        if self._start(self.generation_request(), self.create_panel.batch.value()):
            self.remember_prompt()

    def generation_request(self) -> GenerationRequest:
        """What Generate sends now: pending typing committed, then glm_core's one builder."""
        self.commit_pending_edits()
        return build_request(self.doc, self.doc.settings, render_guide=self.text_tools.render_guide)

    def remember_prompt(self) -> None:
        """Recent keeps the prompt as typed, never the one composed from the text boxes (picking
        it again must not send the boxes' text twice)."""
        self.create_panel.prompt.set_recent(self.settings.remember_prompt(self.doc.settings.prompt))

    def vary(self, item: HistoryItem) -> None:
        """Same layout, new details: reuse the item's AR tokens and re-run only the DiT."""
        self._start(item.rerun_request().variation(secrets.randbelow(MAX_SEED + 1), item.prior))

    def _start(self, request: GenerationRequest, count: int = 1) -> bool:
        """Queue `count` results of `request`; False (and why, under the prompt) when it cannot run."""
        if not self.staging.queue.can_submit:
            return False
        report = self.session.report
        try:
            validate_request(request, report.min_side, report.max_side)
        except InvalidRequest as exc:  # an input mistake: said inline, no modal dialog
            self.create_panel.show_problem(str(exc))
            return False
        self.commit_pending_edits()
        self.autosaver.autosave()  # before each generation: the riskiest moment for memory
        self.staging.submit(request, count)
        return True

    def apply_result(self, item: HistoryItem) -> None:
        """A result onto the canvas as one undo step (app/generation/staging.py calls it; the
        Session put it in the history first)."""
        self.doc.undo_stack.push(SetBase(self.doc, Document(item.image, item.qimage, item.recipe, item.id),
                                         "Apply result"))
        self.mask_tools.result_applied(item)
        self.history_panel.select(item)
        self.create_panel.seed.show_used(item.recipe.seed)
        self.status.showMessage(f"Done in {item.seconds:.1f} s · seed {item.recipe.seed}", 8000)

    def _on_generation_failed(self, message: str, details: str, remedies=()) -> None:
        self.show_base()
        self.status.showMessage(message, 15000)  # stays in sight after the dialog is closed
        if remedies:
            self.memory.offer(message, remedies, self.session.last_request)
        else:
            show_error(self, "Generation failed", message, details)

    def _on_cancelled(self) -> None:
        if self.session.report is None:
            self.model_panel.show_unloaded()
        self.show_base()
        self.status.showMessage("Cancelled", 4000)

    # -- the document --

    def show_base(self, *_args) -> None:
        """The canvas follows the document's size and base image (after a cancel or failure too:
        back to the last finished image, not a half-made preview)."""
        if self.canvas_in_use:
            return  # the previews own the canvas; the finished result (or a cancel) comes back here
        base, size = self.doc.base, self.doc.size
        if base is None:
            self.canvas.new_document(*size)
        elif base.qimage.size().toTuple() == size:
            self.canvas.show_image(base.qimage)
        else:  # the canvas was resized under the image: show it stretched over the page
            self.canvas.new_document(*size)
            self.canvas.show_preview(base.qimage, Phase.DIFFUSION)

    def poster(self) -> Document | None:
        """What Export and Copy write: the poster as it looks. (Everything drawn over the base
        image, such as text boxes, must be composed here.)"""
        return self.doc.base

    def _is_blank(self) -> bool:
        """Nothing on the page yet (prompt edits aside): the page may follow the size picker."""
        doc, stack = self.doc, self.doc.undo_stack
        return (doc.base is None and not doc.boxes and doc.mask_is_empty()
                and all(isinstance(stack.command(i), SetPrompts) for i in range(stack.count())))

    def _follow_size_picker(self, width: int, height: int) -> None:
        if (width, height) != self.doc.size and not self.canvas_in_use and self._is_blank():
            self.doc.resize_blank_page(width, height)

    def undo(self) -> None:
        self.commit_pending_edits()
        self.doc.undo_stack.undo()

    def redo(self) -> None:
        self.commit_pending_edits()
        self.doc.undo_stack.redo()

    def commit_pending_edits(self) -> None:
        """Typing in the prompts becomes its undo step now (save, generate, undo, close)."""
        self.prompt_commit.commit()

    def open_image(self, document: Document, restore: bool, text: str = "Open image") -> None:
        """An opened or dropped image becomes the base: one undo step, with the prompt when its
        recipe is restored."""
        stack = self.doc.undo_stack
        stack.beginMacro(text)
        self.commit_pending_edits()
        stack.push(SetBase(self.doc, document, text))
        if restore and document.recipe is not None:
            # Everything the recipe says, seed locked, so Generate reproduces it.
            self.doc.settings.apply_recipe(document.recipe)
            self.create_panel.prompt.set_text(restored_prompt(document.recipe, self.doc.boxes))
            self.commit_pending_edits()
        stack.endMacro()

    def load_document(self, loaded: LoadedProject | None) -> None:
        """Replace the document (None: a new, blank one) with a fresh undo history."""
        self.staging.reset()  # what runs, waits or is staged belongs to the document being closed
        self.prompt_commit.drop_pending()
        # Before the document: a blank page follows the size picker, the loaded one must not. The
        # text switches belong to the poster: a new document starts with them off.
        self.doc.settings.update(**{**dict.fromkeys(PER_DOCUMENT, False), **(loaded.settings if loaded else {})})
        state = loaded.state if loaded is not None else DocumentState(*self.create_panel.size_picker.size)
        self.doc.replace_all(state)
        self.history.replace_all(loaded.history if loaded is not None else [])
        self.autosaver.clear()  # the closed document's autosave must not come back after a crash
        self.canvas.fit_to_window()
        self._update_state()

    def project_snapshot(self, include_path: bool = False) -> Project:
        return to_project(self.doc, self.history.items(), self.doc.settings.values(),
                          self.files.path if include_path else None)

    def _autosave_snapshot(self) -> tuple[int, Project] | None:
        if not self.files.is_dirty or self.files.revision == self.autosaver.saved_token:
            return None
        return self.files.revision, self.project_snapshot(include_path=True)

    def _on_saving(self, saving: bool) -> None:
        self.status.save_indicator.setVisible(saving)
        self.actions.save.setEnabled(not saving)
        self.actions.save_as.setEnabled(not saving)

    def _on_saved(self, _path) -> None:
        if not self.files.is_dirty:
            self.autosaver.clear()  # the file has it all: an older autosave must not be offered

    def _update_title(self, *_args) -> None:
        self.setWindowTitle(f"{self.files.display_name}[*] — {APP_NAME}")
        self.setWindowModified(self.files.is_dirty)

    # -- history --

    @property
    def canvas_in_use(self) -> bool:
        """While generating, the canvas belongs to the previews."""
        return self.session.activity is Activity.GENERATING

    def open_item(self, item: HistoryItem) -> None:
        base = self.doc.base
        if not self.canvas_in_use and (base is None or base.history_id != item.id):
            self.doc.undo_stack.push(SetBase(self.doc, Document(item.image, item.qimage, item.recipe, item.id),
                                             "Open result"))

    def delete_item(self, item: HistoryItem) -> None:
        self.history.remove(item)
        base = self.doc.base
        if base is not None and base.history_id == item.id and not self.canvas_in_use:
            self.doc.undo_stack.push(SetBase(self.doc, None, "Remove deleted result"))

    # -- state --

    def _update_state(self, *_args) -> None:
        session = self.session
        busy, loading = session.busy, session.activity is Activity.LOADING
        self.create_panel.set_busy(busy)
        self.model_panel.show_loading(loading)
        if session.report is None:
            reason = "Loading the model…" if loading else "Load a model in the Model panel to start."
        else:
            reason = ""
        self.create_panel.set_ready(session.report is not None, reason)
        self.canvas.set_hint(
            "Generating…" if self.canvas_in_use
            else "Write a prompt and press Generate (Ctrl+Enter)" if session.report is not None
            else reason
        )
        self.history_panel.set_availability(not self.canvas_in_use, self.staging.queue.can_submit)
        self.actions.generate.setEnabled(self.staging.queue.can_submit)
        self.actions.cancel.setEnabled(busy)
        has_image = self.doc.base is not None
        self.actions.export_png.setEnabled(has_image)
        self.actions.export_print.setEnabled(has_image)
        self.actions.copy_image.setEnabled(has_image)

    # -- persistence and shutdown --

    def _restore(self) -> None:
        geometry, state = self.settings.window_geometry(), self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        if state is not None:
            self.restoreState(state)
        self.doc.settings.update(**self.settings.generation_values())
        self.create_panel.prompt.set_recent(self.settings.recent_prompts)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closed and not self.files.maybe_save():
            event.ignore()  # Cancel, or the save failed: the document stays open
            return
        self._closed = True
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.set_generation_values(self.doc.settings.values(REMEMBERED))
        self.settings.sync()
        log.info("closing (%s)", self.session.activity.value)
        # A load can only stop between components (seconds on a big model): look closed meanwhile.
        self.hide()
        self.staging.reset()  # nothing queued may start while the worker thread winds down
        self.session.shutdown()
        self.files.wait()
        self.autosaver.close()  # a clean close: nothing to recover next time
        super().closeEvent(event)
