"""Ask for a Hugging Face access token (gated or private repos). The token is never shown or logged;
it is remembered only in the OS keyring, and only when the user ticks the box."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from glm_core.models import hub_token


class TokenPrompt(QDialog):
    def __init__(self, reason: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("tokenPrompt")
        self.setWindowTitle("Access token needed")
        self.setMinimumWidth(460)
        why = QLabel(reason)
        why.setWordWrap(True)
        why.setTextFormat(Qt.TextFormat.PlainText)
        why.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.field = QLineEdit()
        self.field.setObjectName("tokenField")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setPlaceholderText("hf_…  (a read token is enough)")
        store = hub_token.storage_name()
        self.remember = QCheckBox(f"Remember it in the {store}" if store else "Remember it")
        self.remember.setObjectName("rememberToken")
        self.remember.setEnabled(store is not None)
        self.remember.setChecked(store is not None)
        note = QLabel("Stored only in your system's credential store, never in a file of this app."
                      if store else "No system keyring is available here (pip install keyring): "
                      "the token is used for this download only and not stored.")
        note.setObjectName("hint")
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use Token")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.field.textChanged.connect(
            lambda text: self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(text.strip())))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 18)
        layout.setSpacing(10)
        layout.addWidget(why)
        layout.addWidget(self.field)
        layout.addWidget(self.remember)
        layout.addWidget(note)
        layout.addWidget(self.buttons)

    @property
    def token(self) -> str:
        return self.field.text().strip()

    def store_if_asked(self) -> bool:
        """Save the token in the keyring when the box is ticked; True if it was stored."""
        return bool(self.token) and self.remember.isChecked() and hub_token.save_token(self.token)
