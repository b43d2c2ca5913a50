"""The window's path to an engine (Session awaiting an InProcessEngine's stream on Qt's asyncio
loop) under load, cancel and failure, with scripted model hosts standing in for the model."""

import threading
import time

from PIL import Image
from PySide6.QtCore import QTimer

from app.generation.history import HistoryModel
from app.generation.session import Activity, Session
from glm_core.engine.in_process import InProcessEngine, ModelHost
from glm_core.generation.events import (
    Cancelled, DiffusionStep, Finished, Loaded, LoadStep, Phase, PhaseChanged, PreviewImage, TokenProgress,
)
from glm_core.generation.recipe import Recipe
from glm_core.generation.request import GenerationRequest

TOKENS = 20_000
STEPS = 1000


class FakeReport:
    model_id = "fake"
    min_side, max_side = 32, 512


class ScriptedHost(ModelHost):
    """Loads in three steps; each test scripts its generation."""

    def load(self, options, on_event, cancel):
        for index in range(3):
            on_event(LoadStep("component", index, 3))
        self.runner = object()
        on_event(Loaded(FakeReport()))

    def unload(self):
        self.runner = None


class SoakHost(ScriptedHost):
    """Floods the engine the way a fast model would: a progress event per token and per step, a
    preview every few events."""

    previews = 0

    def generate(self, request, on_event, cancel):
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
        on_event(Finished(image=tile, recipe=recipe, seconds=0.1, request=request))


class BlockingHost(ScriptedHost):
    """Runs until cancelled, like a long generation."""

    def __init__(self):
        super().__init__()
        self.stopped = threading.Event()

    def generate(self, request, on_event, cancel):
        on_event(PhaseChanged(Phase.PRIOR))
        while not cancel.wait(0.005):
            on_event(TokenProgress("full", 1, 10))
        self.stopped.set()
        on_event(Cancelled(Phase.PRIOR))


def make_session(qtbot, host):
    session = Session(HistoryModel(), InProcessEngine(host))
    with qtbot.waitSignal(session.modelChanged, check_params_cb=lambda r: r is not None):
        session.load(object())
    return session


def test_soak_thousands_of_progress_events_through_the_real_engine_path(qtbot):
    host = SoakHost()
    session = make_session(qtbot, host)
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
        # Previews and counts replace each other while the window is busy: never a backlog.
        assert 1 <= len(previews) < host.previews
        # The event loop kept turning while the engine flooded it (how smoothly is measured by
        # bench/startup.py, not asserted here: timings on a loaded CI machine are noise).
        assert len(ticks) >= 2
        print(f"soak: {TOKENS + STEPS} progress events in {elapsed:.2f} s, {len(previews)} of "
              f"{host.previews} previews shown, {len(ticks)} timer ticks")
    finally:
        session.shutdown()


def test_cancel_while_the_engine_is_busy_returns_at_once_and_ignores_late_reports(qtbot):
    host = BlockingHost()
    session = make_session(qtbot, host)
    try:
        with qtbot.waitSignal(session.progressed, timeout=5000):
            session.generate(GenerationRequest("long", 64, 64))
        assert session.activity is Activity.GENERATING
        with qtbot.waitSignal(session.cancelled, timeout=1000):
            session.cancel()
        assert session.activity is Activity.IDLE and session.can_generate
        assert host.stopped.wait(2)  # the cancel reached the engine while it was busy

        # The next job waits for the winding-down one and is not cancelled by it.
        host.stopped.clear()
        with qtbot.waitSignal(session.progressed, timeout=5000):
            session.generate(GenerationRequest("again", 64, 64))
        assert session.activity is Activity.GENERATING
        qtbot.wait(50)
        assert not host.stopped.is_set()
        session.cancel()
    finally:
        session.shutdown()
    assert session.engine.state.value == "stopped"


def test_cancel_during_load(qtbot):
    release = threading.Event()

    class SlowLoad(ScriptedHost):
        def load(self, options, on_event, cancel):
            on_event(LoadStep("vae", 0, 7))
            while not cancel.wait(0.01):
                pass
            release.set()
            on_event(Cancelled(Phase.LOADING))

    session = Session(HistoryModel(), InProcessEngine(SlowLoad()))
    try:
        with qtbot.waitSignal(session.progressed, timeout=5000):
            session.load(object())
        assert session.activity is Activity.LOADING
        session.cancel()
        assert session.activity is Activity.IDLE and session.report is None
        assert release.wait(2)
    finally:
        session.shutdown()


def test_a_crashing_engine_job_becomes_a_readable_failure(qtbot):
    class Crashing(ScriptedHost):
        def generate(self, request, on_event, cancel):
            raise RuntimeError("CUDA error: device-side assert triggered")

    session = make_session(qtbot, Crashing())
    try:
        with qtbot.waitSignal(session.generationFailed, timeout=5000) as failed:
            session.generate(GenerationRequest("boom", 64, 64))
        message, details, remedies = failed.args
        assert message == "CUDA error: device-side assert triggered"
        assert details.startswith("Traceback") and "test_session_engine.py" in details and remedies == ()
        assert session.can_generate
    finally:
        session.shutdown()


def test_use_engine_swaps_engines_closing_the_old_one(qtbot):
    first, second = InProcessEngine(ScriptedHost()), InProcessEngine(ScriptedHost())
    session = Session(HistoryModel(), first)
    try:
        with qtbot.waitSignal(session.modelChanged, check_params_cb=lambda r: r is not None):
            session.load(object())
        with qtbot.waitSignal(session.modelChanged, check_params_cb=lambda r: r is None):
            session.use_engine(second)
        assert session.engine is second and session.report is None and not session.can_generate
        with qtbot.waitSignal(session.modelChanged, check_params_cb=lambda r: r is not None):
            session.load(object())
        assert first.state.value == "stopped" and second.state.value == "ready"
    finally:
        session.shutdown()
