"""Start-up: QApplication, theme, logging, asyncio on Qt's loop, then the main window at once."""

from __future__ import annotations

import logging
import sys
import time

import psutil
from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app.jobs import event_loop
from app.main_window import MainWindow
from app.settings import StudioSettings
from app.ui.logs import setup_logging
from app.ui.resources import resource_path
from app.ui.theme import apply_theme
from glm_core.models.load_report import LoadOptions
from glm_core.paths import APP_NAME, user_log_dir

log = logging.getLogger(__name__)


def _log_uncaught(kind, value, tb) -> None:
    # An exception in a slot would otherwise only reach stderr, which users never see.
    log.critical("uncaught exception", exc_info=(kind, value, tb))
    sys.__excepthook__(kind, value, tb)


def run_app(argv: list[str]) -> int:
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setWindowIcon(QIcon(str(resource_path("icons/app.svg"))))
    apply_theme(app)
    log_file = setup_logging(user_log_dir())
    sys.excepthook = _log_uncaught
    log.info("starting %s, log file %s", APP_NAME, log_file)
    event_loop()  # asyncio on Qt's event loop (qasync): the window awaits its engine there

    # The window's process never imports torch: the engine process (glm_core/engine/process.py)
    # starts with the session and imports it while the window is already up, so no splash.
    window = MainWindow(StudioSettings())
    window.show()
    window.start()
    if "--check" in argv[1:]:
        _StartupCheck(app, window).start()
    return app.exec()


def seconds_since_launch() -> float:
    """From the process's start, interpreter start-up included: what a user waits."""
    return time.time() - psutil.Process().create_time()


class _StartupCheck:
    """`main.py gui --check`: the window came up, then its engine with a model; say so and leave.
    It checks an install or a frozen bundle end to end without anyone at the screen. On a first
    run (no model chosen) it loads the demo model, leaving the user's choice unmade."""

    def __init__(self, app: QApplication, window):
        self.app, self.window = app, window

    def start(self) -> None:
        QTimer.singleShot(0, self._report_window)

    def _report_window(self) -> None:
        window = self.window
        shown = window.isVisible()
        title = window.windowTitle().replace("[*]", "")
        print(f"window shown: {'yes' if shown else 'no'} ({title}) in {seconds_since_launch():.1f} s", flush=True)
        if not shown:
            self._quit(1)
            return
        session = window.session
        session.modelChanged.connect(self._on_model)
        session.loadFailed.connect(lambda message, _details: self._engine_not_ready(message))
        if window.models.first_run_dialog is not None:
            window.models.first_run_dialog.reject()
            session.load(LoadOptions(source="demo"))
        QTimer.singleShot(ENGINE_READY_TIMEOUT_MS, lambda: self._engine_not_ready("timed out"))

    def _on_model(self, report) -> None:
        if report is not None:
            print(f"engine ready: yes ({report.model_id} on {report.device}) in {seconds_since_launch():.1f} s",
                  flush=True)
            self._quit(0)

    def _engine_not_ready(self, why: str) -> None:
        print(f"engine ready: no ({why}) after {seconds_since_launch():.1f} s", flush=True)
        self._quit(1)

    def _quit(self, code: int) -> None:
        def close() -> None:  # from Qt's loop, not from inside the engine's event handler
            self.window.close()
            self.app.exit(code)
        QTimer.singleShot(0, close)


ENGINE_READY_TIMEOUT_MS = 300_000
