"""The main window: canvas in the middle, Create panel left, History and Model right."""

from __future__ import annotations

import logging
import secrets

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QScrollArea, QVBoxLayout, QWidget

from app.canvas import CanvasView
from app.dialogs.error_dialog import show_error
from app.dialogs.file_dialogs import FileDialogs
from app.dialogs.first_run import FirstRunDialog
from app.document import Document
from app.file_commands import FileCommands
from app.history import HistoryItem, HistoryModel
from app.menus import build_actions, build_menus
from app.model_source import download_missing
from app.panels.create_panel import CreatePanel
from app.panels.history_panel import HistoryPanel
from app.panels.model_panel import DEMO_WARNING, ModelPanel
from app.session import Activity, Session
from app.settings import StudioSettings
from app.status_bar import StudioStatusBar
from app.worker import GenerationWorker
from glm_core import __version__
from glm_core.loader import LoadOptions
from glm_core.metadata import request_from_recipe
from glm_core.paths import APP_NAME, user_log_dir
from glm_core.request import GenerationRequest
from glm_core.validation import MAX_SEED, InvalidRequest, validate_request

log = logging.getLogger(__name__)


def _dock(window: QMainWindow, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(name)  # saveState/restoreState find docks by name
    dock.setWidget(widget)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
    window.addDockWidget(area, dock)
    return dock


class MainWindow(QMainWindow):
    def __init__(self, settings: StudioSettings, worker: GenerationWorker | None = None,
                 dialogs: FileDialogs | None = None):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        self.settings = settings
        self.history = HistoryModel(self)
        self.session = Session(self.history, worker, parent=self)
        self.document: Document | None = None
        self.first_run_dialog: FirstRunDialog | None = None
        self.files = FileCommands(self, settings, dialogs or FileDialogs())

        self.canvas = CanvasView()
        self.demo_banner = QLabel(f"{DEMO_WARNING} Load GLM-Image in the Model panel for real posters.")
        self.demo_banner.setObjectName("demoBanner")
        self.demo_banner.setWordWrap(True)
        self.demo_banner.hide()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.demo_banner)
        column.addWidget(self.canvas, 1)
        self.setCentralWidget(central)

        self.create_panel = CreatePanel()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.create_panel)
        self.history_panel = HistoryPanel(self.history)
        self.model_panel = ModelPanel()
        self.create_dock = _dock(self, "Create", "createDock", scroll, Qt.DockWidgetArea.LeftDockWidgetArea)
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.history_dock = _dock(self, "History", "historyDock", self.history_panel, right)
        self.model_dock = _dock(self, "Model", "modelDock", self.model_panel, right)
        self.tabifyDockWidget(self.history_dock, self.model_dock)
        self.history_dock.raise_()
        self.resizeDocks([self.create_dock, self.history_dock], [340, 300], Qt.Orientation.Horizontal)
        self.status = StudioStatusBar(self.session)
        self.setStatusBar(self.status)
        self.actions = build_actions(self)
        build_menus(self, self.actions, [self.create_dock, self.history_dock, self.model_dock])
        self._connect()
        self._restore()
        self._update_state()

    def _connect(self) -> None:
        a, s, files = self.actions, self.session, self.files
        a.generate.triggered.connect(self.generate)
        a.cancel.triggered.connect(s.cancel)
        a.open_png.triggered.connect(files.open_dialog)
        a.export_png.triggered.connect(lambda: files.export(self.document))
        a.copy_image.triggered.connect(lambda: files.copy(self.document))
        a.quit.triggered.connect(self.close)
        a.zoom_in.triggered.connect(self.canvas.zoom_in)
        a.zoom_out.triggered.connect(self.canvas.zoom_out)
        a.fit.triggered.connect(self.canvas.fit_to_window)
        a.actual_size.triggered.connect(self.canvas.actual_size)
        a.load_model.triggered.connect(lambda: self.load_model(self.model_panel.options()))
        a.open_logs.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(user_log_dir()))))
        a.about.triggered.connect(self._about)

        self.create_panel.generateRequested.connect(self.generate)
        self.create_panel.cancelRequested.connect(s.cancel)
        self.history_panel.openRequested.connect(self.open_item)
        self.history_panel.rerunRequested.connect(lambda item: self._start(request_from_recipe(item.recipe)))
        self.history_panel.variationRequested.connect(self.vary)
        self.history_panel.deleteRequested.connect(self.delete_item)
        self.model_panel.loadRequested.connect(self.load_model)
        self.model_panel.cancelRequested.connect(s.cancel)
        self.model_panel.browseRequested.connect(self._browse_model_folder)
        self.canvas.imageDropped.connect(files.open_png)
        files.documentOpened.connect(self._on_document_opened)
        files.message.connect(lambda text: self.status.showMessage(text, 6000))

        s.activityChanged.connect(self._update_state)
        s.modelChanged.connect(self._on_model_changed)
        s.loadFailed.connect(self._on_load_failed)
        s.previewShown.connect(self.canvas.show_preview)
        s.generationFinished.connect(self._on_finished)
        s.generationFailed.connect(self._on_generation_failed)
        s.cancelled.connect(self._on_cancelled)

    # -- model --

    def start(self) -> None:
        """After the window is shown: load the saved model, or ask on the very first run."""
        if self.settings.model_source:
            self.load_model(self.model_panel.options())  # the panel shows the saved choice
            return
        dialog = FirstRunDialog(self.files.dialogs, self)
        dialog.accepted.connect(lambda: self._load_source(dialog.choice))
        dialog.open()
        self.first_run_dialog = dialog

    def _load_source(self, source: str) -> None:
        self.model_panel.set_choice(source, self.settings.quant, self.settings.device)
        self.load_model(self.model_panel.options())

    def load_model(self, options: LoadOptions) -> None:
        if not options.source:
            self.status.showMessage("Choose a model folder first", 6000)
            return
        missing = download_missing(options.source)
        if missing:
            show_error(self, "Model not downloaded", missing)
            return
        self.settings.model_source = options.source
        self.settings.quant, self.settings.device = options.quant, options.device
        self.session.load(options)

    def _browse_model_folder(self) -> None:
        folder = self.files.dialogs.model_folder(self)
        if folder:
            self.model_panel.set_folder(folder)

    def _on_model_changed(self, report) -> None:
        if report is None:
            self.demo_banner.hide()
        else:
            self.model_panel.show_report(report)
            self.create_panel.size_picker.set_limits(report.min_side, report.max_side)
            self.demo_banner.setVisible(report.is_demo)
            if not self.canvas.has_image:
                self.canvas.new_document(*self.create_panel.size_picker.size)
        self._update_state()

    def _on_load_failed(self, message: str, details: str) -> None:
        self.model_panel.show_failed(message)
        show_error(self, "The model could not be loaded", message, details)

    # -- generation --

    def generate(self) -> None:
        if not self.session.can_generate:
            return
        request = self.create_panel.request()
        self.create_panel.prompt.set_recent(self.settings.remember_prompt(request.prompt))
        self._start(request)

    def vary(self, item: HistoryItem) -> None:
        """Same layout, new details: reuse the item's AR tokens and re-run only the DiT."""
        self._start(request_from_recipe(item.recipe).variation(secrets.randbelow(MAX_SEED + 1), item.prior))

    def _start(self, request: GenerationRequest) -> None:
        if not self.session.can_generate:
            return
        report = self.session.report
        try:
            validate_request(request, report.min_side, report.max_side)
        except InvalidRequest as exc:
            show_error(self, "This can't be generated yet", str(exc))
            return
        self.canvas.new_document(request.width, request.height)
        self.session.generate(request)

    def _on_finished(self, item: HistoryItem) -> None:
        self.show_document(Document(item.image, item.qimage, item.recipe, item.id))
        self.history_panel.select(item)
        self.create_panel.seed.show_used(item.recipe.seed)
        self.status.showMessage(f"Done in {item.seconds:.1f} s · seed {item.recipe.seed}", 8000)

    def _on_generation_failed(self, message: str, details: str) -> None:
        self._restore_canvas()
        show_error(self, "Generation failed", message, details)

    def _on_cancelled(self) -> None:
        if self.session.report is None:
            self.model_panel.show_unloaded()
        self._restore_canvas()
        self.status.showMessage("Cancelled", 4000)

    # -- documents and history --

    def show_document(self, document: Document) -> None:
        self.document = document
        self.canvas.show_image(document.qimage)
        self._update_state()

    def _restore_canvas(self) -> None:
        """Back to the last finished image after a cancel or failure, not a half-made preview."""
        if self.document is not None:
            self.canvas.show_image(self.document.qimage)
        else:
            self.canvas.new_document(*self.canvas.document_size)

    @property
    def canvas_in_use(self) -> bool:
        """While generating, the canvas belongs to the previews."""
        return self.session.activity is Activity.GENERATING

    def open_item(self, item: HistoryItem) -> None:
        if not self.canvas_in_use:
            self.show_document(Document(item.image, item.qimage, item.recipe, item.id))

    def delete_item(self, item: HistoryItem) -> None:
        self.history.remove(item)
        if self.document is not None and self.document.history_id == item.id and not self.canvas_in_use:
            self.document = None
            self.canvas.new_document(*self.canvas.document_size)
            self._update_state()

    def _on_document_opened(self, document: Document) -> None:
        self.create_panel.apply_recipe(document.recipe)
        if not self.canvas_in_use:
            self.show_document(document)

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
        self.history_panel.set_availability(not self.canvas_in_use, session.can_generate)
        self.actions.generate.setEnabled(session.can_generate)
        self.actions.cancel.setEnabled(busy)
        has_document = self.document is not None
        self.actions.export_png.setEnabled(has_document)
        self.actions.copy_image.setEnabled(has_document)

    def _about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}", f"<b>{APP_NAME}</b> {__version__}<br>"
                          "Posters with GLM-Image, on your own computer.")

    # -- persistence and shutdown --

    def _restore(self) -> None:
        geometry, state = self.settings.window_geometry(), self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        if state is not None:
            self.restoreState(state)
        self.create_panel.restore(self.settings.generation_values())
        self.create_panel.prompt.set_recent(self.settings.recent_prompts)
        self.model_panel.set_choice(self.settings.model_source, self.settings.quant, self.settings.device)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.set_generation_values(self.create_panel.values())
        self.settings.sync()
        log.info("closing (%s)", self.session.activity.value)
        # A load can only stop between components (seconds on a big model): look closed meanwhile.
        self.hide()
        self.session.shutdown()
        self.files.exporter.wait()
        super().closeEvent(event)
