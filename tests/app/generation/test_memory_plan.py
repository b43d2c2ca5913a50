"""The memory plan in the window: shown for the next picture, and one click out of a run that
cannot fit (here: an edit on a model loaded with sequential offload, which cannot run edits)."""

from __future__ import annotations

from PIL import Image

from glm_core.generation.request import GenerationRequest
from glm_core.models.loader import LoadOptions


def test_the_model_panel_shows_the_plan_for_the_size_about_to_be_made(demo_window):
    window = demo_window
    panel = window.model_panel
    window.doc.settings.update(width=96, height=64)
    assert "96x64" in panel.peak_value.toolTip() and " of " in panel.peak_value.text()
    small = panel.peak_value.text()
    window.doc.settings.update(width=512, height=512)
    assert "512x512" in panel.peak_value.toolTip() and panel.peak_value.text() != small


def test_a_run_that_cannot_fit_offers_a_way_out_and_runs_after_one_click(make_window, qtbot):
    window = make_window()
    with qtbot.waitSignal(window.session.modelChanged, timeout=60_000, check_params_cb=lambda r: r is not None):
        window.session.load(LoadOptions(source="demo", device="cpu", offload="sequential"))
    assert window.session.report.plan.offload == "sequential"

    edit = GenerationRequest(prompt="make it night", width=64, height=64, steps=2, seed=3,
                             reference_images=[Image.new("RGB", (64, 64), "orange")])
    with qtbot.waitSignal(window.session.generationFailed, timeout=30_000):
        window._start(edit)
    dialog = window.memory.dialog
    assert dialog is not None and dialog.isVisible() and "model offload" in dialog.text()
    choice = next(button for button in dialog.buttons() if button.text() == "Use model offload")

    with qtbot.waitSignal(window.session.generationFinished, timeout=60_000) as finished:
        choice.click()
    assert window.session.report.plan.offload == "model"  # re-placed, not reloaded
    item = finished.args[0]
    assert item.recipe.mode == "i2i" and window.history.items() == [item]
