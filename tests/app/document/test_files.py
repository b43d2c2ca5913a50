"""Export, copy, open and drop: the recipe travels with the pixels."""

import io

from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication

from glm_core.project.metadata import read_recipe, save_png
from glm_core.generation.recipe import Recipe


def finished_item(qtbot, window):
    with qtbot.waitSignal(window.session.generationFinished, timeout=30_000) as finished:
        window.generate()
    return finished.args[0]


def test_export_writes_full_resolution_with_recipe_and_asks_before_overwriting(demo_window, qtbot, tmp_path):
    window = demo_window
    assert not window.actions.export_png.isEnabled()  # nothing to export yet
    item = finished_item(qtbot, window)
    target = tmp_path / "poster.png"
    asked = []
    window.files.dialogs.export_path = lambda parent, suggested: asked.append(suggested.name) or target
    window.files.dialogs.confirm_overwrite = lambda parent, path: asked.append("overwrite?") or answer

    with qtbot.waitSignal(window.files.exporter.saved, timeout=10_000):
        window.actions.export_png.trigger()
    assert asked == [f"a-poster-for-a-jazz-{item.recipe.seed}.png"]  # suggested from the prompt and seed
    assert read_recipe(target) == item.recipe
    with Image.open(target) as saved:
        assert saved.size == item.image.size
        assert saved.convert("RGB").tobytes() == item.image.tobytes()
    assert "Exported" in window.status.currentMessage()

    target.write_bytes(b"precious")
    answer = False
    window.actions.export_png.trigger()
    assert asked[-1] == "overwrite?"
    window.files.exporter.wait()
    assert target.read_bytes() == b"precious"  # declined: untouched

    answer = True
    with qtbot.waitSignal(window.files.exporter.saved, timeout=10_000):
        window.actions.export_png.trigger()
    assert read_recipe(target) == item.recipe
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_copy_puts_png_with_recipe_and_plain_image_on_the_clipboard(demo_window, qtbot):
    window = demo_window
    item = finished_item(qtbot, window)
    with qtbot.waitSignal(window.files.exporter.copied, timeout=10_000):
        window.actions.copy_image.trigger()
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.hasImage()
    png = bytes(mime.data("image/png"))
    assert read_recipe(Image.open(io.BytesIO(png))) == item.recipe


def write_png_with_recipe(path, recipe: Recipe) -> Image.Image:
    image = Image.new("RGB", (recipe.width, recipe.height), (30, 120, 200))
    save_png(image, path, recipe)
    return image


RECIPE = Recipe(prompt="A travel poster of Lisbon, title “LISBOA”", seed=424242, steps=40, guidance=2.5,
                width=1568, height=1056, model_id="zai-org/GLM-Image")


def test_opening_a_png_restores_prompt_and_settings(make_window, tmp_path):
    window = make_window(source=None)
    path = tmp_path / "lisbon.png"
    write_png_with_recipe(path, RECIPE)
    window.files.dialogs.open_path = lambda parent, folder: path
    window.actions.open.trigger()

    panel = window.create_panel
    assert panel.prompt.text == RECIPE.prompt
    assert panel.size_picker.size == (1568, 1056)
    assert panel.steps.value() == 40 and panel.guidance.value() == 2.5
    assert panel.seed.locked and panel.seed.seed() == 424242
    assert window.generation_request().seed == 424242
    assert window.doc.base.recipe == RECIPE
    assert window.canvas.document_size == (1568, 1056) and window.canvas.has_image
    assert window.actions.export_png.isEnabled()


def test_dropping_a_png_on_the_canvas_opens_it(make_window, tmp_path):
    window = make_window(source=None)
    path = tmp_path / "dropped.png"
    write_png_with_recipe(path, RECIPE)
    viewport = window.canvas.viewport()
    args = (QPoint(50, 50), Qt.DropAction.CopyAction)
    keys = (Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)

    text = QMimeData()
    text.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    enter = QDragEnterEvent(*args, text, *keys)
    QApplication.sendEvent(viewport, enter)
    assert not enter.isAccepted()  # only PNGs are taken

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(*args, mime, *keys)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    asked = []
    window.files.dialogs.ask_restore_recipe = lambda parent, name: asked.append(name) or "restore"
    QApplication.sendEvent(viewport, QDropEvent(*args, mime, *keys))
    assert asked == ["dropped.png"]  # a dropped PNG asks before replacing the prompt
    assert window.create_panel.prompt.text == RECIPE.prompt
    assert window.doc.base.recipe == RECIPE


def test_png_without_recipe_or_damaged_file_is_explained(make_window, tmp_path, error_boxes):
    window = make_window(source=None)
    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    window.files.open_path(plain)
    assert "no recipe" in window.status.currentMessage()
    # Opened as the base image, with nothing to restore.
    assert window.create_panel.prompt.text == "" and window.doc.base.recipe is None
    assert window.doc.size == (8, 8)

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    window.files.open_path(broken)
    boxes = error_boxes(window)
    assert len(boxes) == 1 and "broken.png" in boxes[0].text()


def test_export_for_print_writes_the_dpi_and_the_enlarged_image(demo_window, qtbot, tmp_path):
    from app.document.print_dialog import PrintExportDialog

    window = demo_window
    assert not window.actions.export_print.isEnabled()
    item = finished_item(qtbot, window)
    width, height = item.image.size
    dialog = PrintExportDialog(window, width, height)  # the real dialog, filled as a user would
    qtbot.addWidget(dialog)
    dialog.dpi.setValue(150)
    dialog.scale.setCurrentIndex(dialog.scale.findData(2))
    shown = dialog.size.text()
    assert f"{2 * width}x{2 * height} px" in shown and f"{2 * width / 150 * 2.54:.1f} x" in shown and "in at 150 dpi" in shown
    assert "resampled, no new detail" in dialog.scale.currentText()  # honest about what 2x is
    target = tmp_path / "print.png"
    window.files.dialogs.print_options = lambda parent, w, h: dialog.options()
    window.files.dialogs.export_path = lambda parent, suggested: target
    with qtbot.waitSignal(window.files.exporter.saved, timeout=20_000):
        window.actions.export_print.trigger()
    with Image.open(target) as saved:
        assert saved.size == (2 * width, 2 * height)
        assert tuple(round(v) for v in saved.info["dpi"]) == (150, 150)
    assert read_recipe(target) == item.recipe
