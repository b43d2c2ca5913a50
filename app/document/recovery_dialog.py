"""After a crash: the autosaves other sessions left behind, newest first, to recover or discard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QVBoxLayout, QWidget)

from app.document.autosaver import Autosaver
from app.document.file_commands import FileCommands
from app.document.project_io import from_project
from app.ui.error_dialog import show_error
from glm_core.project import ProjectError
from glm_core.project.autosave import AutosaveEntry

EntryRole = Qt.ItemDataRole.UserRole + 1


def describe_saved_at(saved_at: datetime, now: datetime | None = None) -> str:
    """"Autosaved today at 14:03 (5 minutes ago)": local time, with the age in words."""
    now = now or datetime.now(timezone.utc)
    local, local_now = saved_at.astimezone(), now.astimezone()
    days = (local_now.date() - local.date()).days
    day = "today" if days == 0 else "yesterday" if days == 1 else f"on {local:%a %d %b %Y}"
    seconds = max(0, int((now - saved_at).total_seconds()))
    if seconds < 60:
        age = "just now"
    elif seconds < 3600:
        minutes = seconds // 60
        age = f"{minutes} minute{'s' * (minutes != 1)} ago"
    elif seconds < 48 * 3600:
        hours = seconds // 3600
        age = f"{hours} hour{'s' * (hours != 1)} ago"
    else:
        age = f"{seconds // 86400} days ago"
    return f"Autosaved {day} at {local:%H:%M:%S} ({age})"


class RecoveryDialog(QDialog):
    recoverRequested = Signal(object)  # AutosaveEntry
    discardRequested = Signal(object)  # AutosaveEntry

    def __init__(self, entries: list[AutosaveEntry], parent: QWidget | None = None, now: datetime | None = None):
        super().__init__(parent)
        self.setObjectName("recoveryDialog")
        self.setWindowTitle("Recover unsaved work")
        self.setMinimumWidth(460)
        many = len(entries) > 1
        heading = QLabel("GLM-Image Studio did not close properly")
        heading.setObjectName("cardTitle")
        text = QLabel(
            ("These documents were" if many else "Your document was")
            + " autosaved before it closed. Recover to continue where you left off, or discard"
            + (" the ones you do not need." if many else " it for good.")
            + " Decide Later keeps " + ("them" if many else "it") + " for the next start."
        )
        text.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("recoveryList")
        for entry in sorted(entries, key=lambda e: e.saved_at, reverse=True):
            item = QListWidgetItem(describe_saved_at(entry.saved_at, now))
            item.setData(EntryRole, entry)
            item.setToolTip(str(entry.path))
            self.list.addItem(item)
        self.list.setCurrentRow(0)

        buttons = QDialogButtonBox()
        self.recover_button = QPushButton("Recover")
        self.recover_button.setDefault(True)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setToolTip("Delete this autosave")
        self.later_button = QPushButton("Decide Later")
        buttons.addButton(self.recover_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.discard_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(self.later_button, QDialogButtonBox.ButtonRole.RejectRole)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 16)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(text)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)

        self.recover_button.clicked.connect(self._recover)
        self.discard_button.clicked.connect(self._discard)
        self.later_button.clicked.connect(self.reject)
        self.list.itemDoubleClicked.connect(lambda _item: self._recover())

    def entries(self) -> list[AutosaveEntry]:
        return [self.list.item(row).data(EntryRole) for row in range(self.list.count())]

    def selected(self) -> AutosaveEntry | None:
        item = self.list.currentItem()
        return item.data(EntryRole) if item is not None else None

    def _recover(self) -> None:
        entry = self.selected()
        if entry is not None:
            self.accept()
            self.recoverRequested.emit(entry)

    def _discard(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        self.list.takeItem(self.list.currentRow())
        self.discardRequested.emit(entry)
        if self.list.count() == 0:
            self.accept()
        else:
            self.list.setCurrentRow(0)


def offer_recovery(parent, autosaver: Autosaver, files: FileCommands, then: Callable[[], None]) -> RecoveryDialog | None:
    """At start: the autosaves crashed sessions left, in a dialog; `then` runs once it is closed
    (at once when there is nothing to recover, and None is returned)."""
    entries = autosaver.crashed_sessions()
    if not entries:
        then()
        return None
    dialog = RecoveryDialog(entries, parent)
    dialog.recoverRequested.connect(lambda entry: recover(parent, autosaver, files, entry))
    dialog.discardRequested.connect(autosaver.discard)
    dialog.finished.connect(lambda _result: then())
    dialog.open()
    return dialog


def recover(parent, autosaver: Autosaver, files: FileCommands, entry: AutosaveEntry) -> bool:
    """Open a crashed session's work as unsaved; its old autosave goes once this one has the work."""
    try:
        project = autosaver.recover(entry)
    except (ProjectError, OSError) as exc:
        show_error(parent, "This autosave cannot be recovered", str(exc))
        return False
    files.load_recovered(from_project(project))
    autosaver.discard_after_next_save(entry)
    autosaver.autosave()  # the work is safe in this session's autosave before the old one goes
    return True

