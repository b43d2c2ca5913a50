"""First run: no model configured yet. Offer the demo model, the real download, or a local folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from huggingface_hub import constants as hub_constants
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.dialogs.file_dialogs import FileDialogs
from app.formatting import format_bytes
from glm_core.loader import OFFICIAL_REPO_ID
from glm_core.memory import known_model_info


def free_disk_bytes(folder: Path) -> tuple[Path, int]:
    """Free space where `folder` is (or would be created)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    return folder, shutil.disk_usage(existing).free


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
        self.download_button = QPushButton("Download…")
        self.folder_button = QPushButton("Choose folder…")
        download_size = known_model_info()["download_bytes"]
        cache, free = free_disk_bytes(Path(hub_constants.HF_HUB_CACHE))
        enough = "enough" if free >= download_size else "not enough"
        # No downloader exists in this version; say so rather than offer a button that fails.
        self.download_button.setEnabled(False)
        self.download_button.setToolTip("In-app download comes in a later version")

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
        layout.addWidget(_card(
            "Download GLM-Image",
            f"The real model ({OFFICIAL_REPO_ID}): {format_bytes(download_size)} to download, needs "
            f"{format_bytes(download_size)} of disk space — {format_bytes(free)} free at {cache} ({enough}).<br>"
            "<i>Downloading from inside the app is not available in this version yet.</i> Download the model "
            f"with <code>hf download {OFFICIAL_REPO_ID}</code>, then choose its folder below.",
            self.download_button,
        ))
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
        self.folder_button.clicked.connect(self._choose_folder)

    def _choose(self, source: str) -> None:
        self.choice = source
        self.accept()

    def _choose_folder(self) -> None:
        folder = self._dialogs.model_folder(self)
        if folder:
            self._choose(folder)
