from app.ui.formatting import format_bytes, format_seconds
from app.generation.progress import GenerationProgress
from glm_core.generation.events import LoadStep
from glm_core.generation.events import DiffusionStep, Phase, PhaseChanged, TokenProgress


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_tracker_follows_phases_and_extrapolates_eta():
    clock = FakeClock()
    tracker = GenerationProgress(clock)
    tracker.start(Phase.PRIOR)
    assert tracker.label() == "Layout"
    assert tracker.eta() is None  # nothing counted yet

    tracker.update(TokenProgress("layout", 1, 256))
    clock.now += 2.0
    tracker.update(TokenProgress("layout", 64, 256))
    assert tracker.label() == "Layout sketch · 64/256 tokens"
    assert tracker.eta() == 2.0 / 64 * 192
    assert tracker.eta_text() == "~0:06 left in the layout sketch"  # never a bare "left": more parts follow

    # The second grid has its own name (its counter restarting is a new part, not lost progress)
    # and restarts the pace measurement: its tokens may cost differently.
    tracker.update(TokenProgress("full", 1, 1024))
    assert tracker.label() == "Full layout · 1/1024 tokens"
    clock.now += 1.0
    assert tracker.eta() == 1.0 * 1023

    tracker.update(PhaseChanged(Phase.DIFFUSION))
    assert (tracker.done, tracker.total) == (0, 0)
    tracker.update(DiffusionStep(1, 4))
    clock.now += 3.0
    tracker.update(DiffusionStep(3, 4))
    assert tracker.label() == "Rendering · 3/4 steps"
    assert tracker.eta() == 1.0
    assert tracker.eta_text() == "~0:01 left in the rendering"
    tracker.update(PhaseChanged(Phase.DECODE))
    assert tracker.label() == "Decoding" and tracker.eta_text() == ""
    assert tracker.elapsed() == 6.0

    tracker.stop()
    assert not tracker.running and tracker.eta() is None


def test_tracker_reports_model_loading_components():
    tracker = GenerationProgress(FakeClock())
    tracker.start(Phase.LOADING)
    tracker.update(LoadStep("vision_language_encoder", 3, 7))
    assert tracker.label() == "Loading model · 3/7 components · vision language encoder"


def test_formatting():
    assert format_seconds(5) == "0:05"
    assert format_seconds(65.4) == "1:05"
    assert format_seconds(3725) == "1:02:05"
    assert format_bytes(35_000_000_000) == "35.0 GB"
    assert format_bytes(671_144_998) == "671.1 MB"
    assert format_bytes(12) == "12 B"


def test_a_server_job_shows_elapsed_time_and_the_estimate_from_earlier_runs():
    from glm_core.generation.events import Waiting

    tracker = GenerationProgress(FakeClock())
    tracker.start(Phase.PRIOR)
    tracker.update(PhaseChanged(Phase.SERVER))
    tracker.update(Waiting(elapsed=12.2, expected=64.0))
    assert tracker.label() == "On the server · 0:12 of ~1:04"
    assert tracker.eta() == 64.0 - 12.2
    assert tracker.eta_text() == "~0:52 left, going by earlier runs on this server"
    tracker.update(Waiting(elapsed=3.0, expected=None))  # the first run of this size there
    assert tracker.label() == "On the server · 0:03" and tracker.eta_text() == ""
