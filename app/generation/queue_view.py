"""What the generation queue holds, in words: a list in the Create panel with a × on each job, and
a small label beside the status bar's progress ("Batch 2/4 · 2 waiting")."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from app.generation.job_queue import GenerationQueue
from glm_core.generation.job_queue import JobState, QueuedJob


def _describe(job: QueuedJob) -> str:
    request = job.request()
    kind = "variation" if request.prior is not None else {"edit": "masked edit", "i2i": "edit"}.get(request.mode, "image")
    state = "running" if job.state is JobState.RUNNING else "waiting"
    return f"{job.label} · {kind} · seed {job.step.seed} · {state}"


class QueueView(QWidget):
    """One row per running or waiting job, the running one first; hidden when the queue is empty."""

    def __init__(self, queue: GenerationQueue, parent=None):
        super().__init__(parent)
        self.setObjectName("queueView")
        self.queue = queue
        self.title = QLabel("Queue")
        self.title.setObjectName("sectionTitle")
        self.rows = QVBoxLayout()
        self.rows.setSpacing(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(self.rows)
        queue.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        while self.rows.count():
            row = self.rows.takeAt(0).widget()
            row.deleteLater()
        for job in self.queue.queue.jobs:
            self.rows.addWidget(self._row(job))
        self.setVisible(bool(self.queue.queue.jobs))

    def _row(self, job: QueuedJob) -> QWidget:
        row = QWidget()
        row.setObjectName("queueRow")
        label = QLabel(_describe(job))
        label.setWordWrap(True)
        cancel = QToolButton()
        cancel.setObjectName("cancelJob")
        cancel.setText("×")
        cancel.setToolTip("Stop this job now" if job.state is JobState.RUNNING else "Take this job out of the queue")
        cancel.clicked.connect(lambda: self.queue.cancel(job.id))
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(label, 1)
        line.addWidget(cancel)
        return row

    def labels(self) -> list[str]:
        """The rows' texts, as shown."""
        return [self.rows.itemAt(i).widget().findChild(QLabel).text() for i in range(self.rows.count())]


class QueueIndicator(QLabel):
    """Beside the progress label: which result of its batch runs, and how many jobs wait."""

    def __init__(self, queue: GenerationQueue, parent=None):
        super().__init__(parent)
        self.setObjectName("queueIndicator")
        self.queue = queue
        queue.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        running, waiting = self.queue.queue.running, len(self.queue.queue.waiting)
        parts = [running.label] if running is not None and running.step.total > 1 else []
        if waiting:
            parts.append(f"{waiting} waiting")
        self.setText(" · ".join(parts))
        self.setVisible(bool(parts))
