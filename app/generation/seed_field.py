"""Seed: random for every run, or locked to a number; the last seed used is always copyable."""

from __future__ import annotations

import secrets

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QGuiApplication, QRegularExpressionValidator
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QToolButton, QWidget

from app.ui.resources import icon
from glm_core.generation.validation import MAX_SEED


class SeedField(QWidget):
    changed = Signal()  # the seed shown or its lock

    def __init__(self, parent=None):
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setObjectName("seedEdit")
        self.edit.setPlaceholderText("Random")
        self.edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,10}")))
        self.edit.setToolTip("Seed of the random noise. Typing a number locks it: "
                             "the same settings and seed give the same image.")
        self.lock = QToolButton()
        self.lock.setObjectName("seedLock")
        self.lock.setCheckable(True)
        self.dice = QToolButton()
        self.dice.setIcon(icon("dice"))
        self.dice.setToolTip("Pick a new random seed and lock it")
        self.copy = QToolButton()
        self.copy.setIcon(icon("copy"))
        self.copy.setToolTip("Copy the seed to the clipboard")

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.lock)
        layout.addWidget(self.dice)
        layout.addWidget(self.copy)

        self.lock.toggled.connect(self._on_lock_toggled)
        self.lock.toggled.connect(self.changed)
        self.edit.textChanged.connect(self.changed)
        self.edit.textEdited.connect(lambda text: self.lock.setChecked(bool(text)))
        self.dice.clicked.connect(lambda: self.set_seed(secrets.randbelow(MAX_SEED + 1), locked=True))
        self.copy.clicked.connect(self.copy_to_clipboard)
        self._show_lock(False)

    @property
    def locked(self) -> bool:
        return self.lock.isChecked()  # never checked with an empty field (see _on_lock_toggled)

    def seed(self) -> int | None:
        """The seed for the next run: None means "let the runner draw one"."""
        if not self.locked:
            return None
        return min(int(self.edit.text()), MAX_SEED)

    @property
    def shown(self) -> int:
        """The number in the field, locked or not (0 when empty)."""
        return min(int(self.edit.text() or 0), MAX_SEED)

    def set_seed(self, seed: int | None, locked: bool) -> None:
        self.edit.setText("" if seed is None else str(seed))
        self.lock.setChecked(locked and seed is not None)

    def show_used(self, seed: int) -> None:
        """After a run: an unlocked field shows the seed that was drawn, ready to copy or lock."""
        if not self.locked:
            self.edit.setText(str(seed))

    def copy_to_clipboard(self) -> None:
        if self.edit.text():
            QGuiApplication.clipboard().setText(self.edit.text())

    def _on_lock_toggled(self, locked: bool) -> None:
        if locked and not self.edit.text():
            self.edit.setText(str(secrets.randbelow(MAX_SEED + 1)))  # nothing to lock yet: lock a fresh seed
        self._show_lock(locked)

    def _show_lock(self, locked: bool) -> None:
        # An unlocked field shows the last seed greyed out: informative, but not what runs next.
        self.edit.setProperty("locked", locked)
        self.edit.style().unpolish(self.edit)
        self.edit.style().polish(self.edit)
        self.lock.setIcon(icon("lock" if locked else "unlock"))
        self.lock.setToolTip("Locked: every run uses this seed. Click for a new random seed each run." if locked
                             else "Random: a new seed each run. Click to lock the seed shown.")
