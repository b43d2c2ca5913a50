"""Long model tasks (download, repair, verify) on a Python thread, reported on the GUI thread.

One task at a time, a job of the window's job runner (app/jobs.py): the task runs glm_core calls
that take `on_progress` and a threading.Event `cancel` in a ThreadTask, awaited on the GUI
thread's asyncio loop. Progress is coalesced: the thread only keeps the newest value and pokes the
GUI when none is waiting, so a busy GUI never has a queue of stale progress behind it.

Shutdown rule: cancel, then join the thread before the runner (or its dialog) goes away. A
cancelled download stops within one network chunk per file and keeps its partial files.
"""

from __future__ import annotations

import logging
import threading
import traceback
from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QObject, Signal

from app.jobs import JobRunner, ThreadTask
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

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._jobs = JobRunner()
        self._running: ThreadTask | None = None
        self._task: tuple[str, str] | None = None  # (kind, model id)

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
        running = ThreadTask(fn, lambda progress: self._relay_progress(running, progress), f"model-{kind}")
        self._task, self._running = (kind, model_id), running
        log.info("model %s of %s started", kind, model_id)
        self._jobs.start(lambda job: self._run(job, kind, model_id, running))

    def cancel(self) -> None:
        if self._running is not None:
            log.info("model %s of %s: cancel requested", *(self._task or ("task", "?")))
            self._running.cancel.set()

    def shutdown(self) -> None:
        """Cancel what runs and wait for its thread (partial files are kept for a resume).
        Later reports of that task are dropped; the runner can start another afterwards."""
        running = self._running
        self.cancel()
        self._jobs.cancel()
        if running is not None and running.thread.is_alive():
            running.thread.join(JOIN_TIMEOUT_S)
            if running.thread.is_alive():
                log.warning("model task thread still busy after %.0f s; leaving it to finish", JOIN_TIMEOUT_S)
        self._running = self._task = None

    # -- GUI thread --

    async def _run(self, job: int, kind: str, model_id: str, running: ThreadTask) -> None:
        try:
            outcome = TaskOutcome(kind, model_id, DONE, await running.run())
        except DownloadCancelled:
            outcome = TaskOutcome(kind, model_id, CANCELLED)
        except Exception as exc:  # noqa: BLE001 - every failure must reach the dialog, readably
            log.warning("model %s of %s failed: %s", kind, model_id, type(exc).__name__)
            outcome = TaskOutcome(kind, model_id, FAILED, error=exc,
                                  details="".join(traceback.format_exception(exc)))
        if not self._jobs.current(job):
            return  # shut down meanwhile
        running.thread.join()  # it has nothing left to do but return
        self._jobs.cancel()
        self._running = self._task = None
        log.info("model %s of %s: %s", outcome.kind, outcome.model_id, outcome.status)
        self.finished.emit(outcome)

    def _relay_progress(self, running: ThreadTask, progress: DownloadProgress) -> None:
        if running is self._running and self._task is not None:
            self.progressed.emit(self._task[1], progress)
