"""The status bar: phase, progress, elapsed and ETA while working; device, memory and model always."""

from __future__ import annotations

import psutil
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from app.ui.formatting import format_bytes, format_seconds
from app.models.model_source import describe_quant, describe_source
from app.generation.progress import WIDEST_LABEL, run_work
from app.generation.session import Activity, Session
from app.settings import StudioSettings

_OFFLOAD_SHORT = {"none": "no offload", "model": "model offload", "sequential": "layer offload"}
REFRESH_MS = 100  # progress text and bar: 10 Hz is smooth enough and costs nothing
MEMORY_REFRESH_MS = 2000


def memory_text(engine_pid: int | None) -> str:
    """The window's memory, and the engine process's where there is one (the window never imports
    torch, so it cannot ask the GPU itself)."""
    text = f"RAM {format_bytes(psutil.Process().memory_info().rss)}"
    if engine_pid is not None:
        try:
            text += f" · engine {format_bytes(psutil.Process(engine_pid).memory_info().rss)}"
        except psutil.Error:  # it just ended
            pass
    return text


class StudioStatusBar(QStatusBar):
    def __init__(self, session: Session, settings: StudioSettings, parent=None):
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.session, self.settings = session, settings
        self._timed_model = ""  # the model whose run the tracker is timing, to remember its pace
        self.phase = QLabel()
        self.phase.setObjectName("phaseLabel")
        self.phase.setMinimumWidth(self.phase.fontMetrics().horizontalAdvance(WIDEST_LABEL) + 8)
        self.progress = QProgressBar()
        self.progress.setObjectName("progressBar")
        self.progress.setFixedWidth(180)
        self.progress.setTextVisible(False)
        self.time = QLabel()
        self.time.setObjectName("timeLabel")
        self.model = QLabel("No model")
        self.model.setObjectName("modelLabel")
        self.device = QLabel()
        self.memory = QLabel()
        self.memory.setToolTip("Memory this app uses now (and GPU memory in use, with CUDA)")
        self.addWidget(self.phase)
        self.addWidget(self.progress)
        self.addWidget(self.time)
        for label in (self.model, self.device, self.memory):
            self.addPermanentWidget(label)
        self.save_indicator = QProgressBar()  # shown while a project is written
        self.save_indicator.setObjectName("saveIndicator")
        self.save_indicator.setRange(0, 0)  # busy: a save has no useful percentage
        self.save_indicator.setFixedWidth(90)
        self.save_indicator.setTextVisible(False)
        self.save_indicator.setToolTip("Saving the project…")
        self.save_indicator.hide()
        self.addPermanentWidget(self.save_indicator)

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh_progress)
        self._memory_timer = QTimer(self)
        self._memory_timer.setInterval(MEMORY_REFRESH_MS)
        self._memory_timer.timeout.connect(self.refresh_memory)
        self._memory_timer.start()

        session.activityChanged.connect(self._on_activity)
        session.modelChanged.connect(self._on_model)
        self._on_activity(session.activity)
        self._on_model(session.report)
        self.refresh_memory()

    def _on_activity(self, activity: Activity) -> None:
        busy = activity is not Activity.IDLE
        for widget in (self.progress, self.time):
            widget.setVisible(busy)
        self._time_runs(activity)
        if busy:
            self.clearMessage()  # a lingering message would hide the phase and progress widgets
            self._timer.start()
            self.refresh_progress()
        else:
            self._timer.stop()
            self.phase.setText("Ready" if self.session.report else "")

    def _time_runs(self, activity: Activity) -> None:
        """A generation starts: the tracker learns its work and this model's remembered pace; it
        ends (finished or cancelled): the pace measured is remembered for the next run."""
        tracker, report = self.session.tracker, self.session.report
        if self._timed_model:
            self.settings.remember_progress_rates(self._timed_model, tracker.rates())
            self._timed_model = ""
        if activity is Activity.GENERATING and report is not None and self.session.last_request is not None:
            self._timed_model = f"{report.model_id} · {report.device} · {describe_quant(report.quant)}"
            tracker.remembered = self.settings.progress_rates(self._timed_model)
            tracker.plan(run_work(self.session.last_request))

    def _on_model(self, report) -> None:
        if report is None:
            self.model.setText("Loading model…" if self.session.activity is Activity.LOADING else "No model")
            self.device.setText("")
            return
        name = "Demo model (noise)" if report.is_demo else describe_source(report.model_id)
        self.model.setText(f"{name} · {describe_quant(report.quant, report.dtype)}")
        offload = _OFFLOAD_SHORT.get(report.plan.offload, report.plan.offload)
        self.device.setText(f"{report.device.upper()} · {offload}")
        self.refresh_memory()

    def refresh_progress(self) -> None:
        tracker = self.session.tracker
        self.phase.setText(tracker.label() or "Starting…")
        if tracker.total:
            self.progress.setRange(0, tracker.total)
            self.progress.setValue(tracker.done)
        else:
            self.progress.setRange(0, 0)  # busy indicator until the first count arrives
        text = f"{format_seconds(tracker.elapsed())} elapsed"
        eta = tracker.eta_text()
        if eta:
            text += f" · {eta}"
        self.time.setText(text)

    def refresh_memory(self) -> None:
        self.memory.setText(memory_text(getattr(self.session.engine, "pid", None)))
