"""Take the screenshot set of docs/screenshots/ from the real window, driven by real input.

Run through take.sh, which starts Xvfb and openbox: the app runs on that X server (xcb) and
xdotool moves the mouse and types, as a designer would. Qt only answers where its widgets are
(to aim the clicks) and grabs the screen. Each picture is scaled to 1280 px wide and kept under
300 KB (a palette of 256 colours when the full-colour PNG is bigger).

Scenes: first run; a generated demo poster with a Latin and a CJK box; multi-select with the
Arrange menu; mask painting with the tool icons; progress while generating; About; the model panel.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["GLM_STUDIO_HOME"] = tempfile.mkdtemp(prefix="glm-shots-")  # a first run, every time

from PIL import Image  # noqa: E402
from PySide6.QtCore import QBuffer, QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QIcon  # noqa: E402
from PySide6.QtWidgets import QApplication, QTabBar  # noqa: E402

from app.main_window import MainWindow  # noqa: E402
from app.settings import StudioSettings  # noqa: E402
from app.ui.resources import resource_path  # noqa: E402
from app.ui.theme import apply_theme  # noqa: E402
from glm_core.paths import APP_NAME  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WIDTH, HEIGHT = 352, 512  # the poster (the demo model makes up to 512 px a side)
MAX_BYTES = 300_000


def pump(ms: int = 100) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.005)


def until(condition, timeout_s: float = 120.0) -> None:
    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the window did not get there in time")
        pump(20)


def xdo(*args) -> None:
    """One xdotool command; the window keeps handling events meanwhile."""
    process = subprocess.Popen(["xdotool", *map(str, args)])
    while process.poll() is None:
        pump(5)
    pump(60)


def at(widget, point: QPoint | None = None) -> QPoint:
    return widget.mapToGlobal(point if point is not None else widget.rect().center())


def click(widget, point: QPoint | None = None) -> None:
    p = at(widget, point)
    xdo("mousemove", p.x(), p.y(), "click", 1)


def on_canvas(window, x: float, y: float) -> QPoint:
    """A poster pixel as a global screen point."""
    canvas = window.canvas
    return canvas.viewport().mapToGlobal(canvas.mapFromScene(QPointF(x, y)))


def drag(start: QPoint, end: QPoint, steps: int = 12) -> None:
    xdo("mousemove", start.x(), start.y(), "mousedown", 1)
    for i in range(1, steps + 1):
        xdo("mousemove", start.x() + (end.x() - start.x()) * i // steps, start.y() + (end.y() - start.y()) * i // steps)
    xdo("mouseup", 1)


def key(*keys: str) -> None:
    xdo("key", "--delay", 40, *keys)


def type_text(text: str) -> None:
    if text.isascii():
        xdo("type", "--delay", 25, text)
        return
    for char in text:  # xdotool maps a spare key to each CJK character: one at a time, or some are lost
        xdo("type", "--delay", 120, char)
        pump(150)


def shot(name: str) -> None:
    pump(400)
    image = QGuiApplication.primaryScreen().grabWindow(0).toImage()
    buffer = QBuffer()
    buffer.open(QBuffer.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    picture = Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGB")
    picture = picture.resize((1280, round(picture.height * 1280 / picture.width)), Image.Resampling.LANCZOS)
    data = io.BytesIO()
    picture.save(data, "PNG", optimize=True)
    if data.tell() > MAX_BYTES:
        data = io.BytesIO()
        picture.quantize(256, method=Image.Quantize.MEDIANCUT).save(data, "PNG", optimize=True)
    (OUT / f"{name}.png").write_bytes(data.getvalue())
    print(f"{name}.png  {data.tell() // 1000} kB")


def menu_item(window, menu_title: str, item_text: str) -> None:
    """Open a menu of the menu bar and pick an item, both by mouse."""
    bar = window.menuBar()
    action = next(a for a in bar.actions() if a.text().replace("&", "") == menu_title)
    click(bar, bar.actionGeometry(action).center())
    menu = action.menu()
    until(menu.isVisible, 5)
    item = next(a for a in menu.actions() if a.text().replace("&", "") == item_text)
    click(menu, menu.actionGeometry(item).center())


def tab(window, text: str) -> None:
    for bar in window.findChildren(QTabBar):
        for i in range(bar.count()):
            if bar.isVisible() and bar.tabText(i) == text:
                click(bar, bar.tabRect(i).center())
                return
    raise LookupError(f"no tab {text}")


def main() -> None:
    import torch  # the demo model runs in this process: one thread keeps the machine usable

    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName(APP_NAME)
    app.setWindowIcon(QIcon(str(resource_path("icons/app.svg"))))
    apply_theme(app)
    settings = StudioSettings.from_file(Path(os.environ["GLM_STUDIO_HOME"]) / "studio.ini")
    window = MainWindow(settings)
    window.showMaximized()
    pump(800)
    window.start()
    until(lambda: window.models.first_run_dialog is not None and window.models.first_run_dialog.isVisible(), 10)
    shot("first-run")

    click(window.models.first_run_dialog.demo_button)
    until(lambda: window.session.report is not None)
    panel = window.create_panel
    click(panel.prompt.edit)
    type_text("A jazz night poster: a saxophone player in deep blue light, brass highlights, grain")
    panel.size_picker.set_size(WIDTH, HEIGHT)
    panel.steps.setValue(40)
    until(lambda: window.canvas.document_size == (WIDTH, HEIGHT), 5)
    pump(300)

    # Three boxes with the Text tool: drag, type, Ctrl+Enter to finish each.
    for (x0, y0, x1, y1), text in (((24, 28, 328, 104), "BLUE NOTE"), ((70, 124, 270, 172), "爵士之夜"),
                                   ((130, 448, 330, 488), "FRIDAY 9 PM")):
        click(window.canvas, window.canvas.viewport().rect().bottomLeft() + QPoint(20, -20))
        key("t")
        drag(on_canvas(window, x0, y0), on_canvas(window, x1, y1))
        type_text(text)
        key("ctrl+Return")
    overlay = window.text_tools.preview.overlay
    click(overlay, QPoint(8, overlay.height() // 2))  # on its box: exact typography over the picture
    until(overlay.isChecked, 5)

    # Generate (Ctrl+Enter in the prompt) and catch the progress while the DiT is at work.
    click(panel.prompt.edit)
    caught = []

    def progress_shot():
        tracker = window.session.tracker
        if not caught and tracker.unit == "steps" and tracker.done >= tracker.total // 3:
            caught.append(True)
            shot("progress")

    window.session.progressed.connect(progress_shot)
    key("ctrl+Return")
    until(lambda: window.history.rowCount() == 1 and window.session.tracker.running is False)
    window.session.progressed.disconnect(progress_shot)
    shot("poster-latin-cjk")

    # Multi-select: a rubber band over the three boxes from an empty corner, then Arrange.
    key("Escape")
    drag(on_canvas(window, -20, -20), on_canvas(window, WIDTH - 8, HEIGHT - 8))
    until(lambda: len(window.text_tools.selection.ids) == 3, 5)
    bar = window.menuBar()
    arrange = next(a for a in bar.actions() if a.text() == "&Arrange")
    click(bar, bar.actionGeometry(arrange).center())
    until(arrange.menu().isVisible, 5)
    shot("multi-select-arrange")
    item = window.text_tools.arrange.align["left"]
    click(arrange.menu(), arrange.menu().actionGeometry(item).center())
    tab(window, "Undo History") if window.undo_dock.isVisible() else menu_item(window, "View", "Undo History")
    shot("aligned-one-undo-step")

    # Mask painting: the Brush (B), two strokes, the Mask dock in front.
    key("Escape")
    key("b")
    drag(on_canvas(window, 120, 330), on_canvas(window, 400, 420))
    drag(on_canvas(window, 140, 460), on_canvas(window, 380, 380))
    tab(window, "Mask")
    shot("mask-painting-tool-icons")

    menu_item(window, "Help", "About GLM-Image Studio")
    until(lambda: any(w.objectName() == "aboutDialog" and w.isVisible() for w in app.topLevelWidgets()), 5)
    shot("about")
    key("Escape")

    tab(window, "Model")
    shot("model-panel")
    sys.stdout.flush()
    os._exit(0)  # the demo poster is not worth an "unsaved changes" question


if __name__ == "__main__":
    main()
