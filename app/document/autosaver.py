"""Autosave for the window: every minute while there are unsaved changes, and before each
generation, the document goes to glm_core.project.autosave.AutosaveStore on a background thread.

The GUI thread only takes a snapshot (glm_core Project, no encoding); the PNG encoding and the
atomic write run on the writer's thread. A tick that finds an autosave still running is
skipped. Every store call after start-up runs on that one writer thread, in order (the store is
not thread-safe); crashed_sessions() and recover() run on the GUI thread at start, before any
autosave, and only read other sessions' files.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from app.document.project_io import BackgroundWriter, WriteJob
from glm_core.project.autosave import AutosaveEntry, AutosaveStore
from glm_core.project import Project

log = logging.getLogger(__name__)

AUTOSAVE_INTERVAL_MS = 60_000

# What the window hands over when asked: (a token naming the state, the project), or None when
# nothing new needs saving. The token comes back in `saved_token` once that state is on disk.
Snapshot = Callable[[], "tuple[object, Project] | None"]


class Autosaver(QObject):
    saved = Signal()  # an autosave reached the disk
    failed = Signal(str)  # a one-line reason (shown in the status bar, not as a dialog every minute)

    def __init__(self, store: AutosaveStore | None, snapshot: Snapshot, interval_ms: int = AUTOSAVE_INTERVAL_MS,
                 parent: QObject | None = None):
        """store None: autosave is off (its folder could not be created)."""
        super().__init__(parent)
        self.store = store
        self._snapshot = snapshot
        self.saved_token: object = None
        self._running: WriteJob | None = None
        self._to_discard: list[AutosaveEntry] = []  # recovered: dropped once this session saved them
        self._closed = store is None
        self.writer = BackgroundWriter(self)
        self.writer.finished.connect(self._on_finished)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.autosave)
        if store is not None:
            self.timer.start()

    @property
    def running(self) -> bool:
        return self._running is not None

    def autosave(self) -> bool:
        """Start an autosave if there is something new to save; False if skipped."""
        if self._closed or self._running is not None:
            return False  # one at a time: a slow save is never queued behind another
        snapshot = self._snapshot()
        if snapshot is None:
            return False
        token, project = snapshot
        discard = list(self._to_discard)

        def work() -> None:
            self.store.save(project)
            for entry in discard:
                self.store.discard(entry)

        self._running = self.writer.run(work, token=(token, discard))
        return True

    def clear(self) -> None:
        """The document was saved to its file: an older autosave must not be offered after a
        crash. The session's marker stays; a marker without an autosave recovers nothing."""
        if self._closed:
            return
        self.saved_token = None
        path, discard, self._to_discard = self.store.path, self._to_discard, []

        def work() -> None:
            path.unlink(missing_ok=True)
            for entry in discard:  # recovered work now lives in the user's file
                self.store.discard(entry)

        self.writer.run(work)

    def _on_finished(self, job: WriteJob) -> None:
        if job is not self._running:
            return
        self._running = None
        token, discarded = job.token
        if job.ok:
            self.saved_token = token
            self._to_discard = [e for e in self._to_discard if e not in discarded]
            self.saved.emit()
        else:
            self.failed.emit(f"Autosave failed: {job.error}")

    # -- recovery --

    def crashed_sessions(self) -> list[AutosaveEntry]:
        if self.store is None:
            return []
        try:
            return self.store.crashed_sessions()
        except OSError:
            log.exception("could not look for crashed sessions")
            return []

    def recover(self, entry: AutosaveEntry) -> Project:
        """The crashed session's document (ProjectError or OSError when it cannot be read)."""
        return self.store.recover(entry)

    def discard_after_next_save(self, entry: AutosaveEntry) -> None:
        """Recovered work: its old autosave goes once this session has saved the document (to
        its own autosave, or to a file)."""
        self._to_discard.append(entry)

    def discard(self, entry: AutosaveEntry) -> None:
        self.writer.run(lambda: self.store.discard(entry))

    # -- shutdown --

    def close(self, clean: bool = True) -> None:
        """Stop autosaving; a clean close removes this session's autosave and marker."""
        if self._closed:
            return
        self._closed = True
        self.timer.stop()
        self.writer.wait()
        if clean:
            try:
                self.store.close()
            except OSError:
                log.exception("could not remove the autosave")


def default_store() -> AutosaveStore | None:
    """This user's autosave folder; None (autosave off, logged) when it cannot be written."""
    try:
        return AutosaveStore()
    except OSError:
        log.exception("autosave is off: its folder cannot be written")
        return None
