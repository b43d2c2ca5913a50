"""Turns glm_core progress events into what the status bar shows: phase, done/total, elapsed, ETA.

Plain Python (no Qt) so it is cheap to update for every token and easy to test with a fake clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from app.ui.formatting import format_seconds
from glm_core.generation.events import DiffusionStep, LoadStep, Phase, PhaseChanged, TokenProgress, Waiting

PHASE_LABELS = {
    Phase.LOADING: "Loading model",
    Phase.PRIOR: "Layout",  # until its first token says which grid: the sketch, or (edits) the full one
    Phase.DIFFUSION: "Rendering",
    Phase.DECODE: "Decoding",
    Phase.SERVER: "On the server",  # a server reports nothing until it answers: elapsed + earlier runs
}
# The AR model writes two grids one after the other; each has its own name, so its counter
# starting again from 1 reads as a new part, not as progress lost.
GRID_LABELS = {"layout": "Layout sketch", "full": "Full layout"}
# The widest label the status bar shows while generating: the label is at least that wide, so the
# bar beside it does not jump sideways as the text changes (and a small window still fits it).
WIDEST_LABEL = "Layout sketch · 4096/4096 tokens"


class GenerationProgress:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        self.phase: Phase | None = None
        self.done = 0
        self.total = 0
        self.unit = ""
        self.part = ""  # what the current count is of: "Layout sketch", "Full layout", "Rendering" …
        self._started: float | None = None
        self._segment_started = 0.0  # when the current count (grid or step run) began
        self._segment_key: tuple = ()
        self.waited: float | None = None  # a server's job: seconds since it was sent (Waiting)
        self.expected: float | None = None  # what earlier runs of that size and steps took there

    def start(self, phase: Phase) -> None:
        self.reset()
        self._started = self._clock()
        self._enter(phase)

    @property
    def running(self) -> bool:
        return self._started is not None

    def stop(self) -> None:
        self._started = None

    def update(self, event) -> None:
        if isinstance(event, PhaseChanged):
            self._enter(event.phase)
        elif isinstance(event, TokenProgress):
            self._count(("tokens", event.grid), event.index, event.total)
            self.unit = "tokens"
            self.part = GRID_LABELS.get(event.grid, PHASE_LABELS[Phase.PRIOR])
        elif isinstance(event, LoadStep):
            self._count(("components",), event.index, event.total)
            self.unit = f"components · {event.component.replace('_', ' ')}"
        elif isinstance(event, DiffusionStep):
            self._count(("steps",), event.step, event.total)
            self.unit = "steps"
        elif isinstance(event, Waiting):
            self._enter(Phase.SERVER)
            self.waited, self.expected = event.elapsed, event.expected

    def _enter(self, phase: Phase) -> None:
        if phase != self.phase:
            self.phase = phase
            self.done = self.total = 0
            self.unit = ""
            self.part = PHASE_LABELS[phase]
            self._segment_key = ()

    def _count(self, key: tuple, done: int, total: int) -> None:
        if key != self._segment_key:
            self._segment_key = key
            self._segment_started = self._clock()
        self.done, self.total = done, total

    def elapsed(self) -> float:
        return 0.0 if self._started is None else self._clock() - self._started

    def eta(self) -> float | None:
        """Seconds left in the current part (`part`), from its measured pace (tokens or steps per
        second); None if unknown. Later parts are not in it: the status bar says "left in" the part."""
        if self._started is not None and self.waited is not None:
            return None if self.expected is None else max(self.expected - self.waited, 0.0)
        if self._started is None or self.done <= 0 or self.total <= 0:
            return None
        spent = self._clock() - self._segment_started
        return spent / self.done * max(self.total - self.done, 0)

    def label(self) -> str:
        if self.phase is None:
            return ""
        text = self.part
        if self.waited is not None:  # "On the server · 0:12 of ~1:04"
            text += f" · {format_seconds(self.waited)}"
            if self.expected is not None:
                text += f" of ~{format_seconds(self.expected)}"
        elif self.total:
            text += f" · {self.done}/{self.total} {self.unit}"
        return text

    def eta_text(self) -> str:
        """"~0:12 left in the full layout", or "" while the pace is unknown."""
        eta = self.eta()
        if eta is None or not self.part:
            return ""
        if self.waited is not None:
            return f"~{format_seconds(eta)} left, going by earlier runs on this server"
        return f"~{format_seconds(eta)} left in the {self.part.lower()}"

