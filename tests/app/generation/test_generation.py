"""End to end on the demo model: the real loader, runner, engine and main window."""

import pytest
from PySide6.QtCore import Qt

from app.generation.session import Activity
from glm_core.engine.in_process import InProcessEngine, ModelHost
from glm_core.engine.base import EngineState
from glm_core.generation.events import LoadStep, Phase
from glm_core.generation.runner import GenerationRunner


def generate_and_wait(qtbot, window, trigger=None):
    with qtbot.waitSignal(window.session.generationFinished, timeout=30_000) as finished:
        (trigger or window.generate)()
    return finished.args[0]


def test_generate_shows_mosaic_then_steps_then_final_image(demo_window, qtbot):
    window = demo_window
    phases = []
    window.session.previewShown.connect(lambda image, phase: phases.append(phase))
    order = []
    window.history.rowsInserted.connect(lambda *_: order.append(("history", window.doc.base)))
    window.session.generationFinished.connect(lambda item: order.append(("shown", window.doc.base)))

    # Ctrl+Enter in the prompt editor generates.
    window.create_panel.prompt.edit.setFocus()
    item = generate_and_wait(qtbot, window, lambda: qtbot.keyClick(
        window.create_panel.prompt.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier))

    assert Phase.PRIOR in phases and Phase.DIFFUSION in phases
    assert phases.index(Phase.PRIOR) < phases.index(Phase.DIFFUSION)
    # Into the history first, then onto the canvas.
    assert [step for step, _ in order] == ["history", "shown"] and order[0][1] is None
    assert window.history.items() == [item]
    assert window.canvas.document_size == window.create_panel.size_picker.size == (64, 64)
    assert window.doc.base.history_id == item.id
    assert window.doc.undo_stack.undoText() == "Apply result"  # undoable
    recipe = item.recipe
    assert (recipe.prompt, recipe.width, recipe.height, recipe.steps) == (
        "A poster for a jazz night titled “BLUE NOTES”", 64, 64, 2)
    assert recipe.model_id == window.session.report.model_id
    # The seed was random; the field now shows the one drawn, unlocked.
    assert window.create_panel.seed.edit.text() == str(recipe.seed)
    assert not window.create_panel.seed.locked
    assert window.create_panel.prompt.recent_menu.actions()[0].toolTip() == recipe.prompt
    assert window.demo_banner.isVisible() and "noise" in window.demo_banner.text()
    assert window.status.phase.text() == "Ready"
    # The phase label is as wide as any generation label, so the progress bar beside it stays put.
    phase = window.status.phase
    assert phase.minimumWidth() >= phase.fontMetrics().horizontalAdvance("Full layout · 4096/4096 tokens")


def test_rerun_reproduces_and_variation_skips_the_prior(demo_window, qtbot):
    window = demo_window
    first = generate_and_wait(qtbot, window)
    window.history_panel.select(first)
    rerun = generate_and_wait(qtbot, window, window.history_panel.rerun_action.trigger)
    assert rerun.recipe == first.recipe
    assert rerun.image.tobytes() == first.image.tobytes()

    phases = []
    window.session.progressed.connect(lambda: phases.append(window.session.tracker.phase))
    window.history_panel.select(first)
    variation = generate_and_wait(qtbot, window, window.history_panel.variation_action.trigger)
    assert variation.recipe.seed != first.recipe.seed
    assert variation.recipe.prompt == first.recipe.prompt
    assert Phase.PRIOR not in phases  # only the DiT ran
    assert variation.prior is first.prior
    assert window.history.rowCount() == 3

    window.history_panel.select(variation)
    window.history_panel.delete_action.trigger()
    assert window.history.items() == [rerun, first]
    assert window.doc.base is None and not window.canvas.has_image  # the deleted image left the canvas
    window.history_panel.select(first)
    window.history_panel.open_action.trigger()
    assert window.doc.base.history_id == first.id


def test_cancel_mid_run_with_escape_then_generate_again(demo_window, qtbot):
    window = demo_window
    with qtbot.waitSignal(window.session.previewShown, timeout=30_000):
        window.generate()
    assert window.create_panel.cancel_button.isVisible()
    with qtbot.waitSignal(window.session.cancelled, timeout=1000):
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    # Ready at once, without waiting for the worker.
    assert window.session.activity is Activity.IDLE
    assert window.create_panel.generate_button.isVisible() and window.create_panel.generate_button.isEnabled()
    assert window.history.rowCount() == 0
    assert not window.canvas.has_image  # no half-made preview left behind

    item = generate_and_wait(qtbot, window)
    assert window.history.items() == [item]


def test_worker_failure_shows_details_and_the_app_recovers(demo_window, qtbot, monkeypatch, error_boxes):
    window = demo_window

    def broken(self, *args):
        raise RuntimeError("the DiT exploded")

    monkeypatch.setattr(GenerationRunner, "_diffuse", broken)
    with qtbot.waitSignal(window.session.generationFailed, timeout=30_000):
        window.generate()
    boxes = error_boxes(window)
    assert len(boxes) == 1
    assert "the DiT exploded" in boxes[0].text()
    assert "Traceback" in boxes[0].detailedText()
    assert window.session.can_generate
    boxes[0].close()

    monkeypatch.undo()
    item = generate_and_wait(qtbot, window)
    assert window.history.items() == [item]


def test_invalid_request_is_explained_inline_before_anything_runs(demo_window, qtbot, error_boxes):
    window = demo_window
    panel = window.create_panel
    panel.prompt.set_text("   ")
    window.generate()
    assert error_boxes(window) == []  # an input mistake opens no modal dialog
    assert panel.problem.isVisibleTo(panel) and "prompt is empty" in panel.problem.text()
    assert window.session.activity is Activity.IDLE
    panel.prompt.set_text("a jazz poster")  # typing answers it
    assert not panel.problem.isVisibleTo(panel)


def test_closing_mid_generation_shuts_down_cleanly(make_window, load_demo, qtbot):
    window = load_demo(make_window())
    with qtbot.waitSignal(window.session.progressed, timeout=30_000):
        window.generate()
    assert window.session.busy
    window.close()
    assert window.session.engine.state is EngineState.STOPPED


@pytest.mark.parametrize("when", ["loading", "generating"])
def test_cancel_button_works_in_every_phase(make_window, load_demo, qtbot, when):
    class LoadUntilCancelled(ModelHost):
        def load(self, options, on_event, cancel):
            # The real load, held at its first component until cancelled, so the click lands mid-load.
            on_event(LoadStep("tokenizer", 0, 7))
            assert cancel.wait(10)
            super().load(options, on_event, cancel)

    window = make_window(**({"engine": InProcessEngine(LoadUntilCancelled())} if when == "loading" else {}))
    if when == "loading":
        with qtbot.waitSignal(window.session.progressed, timeout=60_000):
            window.start()
        assert window.model_panel.cancel_button.isVisible()
        window.model_panel.cancel_button.click()
        assert window.session.report is None
        assert window.model_panel.state.text() == "No model loaded"
        assert window.model_panel.load_button.isVisible()
    else:
        load_demo(window)
        with qtbot.waitSignal(window.session.progressed, timeout=30_000):
            window.generate()
        window.create_panel.cancel_button.click()
        assert window.session.can_generate
    assert window.session.activity is Activity.IDLE
