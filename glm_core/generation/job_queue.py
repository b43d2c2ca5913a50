"""What is waiting, what runs and how each job ended: the window's generation queue, without Qt.

The engine runs one job at a time, so the queue hands out one job, then the next once that one
has ended (finished, failed or cancelled). A batch (glm_core/generation/batch.py) is one job per
result; its variation steps take the AR tokens of the batch's first finished result when they
start, not when they are queued.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import Enum

from glm_core.generation.batch import BatchStep, plan_batch
from glm_core.generation.prior import PriorTokens
from glm_core.generation.request import GenerationRequest


class JobState(Enum):
    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class Batch:
    id: int
    request: GenerationRequest  # as asked; each step sets its own seed
    prior: PriorTokens | None = None  # the AR tokens of its first finished result


@dataclass
class QueuedJob:
    id: int
    batch: Batch
    step: BatchStep
    state: JobState = JobState.WAITING

    @property
    def label(self) -> str:
        return self.step.label

    def request(self) -> GenerationRequest:
        return self.step.request(self.batch.request, self.batch.prior)


class JobQueue:
    def __init__(self):
        self.waiting: list[QueuedJob] = []
        self.running: QueuedJob | None = None
        self._job_ids = itertools.count(1)
        self._batch_ids = itertools.count(1)

    @property
    def jobs(self) -> list[QueuedJob]:
        """The running job first, then the waiting ones in the order they will run."""
        return ([self.running] if self.running is not None else []) + self.waiting

    def add(self, request: GenerationRequest, count: int, engine_varies: bool) -> list[QueuedJob]:
        """Queue a batch of `count` results of `request` behind what is already waiting."""
        steps = plan_batch(request, count, engine_varies)
        batch = Batch(next(self._batch_ids), request)
        jobs = [QueuedJob(next(self._job_ids), batch, step) for step in steps]
        self.waiting.extend(jobs)
        return jobs

    def start_next(self) -> QueuedJob | None:
        """The next waiting job, now running; None when nothing waits or one already runs."""
        if self.running is not None or not self.waiting:
            return None
        self.running = self.waiting.pop(0)
        self.running.state = JobState.RUNNING
        return self.running

    def finish(self, prior: PriorTokens | None) -> QueuedJob | None:
        """The running job made its result (`prior`: the AR tokens it used)."""
        job = self._end(JobState.DONE)
        if job is not None and job.batch.prior is None:
            job.batch.prior = prior
        return job

    def fail(self) -> list[QueuedJob]:
        """The running job failed: it and the rest of its batch (which would fail the same way)."""
        job = self._end(JobState.FAILED)
        if job is None:
            return []
        rest = [waiting for waiting in self.waiting if waiting.batch is job.batch]
        for dropped in rest:
            self.remove(dropped.id)
        return [job, *rest]

    def cancel_running(self) -> QueuedJob | None:
        """The running job was cancelled; the waiting ones still run."""
        return self._end(JobState.CANCELLED)

    def remove(self, job_id: int) -> QueuedJob | None:
        """Take a waiting job out of the queue: it never runs."""
        job = next((job for job in self.waiting if job.id == job_id), None)
        if job is not None:
            self.waiting.remove(job)
            job.state = JobState.CANCELLED
        return job

    def clear(self) -> list[QueuedJob]:
        """Take every waiting job out."""
        dropped, self.waiting = self.waiting, []
        for job in dropped:
            job.state = JobState.CANCELLED
        return dropped

    def _end(self, state: JobState) -> QueuedJob | None:
        job, self.running = self.running, None
        if job is not None:
            job.state = state
        return job
