"""The window's generation queue: hands the Session one job at a time, through its public API only.

Generate while something runs queues the request instead of refusing it. The queue itself is
glm_core/generation/job_queue.JobQueue (plain data); this object only feeds the Session and says
what happened. Cancelling the running job lets the queue go on with the next waiting one (as
Krita AI does: a job's × stops that job); Cancel All (Esc, the Cancel button) stops everything.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app.generation.session import Activity, Session
from glm_core.generation.job_queue import JobQueue, QueuedJob
from glm_core.generation.request import GenerationRequest


class GenerationQueue(QObject):
    changed = Signal()  # a job was queued, started, ended or removed
    jobStarted = Signal(object)  # QueuedJob, just handed to the Session
    # Every result the Session makes: (HistoryItem, QueuedJob), or (HistoryItem, None) for a
    # generation started elsewhere (a masked edit, a text fix). The item is already in the history.
    finished = Signal(object, object)

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        self.queue = JobQueue()
        session.generationFinished.connect(self._on_finished)
        session.generationFailed.connect(self._on_failed)
        session.cancelled.connect(self._on_cancelled)
        session.activityChanged.connect(self._on_activity)

    @property
    def can_submit(self) -> bool:
        """A model is loaded (and none is loading): Generate runs now or queues."""
        return self.session.report is not None and self.session.activity is not Activity.LOADING

    @property
    def engine_varies(self) -> bool:
        """Whether the engine can re-run only the DiT (a remote server cannot)."""
        return self.session.capabilities.variations

    def submit(self, request: GenerationRequest, count: int = 1) -> list[QueuedJob]:
        """Queue `count` results of `request` (glm_core's plan_batch); the first starts now when
        the Session is idle."""
        jobs = self.queue.add(request, count, self.engine_varies)
        self.changed.emit()
        self._start_next()
        return jobs

    def cancel(self, job_id: int) -> None:
        """The × of one job: a waiting one never runs; the running one stops and the next starts."""
        running = self.queue.running
        if running is not None and running.id == job_id:
            self.session.cancel()  # cancelled → _on_cancelled
        elif self.queue.remove(job_id) is not None:
            self.changed.emit()

    def cancel_all(self, stop_loading: bool = True) -> None:
        """Esc: nothing waits any more and whatever runs stops (a model load too, unless not
        `stop_loading`)."""
        if self.queue.clear():
            self.changed.emit()
        if stop_loading or self.session.activity is Activity.GENERATING:
            self.session.cancel()

    # -- the Session's reports --

    def _start_next(self) -> None:
        if self.queue.running is not None or not self.session.can_generate:
            return
        job = self.queue.start_next()
        if job is None:
            return
        request = job.request()
        self.jobStarted.emit(job)
        self.session.generate(request)
        self.changed.emit()

    def _start_next_soon(self) -> None:
        # After every slot of the signal that ended the last job has seen the Session idle.
        QTimer.singleShot(0, self._start_next)

    def _on_finished(self, item) -> None:
        # One job at a time and nothing else can start while ours runs: a result that comes
        # while ours runs is ours.
        job = self.queue.finish(item.prior) if self.queue.running is not None else None
        self.finished.emit(item, job)
        self._ended(job is not None)

    def _on_failed(self, *_report) -> None:
        self._ended(bool(self.queue.fail()))

    def _on_cancelled(self) -> None:
        self._ended(self.queue.cancel_running() is not None)

    def _on_activity(self, activity: Activity) -> None:
        if activity is Activity.IDLE and self.queue.waiting:
            self._start_next_soon()  # a model finished loading, or a run started elsewhere ended

    def _ended(self, ours: bool) -> None:
        if ours:
            self.changed.emit()
        if self.queue.waiting:
            self._start_next_soon()
