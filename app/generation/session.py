"""The GUI-side owner of the worker thread: what is loaded, what is running, what came back.

Widgets bind to this object; it knows nothing of them. All its signals are emitted on the GUI
thread (it relays the worker's queued signals), so tests can wait on them safely.
"""

from __future__ import annotations

import itertools
import logging
from enum import Enum

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from app.generation.history import HistoryItem, HistoryModel
from app.generation.progress import GenerationProgress
from app.generation.worker import GenerationWorker, RenderedResult
from glm_core.generation.events import Phase
from glm_core.models.loader import LoadOptions, LoadReport
from glm_core.generation.request import GenerationRequest

log = logging.getLogger(__name__)


class Activity(Enum):
    IDLE = "idle"
    LOADING = "loading"
    GENERATING = "generating"


class Session(QObject):
    activityChanged = Signal(object)  # Activity
    modelChanged = Signal(object)  # LoadReport, or None while nothing is loaded
    loadFailed = Signal(str, str)  # message, details
    progressed = Signal()  # self.tracker changed
    previewShown = Signal(QImage, object)  # image, Phase
    generationFinished = Signal(object)  # HistoryItem, already in the history
    generationFailed = Signal(str, str, object)  # message, details, remedies (glm_core Remedy tuple)
    cancelled = Signal()

    # Requests to the worker: queued across threads because the worker lives on its own.
    _loadRequested = Signal(int, object)
    _generateRequested = Signal(int, object)
    _placeRequested = Signal(int, str)

    def __init__(self, history: HistoryModel, worker: GenerationWorker | None = None, parent=None):
        super().__init__(parent)
        self.history = history
        self.tracker = GenerationProgress()
        self.report: LoadReport | None = None
        self.last_request: GenerationRequest | None = None
        self.activity = Activity.IDLE
        self._job: int | None = None  # the job whose results we still want
        self._job_numbers = itertools.count(1)
        self._worker = worker or GenerationWorker()
        self._thread = QThread()
        self._thread.setObjectName("generation-worker")
        self._worker.moveToThread(self._thread)
        self._loadRequested.connect(self._worker.load)
        self._generateRequested.connect(self._worker.generate)
        self._placeRequested.connect(self._worker.place)
        self._worker.loaded.connect(self._on_loaded)
        self._worker.loadFailed.connect(self._on_load_failed)
        self._worker.loadCancelled.connect(self._on_worker_cancelled)
        self._worker.progress.connect(self._on_progress)
        self._worker.previewReady.connect(self._on_preview_ready)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_worker_cancelled)
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self.activity is not Activity.IDLE

    @property
    def thread_running(self) -> bool:
        return self._thread.isRunning()

    @property
    def can_generate(self) -> bool:
        return self.report is not None and not self.busy

    # -- commands --

    def load(self, options: LoadOptions) -> None:
        self.cancel()
        self.report = None
        self._job = next(self._job_numbers)
        self.tracker.start(Phase.LOADING)
        self._set_activity(Activity.LOADING)
        self.modelChanged.emit(None)
        log.info("loading model (job %d): %s", self._job, options)
        self._loadRequested.emit(self._job, options)

    def place(self, offload: str) -> None:
        """Re-place the loaded model with another offload mode; modelChanged follows."""
        if not self.can_generate:
            raise RuntimeError("A model must be loaded and idle to change its offload.")
        self._job = next(self._job_numbers)
        self.tracker.start(Phase.LOADING)
        self._set_activity(Activity.LOADING)
        log.info("re-placing the model (job %d): %s", self._job, offload)
        self._placeRequested.emit(self._job, offload)

    def generate(self, request: GenerationRequest) -> None:
        if not self.can_generate:
            raise RuntimeError("A model must be loaded and idle to generate.")
        self._job = next(self._job_numbers)
        self.last_request = request  # a memory remedy runs it again
        self.tracker.start(Phase.DIFFUSION if request.prior is not None else Phase.PRIOR)
        self._set_activity(Activity.GENERATING)
        log.info("generating (job %d): %dx%d, %d steps, seed %s", self._job, request.width,
                 request.height, request.steps, request.seed)
        self._generateRequested.emit(self._job, request)

    def cancel(self) -> None:
        """Stop whatever runs. The UI is ready at once; the worker winds down on its own and
        anything it still reports for the cancelled job is ignored."""
        if self._job is None:
            return
        log.info("cancel (job %d, %s)", self._job, self.activity.value)
        self._worker.cancel(self._job)
        self._job = None
        self.tracker.stop()
        self._set_activity(Activity.IDLE)
        self.cancelled.emit()

    def shutdown(self) -> None:
        """Cancel, then let the thread finish its current call: a QThread destroyed while it
        runs takes the whole process down."""
        self.cancel()
        self._thread.quit()
        self._thread.wait()

    # -- worker reports (GUI thread) --

    def _current(self, job: int) -> bool:
        return job == self._job

    def _finish_job(self) -> None:
        self._job = None
        self.tracker.stop()
        self._set_activity(Activity.IDLE)

    def _set_activity(self, activity: Activity) -> None:
        if activity is not self.activity:
            self.activity = activity
            self.activityChanged.emit(activity)

    @Slot(int, object)
    def _on_loaded(self, job: int, report: LoadReport) -> None:
        if not self._current(job):
            return
        self.report = report
        self._finish_job()
        self.modelChanged.emit(report)

    @Slot(int, str, str)
    def _on_load_failed(self, job: int, message: str, details: str) -> None:
        if self._current(job):
            self._finish_job()
            self.loadFailed.emit(message, details)

    @Slot(int)
    def _on_worker_cancelled(self, job: int) -> None:
        # Reached only when the worker gave up by itself (a cancel from here clears the job first).
        if self._current(job):
            self._finish_job()
            self.cancelled.emit()

    @Slot(int, object)
    def _on_progress(self, job: int, event) -> None:
        if self._current(job):
            self.tracker.update(event)
            self.progressed.emit()

    @Slot(int)
    def _on_preview_ready(self, _job: int) -> None:
        frame = self._worker.take_preview()
        if frame is not None and self._current(frame.job):
            self.previewShown.emit(frame.image, frame.phase)

    @Slot(int, object)
    def _on_finished(self, job: int, rendered: RenderedResult) -> None:
        if not self._current(job):
            return
        result = rendered.result
        item = HistoryItem(
            image=result.image,
            qimage=rendered.image,
            thumbnail=rendered.thumbnail,
            recipe=result.recipe,
            prior=result.prior,
            seconds=result.seconds,
            request=result.request,
        )
        self._finish_job()
        self.history.add(item)  # into the history before anything shows it
        self.generationFinished.emit(item)

    @Slot(int, str, str, object)
    def _on_failed(self, job: int, message: str, details: str, remedies) -> None:
        if self._current(job):
            self._finish_job()
            self.generationFailed.emit(message, details, remedies)
