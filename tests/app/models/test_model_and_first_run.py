"""First run, the model panel, and what persists between sessions."""

from PySide6.QtCore import Qt

from app.main_window import MainWindow


def loaded(report):
    return report is not None


def test_first_run_offers_demo_download_and_folder_honestly(make_window, qtbot, settings):
    window = make_window(source=None)
    window.start()
    dialog = window.models.first_run_dialog
    assert dialog is not None and dialog.isVisible()
    text = " ".join(label.text() for label in dialog.findChildren(type(window.demo_banner)))
    assert "random weights" in text and "noise" in text
    assert "35.0 GB to download" in text and "free (" in text
    assert "downloads here with progress" in text and "resumes" in text
    assert dialog.download_button.isEnabled() and dialog.download_button.text() == "Download GLM-Image…"

    with qtbot.waitSignal(window.session.modelChanged, timeout=60_000, check_params_cb=loaded):
        dialog.demo_button.click()
    assert settings.model_source == "demo"
    assert window.session.report.is_demo
    assert window.create_panel.generate_button.isEnabled()


def test_first_run_folder_that_is_not_a_model_fails_readably(make_window, qtbot, settings, tmp_path, error_boxes):
    window = make_window(source=None)
    window.files.dialogs.model_folder = lambda parent: str(tmp_path)
    window.start()
    with qtbot.waitSignal(window.session.loadFailed, timeout=30_000):
        window.models.first_run_dialog.folder_button.click()
    assert settings.model_source == str(tmp_path)
    boxes = error_boxes(window)
    assert len(boxes) == 1 and "model_index.json" in boxes[0].text()
    assert "Loading failed" in window.model_panel.state.text()
    assert not window.create_panel.generate_button.isEnabled()
    assert "Load a model" in window.create_panel.status.text()


def test_model_panel_shows_what_is_in_effect_and_switches_quantization(make_window, qtbot, settings):
    window = make_window()
    with qtbot.waitSignal(window.session.modelChanged, timeout=60_000, check_params_cb=loaded):
        window.start()
    panel = window.model_panel
    assert panel.demo_badge.isVisibleTo(panel) and "noise" in panel.demo_badge.text()
    assert panel.device_value.text() == "CPU · float32"
    assert panel.quant_value.text() == "AR fp32 · DiT fp32"  # what runs, not "bf16" beside "float32"
    assert panel.peak_value.text().startswith("≈ ") and "free" in panel.peak_value.text()
    assert "everything stays on the device" in panel.offload_value.text()
    assert panel.offload_value.toolTip()  # the planner's reason
    assert "Demo model" in window.status.model.text()

    panel.quant.setCurrentIndex(panel.quant.findData("nf4"))
    with qtbot.waitSignal(window.session.modelChanged, timeout=60_000, check_params_cb=loaded):
        panel.load_button.click()
    # On a CPU only the AR model can be quantized, and the panel says so.
    assert panel.quant_value.text() == "AR nf4 · DiT fp32"
    assert panel.notices.isVisibleTo(panel) and "DiT" in panel.notices.text()
    assert settings.quant == "nf4"


def test_window_layout_and_settings_persist(make_window, qtbot, settings):
    window = make_window(source=None)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.history_dock)
    window.model_dock.hide()
    window.create_panel.steps.setValue(44)
    window.create_panel.seed.set_seed(1234, locked=True)
    window.resize(760, 580)  # inside the offscreen screen (800x600), which restoreGeometry clamps to
    window.close()

    again = MainWindow(settings)
    qtbot.addWidget(again)
    again.show()
    try:
        assert again.dockWidgetArea(again.history_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
        assert not again.model_dock.isVisible()
        assert (again.width(), again.height()) == (760, 580)
        assert again.create_panel.steps.value() == 44
        assert again.create_panel.seed.locked and again.create_panel.seed.seed() == 1234
    finally:
        again.close()


def test_download_card_reports_partial_and_finished_downloads():
    from pathlib import Path

    from app.models.first_run import describe_download
    from glm_core.models.catalog import ModelEntry

    partial = ModelEntry(id="zai-org/GLM-Image", name="GLM-Image", source="hub", revision="main",
                         location=Path("/cache/glm"), total_bytes=35_000_000_000, present_bytes=5_000_000_000,
                         complete=False, free_bytes=20_000_000_000, official=True)
    text = describe_download(partial)
    assert "35.0 GB to download, needs 30.0 GB" in text and "20.0 GB free (" in text
    assert "not enough" in text and "5.0 GB already there" in text
    done = ModelEntry(id="zai-org/GLM-Image", name="GLM-Image", source="hub", revision="main",
                      location=Path("/cache/glm"), total_bytes=35_000_000_000, present_bytes=35_000_000_000,
                      complete=True, free_bytes=1, official=True)
    assert describe_download(done).startswith("Already downloaded (35.0 GB)")


def test_a_hub_model_that_is_not_downloaded_is_not_fetched_silently(make_window, settings, error_boxes):
    window = make_window(source=None)
    panel = window.model_panel
    panel.set_choice("zai-org/GLM-Image", "nf4", "auto")
    panel.load_button.click()
    # Instead of a silent 35 GB fetch, the model manager opens on that model, ready to download.
    dialog = window.models.manager_dialog
    assert dialog is not None and dialog.isVisible()
    assert error_boxes(window) == []
    assert not window.session.busy and settings.model_source == ""
    dialog.close()
