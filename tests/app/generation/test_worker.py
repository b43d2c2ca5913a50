"""The real worker path (GenerationWorker on its QThread, relayed by Session) under load and
under cancel, with scripted runners standing in for the model."""

import threading
import time

from PIL import Image
from PySide6.QtCore import QTimer

from app.generation.history import HistoryModel
from app.generation.session import Activity, Session
from app.generation.worker import GenerationWorker
from glm_core.generation.events import DiffusionStep, Phase, PhaseChanged, PreviewImage, TokenProgress
from glm_core.models.loader import LoadCancelled
from glm_core.generation.recipe import Recipe
from glm_core.generation.request import GenerationRequest
from glm_core.generation.runner import GenerationResult

TOKENS = 20_000
STEPS = 1000


class FakeReport:
    model_id = "fake"
    min_side, max_side = 32, 512


class FakeModel:
    report = FakeReport()


def fake_load(options, on_progress=None, cancel=None):
    for index in range(3):
        on_progress("component", index, 3)
    return FakeModel()


class SoakRunner:
    """Floods the worker the way a fast model would: a progress event per token and per step,
    a preview every few events."""

    def __init__(self, model):
        self.previews = 0

    def cancel(self):
        pass

    def run(self, request, on_event):
        on_event(PhaseChanged(Phase.PRIOR))
        tile = Image.new("RGB", (256, 256), (200, 40, 40))
        for index in range(1, TOKENS + 1):
            on_event(TokenProgress("full", index, TOKENS))
            if index % 10 == 0:
                on_event(PreviewImage(tile, Phase.PRIOR))
                self.previews += 1
        on_event(PhaseChanged(Phase.DIFFUSION))
        for step in range(1, STEPS + 1):
            on_event(DiffusionStep(step, STEPS))
        recipe = Recipe(prompt=request.prompt, seed=1, steps=STEPS, guidance=1.5, width=64, height=64)
        return GenerationResult(image=tile, recipe=recipe, prior=None, seconds=0.1)


class BlockingRunner:
    """Runs until cancelled, like a long generation."""

    def __init__(self, model):
        self.stop = threading.Event()
        self.started = threading.Event()

    def cancel(self):
        self.stop.set()

    def run(self, request, on_event):
        self.stop.clear()  # as the real runner does: a cancel must still reach it (see worker)
        self.started.set()
        on_event(PhaseChanged(Phase.PRIOR))
        while not self.stop.wait(0.005):
            on_event(TokenProgress("full", 1, 10))
        from glm_core.generation.events import Cancelled

        on_event(Cancelled(Phase.PRIOR))
        return None


def make_session(qtbot, runner_factory, load=fake_load):
    session = Session(HistoryModel(), GenerationWorker(load=load, runner_factory=runner_factory))
    with qtbot.waitSignal(session.modelChanged, check_params_cb=lambda r: r is not None):
        session.load(object())
    return session


def test_soak_thousands_of_progress_signals_through_the_real_worker_path(qtbot):
    runners = []
    session = make_session(qtbot, lambda model: runners.append(SoakRunner(model)) or runners[-1])
    try:
        previews, ticks = [], []
        session.previewShown.connect(lambda image, phase: previews.append(image.size()))
        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        timer.start()
        started = time.perf_counter()
        with qtbot.waitSignal(session.generationFinished, timeout=30_000) as finished:
            session.generate(GenerationRequest("soak", 64, 64))
        elapsed = time.perf_counter() - started
        timer.stop()

        item = finished.args[0]
        assert session.history.items() == [item]
        assert session.activity is Activity.IDLE
        assert (session.tracker.done, session.tracker.total) == (STEPS, STEPS)
        # Previews replace each other in the worker's mailbox: at least one arrives, never a backlog.
        assert 1 <= len(previews) <= runners[0].previews
        # The event loop kept turning while the worker flooded it (how smoothly is measured by
        # bench/gui_latency.py, not asserted here: timings on a loaded CI machine are noise).
        assert len(ticks) >= 2
        print(f"soak: {TOKENS + STEPS} progress events in {elapsed:.2f} s, {len(previews)} of "
              f"{runners[0].previews} previews shown, {len(ticks)} timer ticks")
    finally:
        session.shutdown()


def test_cancel_while_the_worker_is_busy_returns_at_once_and_ignores_late_reports(qtbot):
    runners = []
    session = make_session(qtbot, lambda model: runners.append(BlockingRunner(model)) or runners[-1])
    try:
        with qtbot.waitSignal(session.progressed, timeout=5000):
            session.generate(GenerationRequest("long", 64, 64))
        assert session.activity is Activity.GENERATING
        with qtbot.waitSignal(session.cancelled, timeout=1000):
            session.cancel()
        assert session.activity is Activity.IDLE and session.can_generate
        assert runners[0].stop.wait(2)  # the cancel reached the runner while it was busy

        # The next job queues behind the winding-down one and is not cancelled by it.
        with qtbot.waitSignal(session.progressed, timeout=5000):
            session.generate(GenerationRequest("again", 64, 64))
        assert session.activity is Activity.GENERATING
        session.cancel()
    finally:
        session.shutdown()
    assert not session.thread_running


def test_cancel_during_load(qtbot):
    release = threading.Event()

    def slow_load(options, on_progress=None, cancel=None):
        on_progress("vae", 0, 7)
        while not cancel.wait(0.01):
            pass
        release.set()
        raise LoadCancelled()

    session = Session(HistoryModel(), GenerationWorker(load=slow_load, runner_factory=SoakRunner))
    try:
        with qtbot.waitSignal(session.progressed, timeout=5000):
            session.load(object())
        assert session.activity is Activity.LOADING
        session.cancel()
        assert session.activity is Activity.IDLE and session.report is None
        assert release.wait(2)
    finally:
        session.shutdown()


def test_a_crashing_runner_becomes_a_readable_failure(qtbot):
    class CrashingRunner(SoakRunner):
        def run(self, request, on_event):
            raise RuntimeError("CUDA error: device-side assert triggered")

    session = make_session(qtbot, CrashingRunner)
    try:
        with qtbot.waitSignal(session.generationFailed, timeout=5000) as failed:
            session.generate(GenerationRequest("boom", 64, 64))
        message, details, remedies = failed.args
        assert message == "CUDA error: device-side assert triggered"
        assert details.startswith("Traceback") and "test_worker.py" in details and remedies == ()
        assert session.can_generate
    finally:
        session.shutdown()
