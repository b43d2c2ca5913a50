"""The worker that loads the model and runs generations on its own QThread.

Signals carry plain data (glm_core events, load reports, results) plus the job number, so the
GUI can drop whatever a job it cancelled still reports. cancel() is called from the GUI thread
while the worker is busy, so it sets flags directly instead of going through the event queue.
"""

from __future__ import annotations

import logging
import threading
import traceback
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from app.generation.history import make_thumbnail
from app.jobs import NewestValue
from app.ui.images import pil_to_qimage
from glm_core.generation.events import Cancelled, Failed, Finished, LoadStep, Phase, PreviewImage
from glm_core.models.loader import LoadCancelled, load_model
from glm_core.generation.runner import GenerationResult, GenerationRunner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderedResult:
    result: GenerationResult
    image: QImage  # converted on the worker thread so the GUI never pays for it
    thumbnail: QImage


@dataclass(frozen=True)
class PreviewFrame:
    job: int
    image: QImage
    phase: Phase


class GenerationWorker(QObject):
    loaded = Signal(int, object)  # job, LoadReport
    loadFailed = Signal(int, str, str)  # job, message, details
    loadCancelled = Signal(int)
    progress = Signal(int, object)  # job, LoadStep | PhaseChanged | TokenProgress | DiffusionStep
    previewReady = Signal(int)  # job; take_preview() returns the newest frame
    finished = Signal(int, object)  # job, RenderedResult
    failed = Signal(int, str, str, object)  # job, message, details, remedies (glm_core Remedy tuple)
    cancelled = Signal(int)

    def __init__(self, load=load_model, runner_factory=GenerationRunner):
        super().__init__()
        self._load = load
        self._runner_factory = runner_factory
        self._runner: GenerationRunner | None = None
        self._lock = threading.Lock()  # guards the fields below, shared with the GUI thread
        self._cancelled_up_to = 0  # every job numbered up to this one is cancelled
        self._active_job: int | None = None
        self._load_cancel: threading.Event | None = None
        self._frame: NewestValue[PreviewFrame] = NewestValue()

    # -- called from the GUI thread --

    def cancel(self, job: int) -> None:
        with self._lock:
            self._cancelled_up_to = max(self._cancelled_up_to, job)
            active = self._active_job is not None and self._active_job <= job
            load_cancel, runner = self._load_cancel, self._runner
        if active:
            if load_cancel is not None:
                load_cancel.set()
            elif runner is not None:
                runner.cancel()

    def take_preview(self) -> PreviewFrame | None:
        """The newest preview, once. Previews replace each other here instead of queueing, so a
        fast stream of frames can never pile up behind a busy GUI."""
        return self._frame.take()

    # -- slots, run on the worker thread --

    def _is_cancelled(self, job: int) -> bool:
        with self._lock:
            return job <= self._cancelled_up_to

    def _begin(self, job: int, load_cancel: threading.Event | None = None) -> bool:
        with self._lock:
            if job <= self._cancelled_up_to:
                return False
            self._active_job, self._load_cancel = job, load_cancel
            return True

    def _end(self) -> None:
        with self._lock:
            self._active_job = self._load_cancel = None

    @Slot(int, object)
    def load(self, job: int, options) -> None:
        cancel = threading.Event()
        if not self._begin(job, cancel):
            self.loadCancelled.emit(job)
            return
        # Free the old model before reading the new one: two at once may not fit in memory.
        with self._lock:
            self._runner = None
        try:
            model = self._load(
                options,
                on_progress=lambda name, index, total: self.progress.emit(job, LoadStep(name, index, total)),
                cancel=cancel,
            )
            if self._is_cancelled(job):
                raise LoadCancelled()
            runner = self._runner_factory(model)
        except LoadCancelled:
            log.info("model load cancelled (job %d)", job)
            self.loadCancelled.emit(job)
        except Exception as exc:  # noqa: BLE001 - any failure must reach the user, not kill the thread
            log.exception("model load failed (job %d)", job)
            self.loadFailed.emit(job, _message(exc), traceback.format_exc())
        else:
            with self._lock:
                self._runner = runner
            log.info("model loaded (job %d): %s", job, model.report)
            self.loaded.emit(job, model.report)
        finally:
            self._end()

    @Slot(int, str)
    def place(self, job: int, offload: str) -> None:
        """Re-place the loaded model (a remedy the user picked after running out of memory)."""
        if not self._begin(job):
            self.loadCancelled.emit(job)
            return
        try:
            model = self._runner.model
            model.set_offload(offload)
        except Exception as exc:  # noqa: BLE001 - the model stays loaded as it was
            log.exception("re-placing the model failed (job %d)", job)
            self.loadFailed.emit(job, _message(exc), traceback.format_exc())
        else:
            log.info("model re-placed (job %d): %s", job, offload)
            self.loaded.emit(job, model.report)
        finally:
            self._end()

    @Slot(int, object)
    def generate(self, job: int, request) -> None:
        if not self._begin(job):
            self.cancelled.emit(job)
            return
        runner = self._runner
        ended = []  # set once a Failed or Cancelled event went out

        def on_event(event) -> None:
            # A cancel that came between _begin() and run() starting would be lost if run()
            # clears its flag on entry; repeating it on every event closes that gap.
            if self._is_cancelled(job):
                runner.cancel()
            if isinstance(event, PreviewImage):
                self._post_preview(PreviewFrame(job, pil_to_qimage(event.image), event.phase))
            elif isinstance(event, Failed):
                ended.append(event)
                self.failed.emit(job, event.message, event.details, event.remedies)
            elif isinstance(event, Cancelled):
                ended.append(event)
                self.cancelled.emit(job)
            elif not isinstance(event, Finished):  # the returned result carries the prior too
                self.progress.emit(job, event)

        try:
            if runner is None:
                raise RuntimeError("No model is loaded: load a model first.")
            result = runner.run(request, on_event)
            rendered = None
            if result is not None:
                image = pil_to_qimage(result.image)
                rendered = RenderedResult(result, image, make_thumbnail(image))
        except Exception as exc:  # noqa: BLE001
            log.exception("generation failed (job %d)", job)
            self.failed.emit(job, _message(exc), traceback.format_exc(), ())
            return
        finally:
            self._end()
        if rendered is not None:
            self.finished.emit(job, rendered)
        elif not ended:
            self.cancelled.emit(job)

    def _post_preview(self, frame: PreviewFrame) -> None:
        if self._frame.put(frame):
            self.previewReady.emit(frame.job)


def _message(exc: BaseException) -> str:
    return str(exc).strip() or type(exc).__name__
