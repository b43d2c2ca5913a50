"""GUI test fixtures: offscreen Qt, a throwaway app home, temp settings, and a worker thread
that is always shut down (a QThread destroyed while running aborts the process)."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Demo model, logs and caches go to a throwaway home, never the user's real folders.
os.environ.setdefault("GLM_STUDIO_HOME", tempfile.mkdtemp(prefix="glm-studio-tests-"))

import pytest  # noqa: E402
import torch  # noqa: E402

from app.history import HistoryModel  # noqa: E402
from app.settings import StudioSettings  # noqa: E402

torch.set_num_threads(1)  # the demo model is tiny; more threads only add contention

# Small enough to be fast on a CPU, inside the demo model's size limits.
DEMO_SIZE = 64
DEMO_STEPS = 2


@pytest.fixture
def settings(tmp_path) -> StudioSettings:
    return StudioSettings.from_file(tmp_path / "studio.ini")


@pytest.fixture
def history(qapp) -> HistoryModel:
    return HistoryModel()


@pytest.fixture
def make_window(qtbot, settings):
    """Build main windows; each is closed (which shuts its worker thread down) at teardown."""
    from app.main_window import MainWindow

    windows = []

    def make(source: str | None = "demo", **kwargs) -> MainWindow:
        if source is not None:
            settings.model_source = source
        window = MainWindow(settings, **kwargs)
        qtbot.addWidget(window)
        window.resize(1200, 800)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
        assert not window.session.thread_running


@pytest.fixture
def demo_window(make_window, qtbot):
    """A main window with the demo model loaded, set up for fast generations."""
    window = make_window()
    with qtbot.waitSignal(window.session.modelChanged, timeout=60_000, check_params_cb=lambda r: r is not None):
        window.start()
    window.create_panel.size_picker.set_size(DEMO_SIZE, DEMO_SIZE)
    window.create_panel.steps.setValue(DEMO_STEPS)
    window.create_panel.prompt.set_text("A poster for a jazz night titled “BLUE NOTES”")
    return window


def error_boxes(window):
    from PySide6.QtWidgets import QMessageBox

    return [box for box in window.findChildren(QMessageBox) if box.objectName() == "errorDialog" and box.isVisible()]
