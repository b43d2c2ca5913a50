"""First run: no model configured yet. Offer the demo model, the real download, or a local folder."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.document.file_dialogs import FileDialogs
from app.ui.formatting import format_bytes
from app.models.model_source import DOWNLOAD_COMMAND
from glm_core.models.catalog import ModelEntry, known_models


def official_model() -> ModelEntry:
    return next(entry for entry in known_models() if entry.official)


def describe_download(entry: ModelEntry) -> str:
    """Size, disk space needed and free, and how the download goes (rich text)."""
    if entry.complete:
        return f"Already downloaded ({format_bytes(entry.present_bytes)}) at {entry.location}."
    size = "unknown size" if entry.total_bytes is None else format_bytes(entry.total_bytes)
    needed = max((entry.total_bytes or 0) - entry.present_bytes, 0)
    enough = "enough" if entry.free_bytes >= needed else "<b>not enough</b>"
    partial = f" {format_bytes(entry.present_bytes)} already there." if entry.present_bytes else ""
    return (
        f"The real model ({entry.id}): {size} to download, needs {format_bytes(needed)} of disk space — "
        f"{format_bytes(entry.free_bytes)} free ({enough}).{partial} "
        "It downloads here with progress; a stopped download resumes where it stopped."
    )


def _card(title: str, text: str, button: QPushButton) -> QFrame:
    card = QFrame()
    card.setObjectName("choiceCard")
    heading = QLabel(title)
    heading.setObjectName("cardTitle")
    body = QLabel(text)
    body.setObjectName("hint")
    body.setWordWrap(True)
    body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    words = QVBoxLayout()
    words.setSpacing(4)
    words.addWidget(heading)
    words.addWidget(body)
    row = QHBoxLayout(card)
    row.setContentsMargins(16, 14, 16, 14)
    row.setSpacing(16)
    row.addLayout(words, 1)
    row.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
    return card


class FirstRunDialog(QDialog):
    """After exec()/accept(), `choice` holds the chosen model source ("demo" or a folder)."""

    def __init__(self, dialogs: FileDialogs, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("firstRunDialog")
        self.setWindowTitle("Welcome to GLM-Image Studio")
        self.setMinimumWidth(620)
        self.choice: str | None = None
        self._dialogs = dialogs

        self.demo_button = QPushButton("Use demo model")
        self.demo_button.setObjectName("primaryButton")
        self.folder_button = QPushButton("Choose folder…")
        official = official_model()
        self.download_button = QPushButton("Use GLM-Image" if official.complete else "Download GLM-Image…")
        self.download_button.setObjectName("downloadButton")
        self.download_button.setToolTip(f"Into {official.location}\nOr in a terminal: "
                                        + DOWNLOAD_COMMAND.format(repo=official.id))
        self.model_manager = None  # the download dialog, once opened

        title = QLabel("Choose a model to start")
        title.setObjectName("dialogTitle")
        intro = QLabel("You can switch at any time in the Model panel.")
        intro.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 22, 24, 22)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(_card(
            "Try the demo model",
            "A tiny built-in model with random weights, ready in seconds and nothing to download. "
            "It is for trying the interface: <b>its pictures are noise</b>, not posters.",
            self.demo_button,
        ))
        layout.addWidget(_card("GLM-Image", describe_download(official), self.download_button))
        layout.addWidget(_card(
            "Use a model folder",
            "A GLM-Image folder already on this computer (it has a model_index.json).",
            self.folder_button,
        ))
        later = QPushButton("Decide later")
        later.setFlat(True)
        later.clicked.connect(self.reject)
        footer = QHBoxLayout()
        footer.addStretch(1)
        footer.addWidget(later)
        layout.addLayout(footer)

        self.demo_button.clicked.connect(lambda: self._choose("demo"))
        self.download_button.clicked.connect(lambda: self._download(official.id))
        self.folder_button.clicked.connect(self._choose_folder)

    def _choose(self, source: str) -> None:
        self.choice = source
        self.accept()

    def _download(self, model_id: str) -> None:
        """Open the model manager on GLM-Image and start its download (or, if it is already here,
        let the manager check it); a model the manager hands back becomes the choice."""
        from app.models.model_manager import ModelManagerDialog

        manager = ModelManagerDialog(self._dialogs, self, select=model_id)
        manager.useRequested.connect(self._choose)
        manager.finished.connect(manager.deleteLater)
        self.model_manager = manager
        manager.open()
        if manager.selected() is not None and manager.selected().complete:
            manager.use_selected()  # verify, then use
        else:
            manager.start_download(model_id)

    def _choose_folder(self) -> None:
        folder = self._dialogs.model_folder(self)
        if folder:
            self._choose(folder)
