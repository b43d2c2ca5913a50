import pytest

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
    assert tracker.eta_total() == (pytest.approx(64.0 - 12.2), True)
    assert tracker.eta_text() == "~0:52 left, going by earlier runs on this server"
    tracker.update(Waiting(elapsed=3.0, expected=None))  # the first run of this size there
    assert tracker.label() == "On the server · 0:03" and tracker.eta_text() == ""


def test_whole_run_eta_prices_both_grids_steps_and_decode_from_this_runs_pace():
    """The old ETA said "~0:00 left" at the end of the sketch with two thirds of the run to go."""
    from PIL import Image

    from app.generation.progress import LAYOUT_TOKENS_GUESS, RunWork, run_work
    from glm_core.generation.request import GenerationRequest

    clock = FakeClock()
    tracker = GenerationProgress(clock)
    tracker.start(Phase.PRIOR)
    work = run_work(GenerationRequest("jazz", width=1024, height=512, steps=10))
    assert work == RunWork(LAYOUT_TOKENS_GUESS, 32 * 16, 10, 1024 * 512 / 1e6)
    tracker.plan(RunWork(layout_tokens=256, full_tokens=512, steps=10, megapixels=0.5))
    tracker.update(TokenProgress("layout", 1, 200))  # the sketch says its real size
    clock.now += 1.0
    tracker.update(TokenProgress("layout", 101, 200))  # 0.01 s a token
    # Nobody has timed a step yet: only the part's own ETA can be said.
    assert tracker.eta_total() is None and tracker.eta_text() == "~0:01 left in the layout sketch"

    tracker.remembered = {"step_s_per_mpx": 4.0, "decode_s_per_mpx": 6.0, "junk": 1.0, "token_s": float("nan")}
    # 99 + 512 tokens at 0.01 s, 10 steps at 4 s/MP x 0.5 MP, decode 6 s/MP x 0.5 MP
    assert tracker.eta_total() == (pytest.approx(611 * 0.01 + 10 * 2.0 + 3.0), True)
    assert tracker.eta_text() == "~0:29 left"

    tracker.update(TokenProgress("layout", 200, 200))
    tracker.update(TokenProgress("full", 1, 512))
    clock.now += 1.0
    tracker.update(TokenProgress("full", 51, 512))  # the full grid is slower: 0.02 s a token
    assert tracker.eta_total()[0] == pytest.approx(461 * 0.02 + 20 + 3)

    tracker.update(PhaseChanged(Phase.DIFFUSION))
    tracker.update(DiffusionStep(1, 10))
    clock.now += 1.0
    tracker.update(DiffusionStep(2, 10))  # this run's steps: 1 s each = 2 s/MP, the remembered 4 is old news
    assert tracker.eta_total()[0] == pytest.approx(8 * 1.0 + 3)
    tracker.update(PhaseChanged(Phase.DECODE))
    clock.now += 1.0
    assert tracker.eta_total()[0] == pytest.approx(2.0)
    clock.now += 1.5
    tracker.stop()
    rates = tracker.rates()  # to remember: this run's paces
    assert rates == pytest.approx({"token_s": 0.02, "step_s_per_mpx": 2.0, "decode_s_per_mpx": 5.0})


def test_first_run_says_decoding_is_not_priced_and_variations_skip_the_tokens():
    from app.generation.progress import RunWork

    clock = FakeClock()
    tracker = GenerationProgress(clock)
    tracker.start(Phase.DIFFUSION)  # a variation: the DiT only
    tracker.plan(RunWork(layout_tokens=0, full_tokens=0, steps=4, megapixels=1.0))
    tracker.update(DiffusionStep(1, 4))
    clock.now += 2.0
    tracker.update(DiffusionStep(2, 4))
    assert tracker.eta_text() == "~0:04 left + decoding"
    tracker.update(PhaseChanged(Phase.DECODE))
    assert tracker.eta_text() == ""  # no "~0:00 left" while the decode's length is unknown


def test_the_window_remembers_each_models_pace_for_the_next_runs_eta(demo_window, qtbot, settings):
    from test_generation import generate_and_wait

    window = demo_window
    etas = []
    window.session.progressed.connect(lambda: etas.append(window.session.tracker.eta_total()))
    generate_and_wait(qtbot, window)
    report = window.session.report
    from app.models.model_source import describe_quant

    key = f"{report.model_id} · {report.device} · {describe_quant(report.quant)}"
    remembered = settings.progress_rates(key)
    assert set(remembered) == {"token_s", "step_s_per_mpx", "decode_s_per_mpx"}
    etas.clear()
    generate_and_wait(qtbot, window)
    assert window.session.tracker.remembered == remembered  # the second run started from them
    assert etas and all(eta is not None and eta[1] for eta in etas)  # a whole-run ETA from the first event on
