"""Start-up: QApplication, theme, logging, torch behind a splash screen, then the main window."""

from __future__ import annotations

import logging
import sys
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QSplashScreen

from app.ui.logs import setup_logging
from app.ui.resources import resource_path
from app.ui.theme import apply_theme
from glm_core.paths import APP_NAME, user_log_dir

log = logging.getLogger(__name__)


def torch_threads(physical_cores: int | None) -> int:
    """Leave one core to the GUI: with the default (every core) and one core busy elsewhere,
    small torch ops were measured ~400x slower."""
    return max(1, (physical_cores or 2) - 1)


def splash_pixmap() -> QPixmap:
    """The app icon and name on a dark card: something to look at while the engine imports."""
    pixmap = QPixmap(540, 240)
    pixmap.fill(QColor("#1c1e22"))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.drawPixmap(36, 64, QIcon(str(resource_path("icons/app.svg"))).pixmap(112, 112))
    title = QFont(painter.font())
    title.setPointSize(20)
    title.setWeight(QFont.Weight.DemiBold)
    painter.setFont(title)
    painter.setPen(QColor("#e6e8ec"))
    painter.drawText(172, 116, APP_NAME)
    subtitle = QFont(painter.font())
    subtitle.setPointSize(10)
    subtitle.setWeight(QFont.Weight.Normal)
    painter.setFont(subtitle)
    painter.setPen(QColor("#8a8f98"))
    painter.drawText(174, 144, "Posters with GLM-Image, on your computer")
    painter.end()
    return pixmap


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

    splash = QSplashScreen(splash_pixmap())
    splash.show()
    splash.showMessage("Starting the image engine…", Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter,
                       QColor("#8a8f98"))
    app.processEvents()

    # torch (through glm_core) is imported here, before the window exists: imported later it
    # stalls a live event loop for up to half a second.
    started = time.perf_counter()
    import psutil
    import torch

    from app.main_window import MainWindow
    from app.settings import StudioSettings
    from glm_core.models.loader import preload_libraries

    preload_libraries()

    torch.set_num_threads(torch_threads(psutil.cpu_count(logical=False)))
    log.info("engine imported in %.1f s; torch %s, %d threads", time.perf_counter() - started,
             torch.__version__, torch.get_num_threads())

    window = MainWindow(StudioSettings())
    window.show()
    splash.finish(window)
    window.start()
    if "--check" in argv[1:]:
        QTimer.singleShot(CHECK_AFTER_MS, lambda: _report_shown_and_quit(app, window))
    return app.exec()


CHECK_AFTER_MS = 1500


def _report_shown_and_quit(app: QApplication, window) -> None:
    """`main.py gui --check`: the window came up with its engine; say so and leave. It checks an
    install or a frozen bundle end to end without anyone at the screen."""
    shown = window.isVisible()
    print(f"window shown: {'yes' if shown else 'no'} ({window.windowTitle().replace('[*]', '')})", flush=True)
    window.close()
    app.exit(0 if shown else 1)
