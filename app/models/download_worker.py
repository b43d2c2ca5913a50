"""Long model tasks (download, repair, verify) on a Python thread, reported on the GUI thread.

One task at a time. The task runs glm_core calls that take `on_progress` and a threading.Event
`cancel`; what they report crosses to the GUI thread through queued signals carrying plain data
(DownloadProgress, TaskOutcome). Progress is coalesced: the thread only keeps the newest value and
pokes the GUI when none is waiting, so a busy GUI never has a queue of stale progress behind it.

Shutdown rule: cancel, then join the thread before the runner (or its dialog) goes away. A
cancelled download stops within one network chunk per file and keeps its partial files.
"""

from __future__ import annotations

import logging
import threading
import traceback
from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.jobs import NewestValue
from glm_core.models.download_progress import DownloadCancelled, DownloadProgress

log = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 20.0  # a stalled connection gives up after the hub's read timeout (10 s)

DONE, CANCELLED, FAILED = "done", "cancelled", "failed"


@dataclass(frozen=True)
class TaskOutcome:
    kind: str  # "download" | "repair" | "verify"
    model_id: str
    status: str  # DONE | CANCELLED | FAILED
    result: object = None  # download: the snapshot Path; verify and repair: a VerifyReport
    error: Exception | None = None  # FAILED: the exception (its message never holds the token)
    details: str = ""  # FAILED: the traceback, for the log and "Show Details"

    @property
    def message(self) -> str:
        return (str(self.error).strip() or type(self.error).__name__) if self.error is not None else ""


TaskFn = Callable[[Callable[[DownloadProgress], None], threading.Event], object]


class ModelTaskRunner(QObject):
    progressed = Signal(str, object)  # model id, DownloadProgress (GUI thread)
    finished = Signal(object)  # TaskOutcome (GUI thread)

    _progressWaiting = Signal(int)  # task number; emitted from the task thread, delivered queued
    _taskEnded = Signal(int, object)  # ditto: task number, TaskOutcome

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._latest: NewestValue[DownloadProgress] = NewestValue()
        self._thread: threading.Thread | None = None
        self._cancel: threading.Event | None = None
        self._task: tuple[str, str] | None = None  # (kind, model id)
        self._number = 0  # of the task whose reports are wanted; reports of older ones are dropped
        self._progressWaiting.connect(self._relay_progress, Qt.ConnectionType.QueuedConnection)
        self._taskEnded.connect(self._relay_end, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        return self._task is not None

    @property
    def task(self) -> tuple[str, str] | None:
        """(kind, model id) of the running task, or None."""
        return self._task

    def start(self, kind: str, model_id: str, fn: TaskFn) -> None:
        if self._task is not None:
            raise RuntimeError(f"a {self._task[0]} of {self._task[1]} is still running")
        cancel = threading.Event()
        self._number += 1
        self._task, self._cancel = (kind, model_id), cancel
        self._latest.take()  # nothing of an earlier task
        self._thread = threading.Thread(target=self._run, args=(self._number, kind, model_id, fn, cancel),
                                        name=f"model-{kind}", daemon=True)
        log.info("model %s of %s started", kind, model_id)
        self._thread.start()

    def cancel(self) -> None:
        if self._cancel is not None:
            log.info("model %s of %s: cancel requested", *(self._task or ("task", "?")))
            self._cancel.set()

    def shutdown(self) -> None:
        """Cancel what runs and wait for its thread (partial files are kept for a resume).
        Later reports of that task are dropped; the runner can start another afterwards."""
        self._number += 1
        thread = self._thread
        self.cancel()
        if thread is not None and thread.is_alive():
            thread.join(JOIN_TIMEOUT_S)
            if thread.is_alive():
                log.warning("model task thread still busy after %.0f s; leaving it to finish", JOIN_TIMEOUT_S)
        self._thread = self._cancel = self._task = None

    # -- the task thread --

    def _run(self, number: int, kind: str, model_id: str, fn: TaskFn, cancel: threading.Event) -> None:
        def on_progress(progress: DownloadProgress) -> None:
            if self._latest.put(progress):
                self._emit("_progressWaiting", number)

        try:
            result = fn(on_progress, cancel)
            outcome = TaskOutcome(kind, model_id, DONE, result)
        except DownloadCancelled:
            outcome = TaskOutcome(kind, model_id, CANCELLED)
        except Exception as exc:  # noqa: BLE001 - every failure must reach the dialog, readably
            log.warning("model %s of %s failed: %s", kind, model_id, type(exc).__name__)
            outcome = TaskOutcome(kind, model_id, FAILED, error=exc, details=traceback.format_exc())
        self._emit("_taskEnded", number, outcome)

    def _emit(self, name: str, *args) -> None:
        try:
            getattr(self, name).emit(*args)
        except RuntimeError:  # the runner is gone (its thread outlived JOIN_TIMEOUT_S): nobody listens
            pass

    # -- GUI thread --

    @Slot(int)
    def _relay_progress(self, number: int) -> None:
        progress = self._latest.take()
        if progress is not None and number == self._number and self._task is not None:
            self.progressed.emit(self._task[1], progress)

    @Slot(int, object)
    def _relay_end(self, number: int, outcome: TaskOutcome) -> None:
        if number != self._number:
            return
        if self._thread is not None:
            self._thread.join()  # it has nothing left to do but return
        self._thread = self._cancel = self._task = None
        self._latest.take()
        log.info("model %s of %s: %s", outcome.kind, outcome.model_id, outcome.status)
        self.finished.emit(outcome)
