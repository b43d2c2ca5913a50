"""The prompt editor and the document's prompt as typed: typing becomes one undoable "Edit prompt"
(SetPrompts) after a pause, or at once on save, generate, undo or leaving the editor; undo, redo
and an opened project put the document's prompt back into the editor."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QAction

from app.document.commands import SetPrompts
from app.document.model import DocumentModel
from app.generation.prompt_editor import PromptEditor

PROMPT_COMMIT_MS = 700  # typing pauses this long before the prompt becomes one undo step


class PromptCommit(QObject):
    def __init__(self, editor: PromptEditor, doc: DocumentModel, undo_action: QAction,
                 before_commit: Callable[[], None]):
        """`before_commit`: other typing that must become its undo step first (the pinned prompt)."""
        # A child of the document: gone with it, so the editor's last signals while the window
        # closes reach nothing.
        super().__init__(doc)
        self.editor, self.doc, self.undo_action, self.before_commit = editor, doc, undo_action, before_commit
        self._syncing = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PROMPT_COMMIT_MS)
        self._timer.timeout.connect(self.commit)
        editor.edit.textChanged.connect(self._typed)
        editor.edit.installEventFilter(self)  # leaving the prompt commits the typing
        doc.promptsChanged.connect(self._follow_document)
        doc.undo_stack.canUndoChanged.connect(self.update_undo_action)
        self.update_undo_action()

    def commit(self) -> None:
        self._timer.stop()
        self.before_commit()
        text = self.editor.edit.toPlainText()
        if text != self.doc.scene_prompt:
            self.doc.undo_stack.push(SetPrompts(self.doc, text, self.doc.pinned_prompt))

    def drop_pending(self) -> None:
        """The document is being replaced: typing for the old one is not committed to the new."""
        self._timer.stop()

    def eventFilter(self, watched, event) -> bool:
        # Typing becomes its undo step before the focus goes elsewhere (e.g. a click in the Undo
        # History, which must not find a late "Edit prompt" cutting off the steps it went back over).
        if event.type() == QEvent.Type.FocusOut and watched is self.editor.edit:
            self.commit()
        return super().eventFilter(watched, event)

    def _typed(self) -> None:
        if not self._syncing:
            self._timer.start()
            self.update_undo_action()

    def update_undo_action(self, can_undo: bool | None = None) -> None:
        """`can_undo` as the stack announces it (a stack being deleted announces False and can no
        longer be asked); typing not yet committed counts: Undo takes it first, then undoes it."""
        if can_undo is None:
            can_undo = self.doc.undo_stack.canUndo()
        pending = self.editor.edit.toPlainText() != self.doc.scene_prompt
        self.undo_action.setEnabled(can_undo or pending)

    def _follow_document(self) -> None:
        """Undo, redo or an opened project changed the prompt: the editor follows."""
        if self.editor.edit.toPlainText() != self.doc.scene_prompt:
            self._syncing = True
            try:
                self.editor.set_text(self.doc.scene_prompt)
            finally:
                self._syncing = False
            self._timer.stop()
