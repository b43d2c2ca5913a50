"""Which model the window runs: the saved choice at start (or the first-run question), the Model
panel's Load and Browse, Model ▸ Load, and Model ▸ Manage Models… (downloads, checks), whose
"Use This Model" comes back through the same load path."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMainWindow

from app.document.file_dialogs import FileDialogs
from app.generation.session import Session
from app.generation.size_picker import SizePicker
from app.models.engine_panel import SERVER, EnginePanel
from app.models.first_run import FirstRunDialog
from app.models.model_manager import ModelManagerDialog
from app.models.model_panel import DEMO_WARNING, ModelPanel
from app.models.model_source import needs_download
from app.settings import StudioSettings
from app.status_bar import StudioStatusBar
from app.ui.error_dialog import show_error
from glm_core.engine.process import ProcessEngine
from glm_core.engine.remote import RemoteEngine
from glm_core.models.load_report import LoadOptions


def demo_banner() -> QLabel:
    """Over the canvas while the demo model is loaded: its pictures are noise, not posters."""
    banner = QLabel(f"{DEMO_WARNING} Load GLM-Image in the Model panel for real posters.")
    banner.setObjectName("demoBanner")
    banner.setWordWrap(True)
    banner.hide()
    return banner


def saved_engine(settings: StudioSettings) -> RemoteEngine | None:
    """The server the user last chose (its key comes from the keyring), or None: the window then
    starts the engine process. Decided before the Session exists, so a saved server never spawns
    an engine process only to close it."""
    if settings.engine_kind == SERVER and settings.engine_url:
        return RemoteEngine(settings.engine_url)
    return None


class ModelLoading(QObject):
    def __init__(self, window: QMainWindow, settings: StudioSettings, session: Session, panel: ModelPanel,
                 dialogs: FileDialogs, status: StudioStatusBar, load_action: QAction, manage_action: QAction):
        super().__init__(window)
        self.window, self.settings, self.session, self.panel = window, settings, session, panel
        self.dialogs, self.status = dialogs, status
        self.first_run_dialog: FirstRunDialog | None = None
        self.manager_dialog: ModelManagerDialog | None = None
        panel.set_choice(settings.model_source, settings.quant, settings.device)
        self.engine_panel = EnginePanel(settings)
        panel.set_engine_panel(self.engine_panel)
        self.engine_panel.engineChosen.connect(self.use_engine)
        load_action.triggered.connect(lambda: self.load(panel.options()))
        manage_action.triggered.connect(lambda: self.open_manager())
        panel.manageRequested.connect(lambda: self.open_manager())
        panel.loadRequested.connect(self.load)
        panel.cancelRequested.connect(session.cancel)
        panel.browseRequested.connect(self._browse_folder)
        session.loadFailed.connect(self._on_load_failed)

    def start(self) -> None:
        """Use the saved server, or load the saved model, or ask on the very first run."""
        if isinstance(self.session.engine, RemoteEngine):  # the saved server (saved_engine)
            self.session.load(LoadOptions(source=self.session.engine.base_url))
            return
        if self.settings.model_source:
            self.load(self.panel.options())  # the panel shows the saved choice
            return
        dialog = FirstRunDialog(self.dialogs, self.window)
        dialog.accepted.connect(lambda: self.use(dialog.choice))
        dialog.open()
        self.first_run_dialog = dialog

    def use_engine(self, engine: RemoteEngine | None) -> None:
        """The Engine choice: a server that answered its test (reached again to load), or None =
        this computer, whose engine process then loads the saved model."""
        if engine is None:
            if not isinstance(self.session.engine, RemoteEngine):
                return  # already this computer
            self.session.use_engine(ProcessEngine())
            if self.settings.model_source:
                self.load(self.panel.options())
            return
        self.session.use_engine(engine)
        self.session.load(LoadOptions(source=engine.base_url))

    def use(self, source: str) -> None:
        """Load `source` with the quantization and device chosen before."""
        self.panel.set_choice(source, self.settings.quant, self.settings.device)
        self.load(self.panel.options())

    def load(self, options: LoadOptions) -> None:
        if not options.source:
            self.status.showMessage("Choose a model folder first", 6000)
            return
        if needs_download(options.source):
            self.open_manager(select=options.source)  # download there, then "Use This Model"
            self.status.showMessage(f"{options.source} is not downloaded yet: download it in Manage Models", 8000)
            return
        self.settings.model_source = options.source
        self.settings.quant, self.settings.device = options.quant, options.device
        self.session.load(options)

    def open_manager(self, select: str | None = None) -> ModelManagerDialog:
        if self.manager_dialog is not None:
            self.manager_dialog.raise_()
            self.manager_dialog.activateWindow()
            return self.manager_dialog
        dialog = ModelManagerDialog(self.dialogs, self.window, select)
        dialog.useRequested.connect(self.use)
        dialog.finished.connect(self._manager_closed)
        self.manager_dialog = dialog
        dialog.open()
        return dialog

    def _manager_closed(self) -> None:
        dialog, self.manager_dialog = self.manager_dialog, None
        if dialog is not None:
            dialog.deleteLater()

    def show(self, report, banner: QLabel, size_picker: SizePicker) -> None:
        """A model loaded (or none): its report in the panel, its size limits in the picker."""
        banner.setVisible(report is not None and report.is_demo)
        if report is not None:
            self.panel.show_report(report)
            size_picker.set_limits(report.min_side, report.max_side)

    def _browse_folder(self) -> None:
        folder = self.dialogs.model_folder(self.window)
        if folder:
            self.panel.set_folder(folder)

    def _on_load_failed(self, message: str, details: str) -> None:
        self.panel.show_failed(message)
        show_error(self.window, "The model could not be loaded", message, details)
