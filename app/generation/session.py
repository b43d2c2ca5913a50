"""The GUI-side owner of the engine: what is loaded, what is running, what came back.

Widgets bind to this object; it knows nothing of them. It awaits the engine's event streams on
the window's asyncio loop (qasync, app/jobs.py), which runs on the GUI thread, so every signal is
emitted there and tests can wait on them safely.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import AsyncIterator, Callable
from enum import Enum

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from app.generation.history import HistoryItem, HistoryModel, make_thumbnail
from app.generation.progress import GenerationProgress
from app.jobs import JobRunner, wait_blocking
from app.ui.images import pil_to_qimage
from glm_core.engine.base import Engine, EngineCapabilities
from glm_core.generation.events import Cancelled, Event, Failed, Finished, Loaded, Phase, PreviewImage
from glm_core.generation.request import GenerationRequest
from glm_core.models.load_report import LoadOptions, LoadReport

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

    def __init__(self, history: HistoryModel, engine: Engine | None = None, parent=None):
        """`engine`: by default the engine process (glm_core/engine/process.py), started at once so
        it imports torch while the window comes up."""
        super().__init__(parent)
        self.history = history
        self.tracker = GenerationProgress()
        self.report: LoadReport | None = None
        self.last_request: GenerationRequest | None = None
        self.activity = Activity.IDLE
        self._jobs = JobRunner()
        if engine is None:
            from glm_core.engine.process import ProcessEngine

            engine = ProcessEngine()
        self._engine = engine
        engine.start()

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def capabilities(self) -> EngineCapabilities:
        """What the engine in use can do (a server: no variations, no live progress)."""
        return self._engine.capabilities

    @property
    def busy(self) -> bool:
        return self.activity is not Activity.IDLE

    @property
    def can_generate(self) -> bool:
        return self.report is not None and not self.busy

    # -- commands --

    def use_engine(self, engine: Engine) -> None:
        """Swap engines: whatever runs is cancelled, the old engine closed, nothing is loaded."""
        self.cancel()
        old, self._engine = self._engine, engine
        self._jobs.after(old.close)
        self.report = None
        self.modelChanged.emit(None)
        engine.start()

    def load(self, options: LoadOptions) -> None:
        self.cancel()
        self.report = None
        self.tracker.start(Phase.LOADING)
        self._set_activity(Activity.LOADING)
        self.modelChanged.emit(None)
        job = self._start(lambda: self._engine.load(options))
        log.info("loading model (job %d): %s", job, options)

    def place(self, offload: str) -> None:
        """Re-place the loaded model with another offload mode; modelChanged follows."""
        if not self.can_generate:
            raise RuntimeError("A model must be loaded and idle to change its offload.")
        self.tracker.start(Phase.LOADING)
        self._set_activity(Activity.LOADING)
        job = self._start(lambda: self._engine.place(offload))
        log.info("re-placing the model (job %d): %s", job, offload)

    def generate(self, request: GenerationRequest) -> None:
        if not self.can_generate:
            raise RuntimeError("A model must be loaded and idle to generate.")
        self.last_request = request  # a memory remedy runs it again
        self.tracker.start(Phase.DIFFUSION if request.prior is not None else Phase.PRIOR)
        self._set_activity(Activity.GENERATING)
        job = self._start(lambda: self._engine.generate(request))
        log.info("generating (job %d): %dx%d, %d steps, seed %s", job, request.width,
                 request.height, request.steps, request.seed)

    def cancel(self) -> None:
        """Stop whatever runs. The UI is ready at once; the engine winds down on its own and
        anything it still reports for the cancelled job is ignored."""
        if self._jobs.job is None:
            return
        log.info("cancel (job %d, %s)", self._jobs.job, self.activity.value)
        self._jobs.cancel()
        self._engine.cancel()
        self.tracker.stop()
        self._set_activity(Activity.IDLE)
        self.cancelled.emit()

    def shutdown(self) -> None:
        """Cancel, then close the engine (the engine process ends) before the window goes."""
        self.cancel()
        self._jobs.after(self._engine.close)
        wait_blocking(self._jobs.idle())

    # -- the engine's events (GUI thread) --

    def _start(self, begin: Callable[[], AsyncIterator[Event]]) -> int:
        async def drive(job: int) -> None:
            try:
                async for event in begin():  # drained to its end even once stale: one job at a time
                    if self._jobs.current(job):
                        self._on_event(event)
            except Exception as exc:  # noqa: BLE001 - the engine refused the job: say so, stay usable
                log.exception("engine job %d failed to run", job)
                if self._jobs.current(job):
                    self._on_event(Failed(message=str(exc), details=traceback.format_exc()))
        return self._jobs.start(drive)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, PreviewImage):
            self.previewShown.emit(pil_to_qimage(event.image), event.phase)
        elif isinstance(event, Loaded):
            self.report = event.report
            self._finish_job()
            self.modelChanged.emit(event.report)
        elif isinstance(event, Finished):
            self._on_finished(event)
        elif isinstance(event, Failed):
            loading = self.activity is Activity.LOADING
            self._finish_job()
            if loading:
                self.loadFailed.emit(event.message, event.details)
            else:
                self.generationFailed.emit(event.message, event.details, event.remedies)
        elif isinstance(event, Cancelled):  # the engine gave up by itself (a cancel from here clears the job)
            self._finish_job()
            self.cancelled.emit()
        else:
            self.tracker.update(event)
            self.progressed.emit()

    def _on_finished(self, event: Finished) -> None:
        image = pil_to_qimage(event.image)
        item = HistoryItem(image=event.image, qimage=image, thumbnail=make_thumbnail(image), recipe=event.recipe,
                           prior=event.prior, seconds=event.seconds, request=event.request)
        self._finish_job()
        self.history.add(item)  # into the history before anything shows it
        self.generationFinished.emit(item)

    def _finish_job(self) -> None:
        self._jobs.cancel()  # done: nothing more is wanted from it
        self.tracker.stop()
        self._set_activity(Activity.IDLE)

    def _set_activity(self, activity: Activity) -> None:
        if activity is not self.activity:
            self.activity = activity
            self.activityChanged.emit(activity)
