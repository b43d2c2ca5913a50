"""Turns glm_core progress events into what the status bar shows: phase, done/total, elapsed, ETA.

The ETA is for the whole run once the run's work is known (`plan(run_work(request))`): the tokens
of both AR grids, the DiT steps and the VAE decode, each priced at the pace measured so far in
this run, else at the pace remembered from earlier runs of the same model (`remembered`, a plain
dict the window keeps in its settings; `rates()` is what to remember after a run). Until every
price is known it falls back to the time left in the current part.

Plain Python (no Qt) so it is cheap to update for every token and easy to test with a fake clock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

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
# The sketch grid is about 16x16 at every size (19x13 at 1152x768); its first token gives the count.
LAYOUT_TOKENS_GUESS = 256
RATE_NAMES = ("token_s", "step_s_per_mpx", "decode_s_per_mpx")  # seconds per AR token, per step and megapixel, per decode and megapixel


@dataclass(frozen=True)
class RunWork:
    """What one generation has to do."""
    layout_tokens: int  # 0: no sketch grid (an edit, a variation)
    full_tokens: int  # 0: the AR stage is skipped (a variation)
    steps: int
    megapixels: float


def run_work(request) -> RunWork:
    """The work of a GenerationRequest: a text-to-image run writes both grids, an edit only the
    full one (at its source image's size), a variation none."""
    if request.mask is not None and request.reference_images:
        width, height = request.reference_images[0].size
    else:
        width, height = request.width, request.height
    writes_tokens = request.prior is None
    return RunWork(layout_tokens=LAYOUT_TOKENS_GUESS if writes_tokens and request.mode == "t2i" else 0,
                   full_tokens=(height // 32) * (width // 32) if writes_tokens else 0,
                   steps=request.steps, megapixels=width * height / 1e6)


def usable_rates(rates) -> dict[str, float]:
    """Only the known rate names with finite positive values (settings files can be edited)."""
    if not isinstance(rates, dict):
        return {}
    return {name: float(value) for name, value in rates.items() if name in RATE_NAMES
            and isinstance(value, (int, float)) and math.isfinite(value) and value > 0}


class GenerationProgress:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self.remembered: dict[str, float] = {}  # RATE_NAMES from earlier runs of this model
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
        self._segment_first = 0
        self.work: RunWork | None = None
        self._measured: dict[str, float] = {}  # this run's rates of the parts already done
        self._grids: dict[str, tuple[int, int]] = {}  # grid: (done, total) as reported
        self._steps_done = 0
        self._decode_started: float | None = None
        self.waited: float | None = None  # a server's job: seconds since it was sent (Waiting)
        self.expected: float | None = None  # what earlier runs of that size and steps took there

    def start(self, phase: Phase) -> None:
        self.reset()
        self._started = self._clock()
        self._enter(phase)

    @property
    def running(self) -> bool:
        return self._started is not None

    def plan(self, work: RunWork) -> None:
        """The whole run's work, for the whole-run ETA (after start)."""
        self.work = work

    def stop(self) -> None:
        if self._decode_started is not None and self.work is not None:  # a finished run: decoding ended now
            decode = self._clock() - self._decode_started
            self._measured["decode_s_per_mpx"] = decode / max(self.work.megapixels, 1e-6)
        self._freeze_segment()
        self._decode_started = None
        self._started = None

    def rates(self) -> dict[str, float]:
        """The rates to remember for the next run: this run's where measured, else the remembered."""
        return usable_rates({**self.remembered, **self._measured})

    def update(self, event) -> None:
        if isinstance(event, PhaseChanged):
            self._enter(event.phase)
        elif isinstance(event, TokenProgress):
            self._count(("tokens", event.grid), event.index, event.total)
            self._grids[event.grid] = (event.index, event.total)
            self.unit = "tokens"
            self.part = GRID_LABELS.get(event.grid, PHASE_LABELS[Phase.PRIOR])
        elif isinstance(event, Waiting):
            self._enter(Phase.SERVER)
            self.waited, self.expected = event.elapsed, event.expected
        elif isinstance(event, LoadStep):
            self._count(("components",), event.index, event.total)
            self.unit = f"components · {event.component.replace('_', ' ')}"
        elif isinstance(event, DiffusionStep):
            self._count(("steps",), event.step, event.total)
            self._steps_done = event.step
            self.unit = "steps"

    def _enter(self, phase: Phase) -> None:
        if phase != self.phase:
            self._freeze_segment()
            self.phase = phase
            if phase is Phase.DECODE:
                self._decode_started = self._clock()
            self.done = self.total = 0
            self.unit = ""
            self.part = PHASE_LABELS[phase]
            self._segment_key = ()

    def _count(self, key: tuple, done: int, total: int) -> None:
        if key != self._segment_key:
            self._freeze_segment()
            self._segment_key = key
            self._segment_started = self._clock()
            self._segment_first = done  # the pace counts what was done after the count began
        self.done, self.total = done, total

    def elapsed(self) -> float:
        return 0.0 if self._started is None else self._clock() - self._started

    def eta(self) -> float | None:
        """Seconds left in the current part (`part`), from its measured pace (tokens or steps per
        second); None if unknown. Later parts are not in it: the status bar says "left in" the part."""
        if self._started is None or self.done <= 0 or self.total <= 0:
            return None
        spent = self._clock() - self._segment_started
        return spent / self.done * max(self.total - self.done, 0)

    def _live_rate(self) -> dict[str, float]:
        """The pace of the count running now, as a rate."""
        counted = self.done - self._segment_first
        if not self._segment_key or counted <= 0 or self._started is None:
            return {}
        pace = (self._clock() - self._segment_started) / counted
        if self._segment_key[0] == "tokens":
            return {"token_s": pace}
        if self._segment_key[0] == "steps" and self.work is not None:
            return {"step_s_per_mpx": pace / max(self.work.megapixels, 1e-6)}
        return {}

    def _freeze_segment(self) -> None:
        """The count that just ended keeps its measured pace for the rest of the run."""
        self._measured.update(usable_rates(self._live_rate()))

    def eta_total(self) -> tuple[float, bool] | None:
        """(seconds left in the whole run, whether the decode is in it), or None while the work
        or the pace of a part still to come is unknown. The decode is left out (False) only when
        no run of this model has been timed to the end yet."""
        work = self.work
        if self._started is not None and self.waited is not None:  # a server: going by its earlier runs
            return None if self.expected is None else (max(self.expected - self.waited, 0.0), True)
        if self._started is None or work is None:
            return None
        rates = {**usable_rates(self.remembered), **self._measured, **usable_rates(self._live_rate())}
        after_prior = self.phase in (Phase.DIFFUSION, Phase.DECODE)
        tokens_left = 0 if after_prior else sum(
            total - min(done, total) for done, total in (
                self._grids.get("layout", (0, work.layout_tokens)), self._grids.get("full", (0, work.full_tokens))))
        steps_left = 0 if self.phase is Phase.DECODE else max(work.steps - self._steps_done, 0)
        if (tokens_left and "token_s" not in rates) or (steps_left and "step_s_per_mpx" not in rates):
            return None
        seconds = tokens_left * rates.get("token_s", 0.0) + steps_left * rates.get("step_s_per_mpx", 0.0) * work.megapixels
        if "decode_s_per_mpx" not in rates:
            return None if self.phase is Phase.DECODE else (seconds, False)
        decode = rates["decode_s_per_mpx"] * work.megapixels
        if self._decode_started is not None:
            decode = max(decode - (self._clock() - self._decode_started), 0.0)
        return seconds + decode, True

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
        """"~1:05 left" for the whole run; "~0:12 left in the full layout" while the pace of a
        later part is unknown; "" while nothing is known."""
        total = self.eta_total()
        if total is not None and self.waited is not None:
            return f"~{format_seconds(total[0])} left, going by earlier runs on this server"
        if total is not None:
            seconds, with_decode = total
            return f"~{format_seconds(seconds)} left" + ("" if with_decode else " + decoding")
        eta = self.eta()
        if eta is None or not self.part:
            return ""
        return f"~{format_seconds(eta)} left in the {self.part.lower()}"

