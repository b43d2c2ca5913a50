"""Render the real window on the demo model and save docs/screenshot.png (the README shows it).

    xvfb-run -s "-screen 0 1440x900x24" python docs/screenshot.py      # a real X server
    QT_QPA_PLATFORM=offscreen python docs/screenshot.py                # or without one

It starts the app as a designer would find it after a few minutes: the demo model loaded, a
prompt typed, a Latin title and a CJK subtitle placed as text boxes, a finished generation on the
canvas with the text overlay on, two results in the history.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["GLM_STUDIO_HOME"] = tempfile.mkdtemp(prefix="glm-screenshot-")

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtGui import QIcon  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.document.commands import AddBox  # noqa: E402
from app.jobs import event_loop  # noqa: E402
from app.main_window import MainWindow  # noqa: E402
from app.ui.resources import resource_path  # noqa: E402
from app.settings import StudioSettings  # noqa: E402
from app.ui.theme import apply_theme  # noqa: E402
from glm_core.paths import APP_NAME  # noqa: E402
from glm_core.project.textbox import TextBox  # noqa: E402

WIDTH, HEIGHT = 352, 512


def wait_for(signal, timeout_ms=120_000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


def main(out: Path = ROOT / "docs" / "screenshot.png") -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    event_loop()  # the window awaits its engine (the engine process) with asyncio on Qt's loop
    app.setApplicationName(APP_NAME)
    app.setWindowIcon(QIcon(str(resource_path("icons/app.svg"))))
    apply_theme(app)
    settings = StudioSettings.from_file(Path(os.environ["GLM_STUDIO_HOME"]) / "studio.ini")
    settings.model_source = "demo"
    window = MainWindow(settings)
    window.resize(1440, 900)
    window.show()
    window.start()
    wait_for(window.session.modelChanged)

    panel = window.create_panel
    panel.prompt.set_text("A jazz night poster: a saxophone player in deep blue light, brass highlights, "
                          "grain, bold modern typography")
    panel.size_picker.set_size(WIDTH, HEIGHT)
    panel.steps.setValue(12)
    doc = window.doc
    doc.undo_stack.push(AddBox(doc, TextBox("BLUE NOTE", 24, 28, WIDTH - 48, 76, role="title", color="#f5c542")))
    doc.undo_stack.push(AddBox(doc, TextBox("爵士之夜", 60, 112, WIDTH - 120, 44, role="subtitle", weight=500)))
    doc.undo_stack.push(AddBox(doc, TextBox("FRIDAY 9 PM · 周五晚九点", 96, HEIGHT - 56, WIDTH - 120, 26,
                                            role="caption", weight=400, align="right")))
    window.text_tools.preview.overlay.setChecked(True)  # exact typography over the (noise) picture
    for _ in range(2):
        window.generate()
        wait_for(window.session.generationFinished)
    app.processEvents()
    window.grab().save(str(out))
    print(out)
    window.close()


if __name__ == "__main__":
    main()
