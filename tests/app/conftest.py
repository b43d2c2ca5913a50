"""GUI test fixtures: offscreen Qt with asyncio on it (qasync, as the app runs), a throwaway app
home, temp settings, and windows whose engine is always closed."""

from __future__ import annotations

import os

# tests/conftest.py already set offscreen Qt, an offline hub and a throwaway GLM_STUDIO_HOME;
# native QSettings (used by run_app) must land there too, never in the user's config.
os.environ["XDG_CONFIG_HOME"] = os.path.join(os.environ["GLM_STUDIO_HOME"], "config")

import asyncio  # noqa: E402

import pytest  # noqa: E402
import shiboken6  # noqa: E402

from app.generation.history import HistoryModel  # noqa: E402
from app.settings import StudioSettings  # noqa: E402
from glm_core.engine.base import EngineState  # noqa: E402

# Small enough to be fast on a CPU, inside the demo model's size limits.
DEMO_SIZE = 64
DEMO_STEPS = 2


@pytest.fixture(scope="session")
def qt_asyncio_loop(qapp):
    from app.jobs import event_loop

    loop = event_loop()
    asyncio.events._set_running_loop(None)  # set per test below: other test folders use asyncio.run
    return loop


@pytest.fixture(autouse=True)
def asyncio_on_qt(qt_asyncio_loop):
    """While a GUI test runs, asyncio runs on Qt's event loop, as under app/main.py; pytest-qt's
    waitSignal (a nested Qt loop) drives it."""
    asyncio.events._set_running_loop(qt_asyncio_loop)
    yield qt_asyncio_loop
    asyncio.events._set_running_loop(None)


@pytest.fixture
def settings(tmp_path) -> StudioSettings:
    return StudioSettings.from_file(tmp_path / "studio.ini")


@pytest.fixture
def history(qapp) -> HistoryModel:
    return HistoryModel()


@pytest.fixture
def make_window(qtbot, settings, tmp_path):
    """Build main windows; each is closed (which closes its engine) at teardown. They run the
    model in-process unless a test passes `engine=` (the engine process costs seconds to spawn).

    Each autosaves into the test's own folder, and closing one with unsaved changes discards
    them unless the test injects its own `dialogs` (or sets `window.files.dialogs.ask_save_changes`)."""
    from app.main_window import MainWindow
    from glm_core.project.autosave import AutosaveStore

    windows, engines = [], []

    def make(source: str | None = "demo", **kwargs) -> MainWindow:
        if source is not None:
            settings.model_source = source
        if "engine" not in kwargs:
            from glm_core.engine.in_process import InProcessEngine

            kwargs["engine"] = InProcessEngine()
        if "autosave" not in kwargs:
            kwargs["autosave"] = AutosaveStore(tmp_path / f"autosave-{len(windows)}")
        window = MainWindow(settings, **kwargs)
        if "dialogs" not in kwargs:
            window.files.dialogs.ask_save_changes = lambda parent, name: "discard"
        engines.append(window.session.engine)
        qtbot.addWidget(window)
        window.resize(1200, 800)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        if not shiboken6.isValid(window):  # pytest-qt closed and deleted it already (its engine too)
            continue
        window.files.dialogs.ask_save_changes = lambda parent, name: "discard"  # whatever the test left
        window.close()
    assert all(engine.state is EngineState.STOPPED for engine in engines)


@pytest.fixture
def load_demo(qtbot):
    """Load the demo model into a window (the real worker path) and set it up for fast runs."""

    def load(window):
        with qtbot.waitSignal(window.session.modelChanged, timeout=60_000, check_params_cb=lambda r: r is not None):
            window.start()
        window.create_panel.size_picker.set_size(DEMO_SIZE, DEMO_SIZE)
        window.create_panel.steps.setValue(DEMO_STEPS)
        window.create_panel.prompt.set_text("A poster for a jazz night titled “BLUE NOTES”")
        return window

    return load


@pytest.fixture
def demo_window(make_window, load_demo):
    return load_demo(make_window())


@pytest.fixture
def error_boxes():
    """The error dialogs a window shows now."""
    from PySide6.QtWidgets import QMessageBox

    def visible(window):
        return [box for box in window.findChildren(QMessageBox) if box.objectName() == "errorDialog" and box.isVisible()]

    return visible


@pytest.fixture(scope="session", autouse=True)
def empty_clipboard_at_exit(qapp):
    """Copy and the seed's copy button leave data on the clipboard; with the offscreen platform,
    Qt frees it after the application at interpreter exit and crashes (exit 139 after every test
    passed). Emptied while the application still lives."""
    yield
    qapp.clipboard().clear()
