"""Model dock ▸ Engine against a local fake GLM-Image server: the connection test lists the
server's models and what it can do, off the GUI thread; a bad URL says so inline."""

from __future__ import annotations

import socket

import pytest
from PySide6.QtCore import Qt

from app.models.engine_panel import EnginePanel
from app.settings import StudioSettings
from glm_core.engine.remote import RemoteEngine


@pytest.fixture
def panel(qtbot, tmp_path):
    widget = EnginePanel(StudioSettings.from_file(tmp_path / "s.ini"))
    qtbot.addWidget(widget)
    widget.show()
    return widget


def choose_server(panel, url: str) -> None:
    panel.choice.setCurrentIndex(panel.choice.findData("server"))
    panel.url.setText(url)


def test_the_connection_test_lists_the_models_and_chooses_the_server(qtbot, panel, image_server):
    image_server.models = ["zai-org/GLM-Image", "some/other-model"]
    assert not panel.server_fields.isVisible()  # "This computer" first
    choose_server(panel, image_server.url)
    assert panel.server_fields.isVisible()
    chosen = []
    panel.engineChosen.connect(chosen.append)
    qtbot.mouseClick(panel.test_button, Qt.MouseButton.LeftButton)
    assert panel.result.text().startswith("Reaching")  # the GUI thread is not waiting on the network
    qtbot.waitUntil(lambda: bool(chosen), timeout=10_000)
    text = panel.result.text()
    assert "zai-org/GLM-Image" in text and "some/other-model" in text and "can edit images" in text
    assert isinstance(chosen[0], RemoteEngine) and chosen[0].info.model == "zai-org/GLM-Image"
    again = StudioSettings(panel.settings._store)
    assert (again.engine_kind, again.engine_url) == ("server", image_server.url)

    panel.choice.setCurrentIndex(panel.choice.findData("local"))
    assert chosen[-1] is None  # back to this computer


def test_a_server_without_edits_says_so(qtbot, panel, image_server):
    image_server.edits = False
    choose_server(panel, image_server.url)
    panel.test_connection()
    qtbot.waitUntil(lambda: "cannot edit images" in panel.result.text(), timeout=10_000)


def test_a_bad_url_shows_one_line_inline_and_chooses_nothing(qtbot, panel):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    choose_server(panel, f"127.0.0.1:{port}")
    chosen = []
    panel.engineChosen.connect(chosen.append)
    panel.test_connection()
    qtbot.waitUntil(lambda: panel.test_button.isEnabled(), timeout=10_000)
    assert panel.result.text().startswith(f"Cannot reach http://127.0.0.1:{port}: is the server running?")
    assert "\n" not in panel.result.text() and panel.result.property("warning") and not chosen


def test_the_window_generates_on_the_server_it_was_pointed_at(qtbot, make_window, image_server):
    """Engine ▸ Server…, Test connection: the window's session swaps to the server, loads there (the
    Model panel says which model on which server) and Generate runs on it; back to This computer."""
    window = make_window(source=None)
    panel = window.models.engine_panel
    choose_server(panel, image_server.url)
    with qtbot.waitSignal(window.session.modelChanged, timeout=20_000, check_params_cb=lambda r: r is not None):
        panel.test_connection()
    assert isinstance(window.session.engine, RemoteEngine)
    state = window.model_panel.state.text()
    assert f"zai-org/GLM-Image</b> on {image_server.url}" in state
    assert window.model_panel.device_value.text() == "Server" and window.model_panel.peak_value.text() == "—"

    window.create_panel.size_picker.set_size(512, 512)
    window.create_panel.prompt.set_text("A poster for a jazz night")
    with qtbot.waitSignal(window.session.generationFinished, timeout=20_000) as done:
        window.generate()
    item = done.args[0]
    assert item.recipe.server == image_server.url and item.image.size == (512, 512)
    sent = image_server.image_requests()[-1]
    assert sent.path == "/v1/images/generations" and sent.fields["size"] == "512x512"

    panel.choice.setCurrentIndex(panel.choice.findData("local"))
    assert not isinstance(window.session.engine, RemoteEngine)


def test_a_saved_server_is_the_engine_at_start_and_no_engine_process_is_spawned(qtbot, make_window, settings,
                                                                             image_server):
    from app.models.model_loading import saved_engine

    assert saved_engine(settings) is None  # this computer: the window starts the engine process
    settings.engine_kind, settings.engine_url = "server", image_server.url
    engine = saved_engine(settings)
    assert isinstance(engine, RemoteEngine) and engine.base_url == image_server.url
    window = make_window(source=None, engine=engine)
    with qtbot.waitSignal(window.session.modelChanged, timeout=20_000, check_params_cb=lambda r: r is not None):
        window.start()
    assert window.session.engine is engine and f"on {image_server.url}" in window.model_panel.state.text()
