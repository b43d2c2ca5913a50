"""Batch N, the queue and the staging strip, joined to the window.

Generate queues Batch N results (app/generation/job_queue.py). A batch of one is applied as it
always was; the results of a larger batch go into the history first (the Session does that) and
then onto the staging strip along the canvas' bottom (app/canvas/staging_strip.py), where the user steps
through them and accepts one (one "Apply result" undo step), keeps them all in the history, or
discards some (from the history too: discarding is not undoable, so more than one asks first).
Once the strip is closed, results still to come of its batches go to the history only.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from app.canvas.staging_strip import StagingStrip
from app.generation.job_queue import GenerationQueue
from app.generation.queue_view import QueueIndicator, QueueView
from glm_core.generation.job_queue import QueuedJob
from glm_core.generation.request import GenerationRequest


def ask_discard(parent, count: int) -> bool:
    answer = QMessageBox.question(
        parent, "Discard results", f"Remove these {count} results from the History? This cannot be undone.",
        QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Discard


class Staging(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.queue = GenerationQueue(window.session, self)
        self.strip = StagingStrip(window.canvas)
        self.queue_view = QueueView(self.queue)
        self.indicator = QueueIndicator(self.queue)
        self.ask_discard = ask_discard  # (parent, count) -> bool; tests answer it
        self._staged_batches: set[int] = set()  # batches whose results go onto the strip
        self._closed_batches: set[int] = set()  # the strip was closed on them: history only
        panel = window.create_panel
        panel.batch.setValue(window.settings.batch_size)
        panel.batch.valueChanged.connect(lambda value: setattr(window.settings, "batch_size", value))
        panel.add_queue_view(self.queue_view)
        window.status.insertWidget(0, self.indicator)
        self.queue.jobStarted.connect(self._job_started)
        self.queue.finished.connect(self._on_finished)
        self.strip.selected.connect(self._show_selected)
        self.strip.acceptRequested.connect(self.accept)
        self.strip.keepRequested.connect(self.keep)
        self.strip.discardRequested.connect(self.discard)
        window.session.activityChanged.connect(lambda _activity: self._show_selected(self.strip.current()))

    def submit(self, request: GenerationRequest, count: int = 1) -> None:
        self.queue.submit(request, count)

    def _on_finished(self, item, job: QueuedJob | None) -> None:
        """Every result: applied at once (a batch of one, a run started elsewhere), else staged."""
        if not self._stage(item, job):
            self.window.apply_result(item)

    def _stage(self, item, job: QueuedJob | None) -> bool:
        """True when `item` went onto the strip (or, its strip closed already, stays in the
        history only)."""
        if job is None or job.step.total == 1:
            return False
        batch = job.batch.id
        if batch in self._closed_batches:
            self.window.show_base()  # not its last preview: the document as it is
            self.window.status.showMessage(f"{job.label} done: it is in the History", 6000)
            return True
        self._staged_batches.add(batch)
        self.strip.add(item)
        self.window.status.showMessage(f"{job.label} done in {item.seconds:.1f} s · seed {item.recipe.seed}", 8000)
        return True

    def reset(self) -> None:
        """Another document: nothing of the old one runs, waits or stays staged."""
        self.queue.cancel_all(stop_loading=False)
        self._close()

    # -- the strip's choices --

    def accept(self, item) -> None:
        self._close()
        self.window.apply_result(item)

    def keep(self) -> None:
        self._close()
        self.window.show_base()

    def discard(self, items: list) -> None:
        if len(items) > 1 and not self.ask_discard(self.window, len(items)):
            return
        for item in items:
            self.strip.remove(item)
            self.window.delete_item(item)
        if not self.strip.items():
            self.keep()

    # -- canvas --

    def _job_started(self, job: QueuedJob) -> None:
        request = job.request()
        if request.mask is None:  # a masked edit keeps showing its source until the previews come
            self.window.canvas.new_document(request.width, request.height)

    def _show_selected(self, item) -> None:
        """The selected result on the canvas, not applied; while a run owns the canvas its
        previews show instead."""
        if item is not None and self.strip.isVisible() and not self.window.canvas_in_use:
            self.window.canvas.show_image(item.qimage)

    def _close(self) -> None:
        self._closed_batches |= self._staged_batches
        self._staged_batches.clear()
        self.strip.close_strip()
