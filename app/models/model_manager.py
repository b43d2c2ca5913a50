"""Model ▸ Manage Models…: the models the app knows, and downloading, checking and choosing them.

Rows come from glm_core.models.catalog.known_models() (disk only). Download, Verify and Repair run one at
a time on a ModelTaskRunner thread; the dialog shows progress in bytes with speed and ETA. Closing
the dialog (or the window under it, or the app) cancels the task and waits for its thread; a
cancelled download keeps its partial files and Resume continues from there.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QCheckBox, QDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy,
                               QVBoxLayout, QWidget)

from app.document.file_dialogs import FileDialogs
from app.models.model_rows import SIZE, TABLE_STYLE, existing_folder, fill_row, make_table
from app.models.model_texts import describe_progress, outcome_text, summary_text
from app.models.token_prompt import TokenPrompt
from app.models.download_worker import DONE, FAILED, ModelTaskRunner, TaskOutcome
from app.ui.formatting import format_bytes
from glm_core.models import catalog, hub_cache
from glm_core.models.download_errors import NotEnoughDiskSpace, TokenRequired
from glm_core.models.load_report import LoadError
from glm_core.models.verify import VerifyReport, repair, verify
from glm_core.models.download_progress import DownloadProgress
from glm_core.models.download import DISK_MARGIN_BYTES

log = logging.getLogger(__name__)



class ModelManagerDialog(QDialog):
    useRequested = Signal(str)  # a model source (hub id or folder) that verified OK: load it
    taskFinished = Signal(object)  # TaskOutcome, after the dialog has shown it (GUI thread)

    def __init__(self, dialogs: FileDialogs | None = None, parent: QWidget | None = None, select: str | None = None):
        super().__init__(parent)
        self.setObjectName("modelManager")
        self.setWindowTitle("Models")
        self.setStyleSheet(TABLE_STYLE)
        self.resize(1040, 520)
        self._dialogs = dialogs or FileDialogs()
        self.runner = ModelTaskRunner(self)
        self.entries: list[catalog.ModelEntry] = []
        self.token_prompt: TokenPrompt | None = None
        self._last: dict[str, DownloadProgress] = {}  # newest progress per model, kept after a cancel
        self._reports: dict[str, VerifyReport] = {}
        self._failed: set[str] = set()  # models whose last download failed: the button says Retry
        self._cells: dict[str, object] = {}
        self._token: str | None = None  # given in the prompt, for this dialog's downloads only
        self._use_after_verify = False

        title = QLabel("Models")
        title.setObjectName("dialogTitle")
        intro = QLabel(f"Downloads fetch only the files the pipeline needs into the Hugging Face cache "
                       f"({hub_cache.cache_dir()}); a stopped download resumes where it stopped.")
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        self.table = make_table()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        keep = self.progress.sizePolicy()
        keep.setRetainSizeWhenHidden(True)
        self.progress.setSizePolicy(keep)
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("taskStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # paths and hub messages are not markup
        self.message = QLabel()
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.message.setMinimumHeight(56)
        self.message.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.checksums = QCheckBox("Verify compares checksums too (slow: seconds per GB)")

        def button(text: str, slot, name: str | None = None) -> QPushButton:
            b = QPushButton(text)
            b.setAutoDefault(False)
            if name:
                b.setObjectName(name)
            b.clicked.connect(slot)
            return b

        self.download_button = button("Download", lambda: self.start_download())
        self.cancel_button = button("Cancel", self.runner.cancel)
        self.verify_button = button("Verify", lambda: self.verify_selected())
        self.repair_button = button("Repair", self.repair_selected)
        self.add_button = button("Add Folder…", self.add_folder)
        self.remove_button = button("Remove", self.remove_selected)
        self.use_button = button("Use This Model", self.use_selected, "primaryButton")
        self.close_button = button("Close", self.reject)
        actions = QHBoxLayout()
        for b in (self.download_button, self.cancel_button, self.verify_button, self.repair_button):
            actions.addWidget(b)
        actions.addSpacing(16)
        actions.addWidget(self.add_button)
        actions.addWidget(self.remove_button)
        actions.addStretch(1)
        actions.addWidget(self.use_button)
        actions.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 18)
        layout.setSpacing(10)
        for widget in (title, intro, self.table, self.status, self.progress, self.message, self.checksums):
            layout.addWidget(widget, 1 if widget is self.table else 0)
        layout.addLayout(actions)

        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.runner.progressed.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self._watch_closing(parent)
        self.refresh(select)

    # -- the list --

    def refresh(self, select: str | None = None) -> None:
        select = select or (self.selected().id if self.selected() else None)
        self.entries = catalog.known_models()
        self.table.setRowCount(len(self.entries))
        self._cells.clear()
        for row, entry in enumerate(self.entries):
            self._cells[entry.id] = fill_row(self.table, row, entry, self._last.get(entry.id), self.open_folder)
        ids = [e.id for e in self.entries]
        self.table.selectRow(ids.index(select) if select in ids else 0)
        self._update_buttons()

    def selected(self) -> catalog.ModelEntry | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.entries[rows[0].row()] if rows and rows[0].row() < len(self.entries) else None

    def cell(self, model_id: str):
        """The 'Downloaded' cell of a model's row (tests read it)."""
        return self._cells.get(model_id)

    def open_folder(self, folder: Path) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(existing_folder(folder))))

    # -- commands --

    def start_download(self, model_id: str | None = None) -> None:
        if model_id:
            self.refresh(model_id)
        entry = self.selected()
        if entry is None or entry.source != "hub" or self.runner.busy:
            return
        token, repo, revision = self._token, entry.id, entry.revision
        self._failed.discard(repo)
        self._run("download", repo, lambda progress, cancel: catalog.download(
            repo, revision, on_progress=progress, cancel=cancel, token=token))

    def verify_selected(self, then_use: bool = False) -> None:
        entry = self.selected()
        if entry is None or self.runner.busy:
            return
        self._use_after_verify = then_use
        target = entry.id if entry.source == "hub" else str(entry.location)
        revision, checksums = entry.revision, self.checksums.isChecked()
        self._run("verify", entry.id, lambda _progress, cancel: verify(target, revision, checksums, cancel))

    def repair_selected(self) -> None:
        entry = self.selected()
        report = self._reports.get(entry.id) if entry else None
        if report is None or report.repo_id is None or self.runner.busy:
            return
        token = self._token
        self._run("repair", entry.id, lambda progress, cancel: repair(
            report.repo_id, report, on_progress=progress, cancel=cancel, token=token))

    def use_selected(self) -> None:
        """Verify first (headers and sizes: quick), then hand the model to the window to load."""
        self.verify_selected(then_use=True)

    def add_folder(self) -> None:
        folder = self._dialogs.model_folder(self)
        if not folder:
            return
        try:
            entry = catalog.add_local_folder(folder)
        except LoadError as exc:
            self._say(f"Not added: {exc}", error=True)
            return
        self.refresh(entry.id)
        self._say(f"Added {entry.name} ({format_bytes(entry.total_bytes or 0)}).")

    def remove_selected(self) -> None:
        entry = self.selected()
        if entry is None or entry.official or (self.runner.task and self.runner.task[1] == entry.id):
            return
        catalog.forget_model(entry.id)
        self._reports.pop(entry.id, None)
        self.refresh()
        self._say(f"Removed {entry.name} from the list. Its files stay on disk at {entry.location}.")

    def _run(self, kind: str, model_id: str, fn) -> None:
        self._say("")
        self.runner.start(kind, model_id, fn)
        self.status.setText({"download": "Starting the download…", "repair": "Repairing…"}.get(kind, "Checking…"))
        self.progress.setVisible(kind != "verify")
        self.progress.setValue(0)
        self._update_buttons()

    # -- reports from the runner (GUI thread) --

    def _on_progress(self, model_id: str, p: DownloadProgress) -> None:
        self._last[model_id] = p
        self.status.setText(describe_progress(p))
        if p.total_bytes:
            self.progress.setValue(int(1000 * p.fraction))
            cell = self._cells.get(model_id)
            if cell is not None:
                cell.show_progress(p.done_bytes, p.total_bytes)
                row = list(self._cells).index(model_id)
                self.table.item(row, SIZE).setText(format_bytes(p.total_bytes))  # the hub's size, not the estimate

    def _on_finished(self, outcome: TaskOutcome) -> None:
        self.progress.hide()
        model_id, error = outcome.model_id, outcome.error
        text, problem = outcome_text(outcome, self._last.get(model_id))
        self._say(text, error=problem)
        if outcome.status == DONE and outcome.kind == "download":
            self._last.pop(model_id, None)
        elif outcome.status == DONE:
            self._reports[model_id] = outcome.result
        elif outcome.status == FAILED and outcome.kind != "verify" and not isinstance(
                error, (TokenRequired, NotEnoughDiskSpace)):
            self._failed.add(model_id)
        use = self._use_after_verify and outcome.kind == "verify" and outcome.status == DONE and outcome.result.ok
        self._use_after_verify = False
        self.refresh(model_id)
        if isinstance(error, TokenRequired):
            self._ask_token(outcome)
        self.taskFinished.emit(outcome)
        if use:
            self.useRequested.emit(model_id)  # a hub id, or a folder's path: what LoadOptions(source=) takes
            self.accept()

    def _ask_token(self, outcome: TaskOutcome) -> None:
        prompt = TokenPrompt(outcome.message, self)
        prompt.accepted.connect(lambda: self._on_token(prompt, outcome))
        self.token_prompt = prompt
        prompt.open()

    def _on_token(self, prompt: TokenPrompt, outcome: TaskOutcome) -> None:
        self._token = prompt.token
        stored = prompt.store_if_asked()
        self.refresh(outcome.model_id)
        (self.repair_selected if outcome.kind == "repair" else self.start_download)()
        if stored:
            self._say("The token is saved in the system keyring for later downloads.")

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        name = "warning" if error else "hint"
        if self.message.objectName() != name:
            self.message.setObjectName(name)
            self.message.style().unpolish(self.message)
            self.message.style().polish(self.message)

    def _update_buttons(self) -> None:
        entry, busy = self.selected(), self.runner.busy
        hub = entry is not None and entry.source == "hub"
        partial = hub and not entry.complete and (entry.present_bytes > 0 or entry.id in self._last)
        self.download_button.setText("Retry" if hub and entry.id in self._failed else
                                     "Resume" if partial else "Download")
        self.download_button.setEnabled(hub and not entry.complete and not busy)
        self.cancel_button.setEnabled(busy)
        self.verify_button.setEnabled(entry is not None and not busy and (not hub or entry.present_bytes > 0))
        report = self._reports.get(entry.id) if entry else None
        self.repair_button.setEnabled(bool(report and not report.ok and report.repo_id and report.folder) and not busy)
        self.remove_button.setEnabled(entry is not None and not entry.official and not (
            busy and self.runner.task[1] == entry.id))
        self.use_button.setEnabled(entry is not None and entry.complete and not busy)
        self.checksums.setEnabled(not busy)
        if not busy:
            self.status.setText(summary_text(entry, DISK_MARGIN_BYTES, self._last.get(entry.id)) if entry else "")

    # -- closing --

    def _watch_closing(self, parent: QWidget | None) -> None:
        """Closing any window under this dialog (the main window) or quitting ends the task first."""
        self._watched = []
        while parent is not None:
            if parent.isWindow():
                parent.installEventFilter(self)
                self._watched.append(parent)
            parent = parent.parentWidget()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close and watched in self._watched:
            self.shutdown()
            if self.isVisible():
                self.reject()
        return False

    def shutdown(self) -> None:
        """Cancel what runs and join its thread. Safe to call more than once."""
        if self.runner.busy:
            log.info("model manager closing: cancelling the %s of %s", *self.runner.task)
        self.runner.shutdown()

    def done(self, result: int) -> None:
        self.shutdown()
        super().done(result)
