"""Masked editing in the real window: paint on the canvas, edit on the demo model, compare."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import QImage

from app.document.commands import EditMask, SetBase
from app.document.base_image import Document
from app.ui.images import pil_to_qimage, qimage_to_pil
from glm_core.generation.masking import feather, prepare_mask


def tools_of(window):
    return window.mask_tools  # made by MainWindow


def drag(qtbot, window, points, button=Qt.MouseButton.LeftButton):
    canvas, viewport = window.canvas, window.canvas.viewport()
    at = [canvas.mapFromScene(QPointF(x, y)) for x, y in points]
    qtbot.mousePress(viewport, button, pos=at[0])
    for pos in at[1:]:
        qtbot.mouseMove(viewport, pos)
    qtbot.mouseRelease(viewport, button, pos=at[-1])


def mask_bytes(window) -> np.ndarray:
    return np.asarray(qimage_to_pil(window.doc.mask))


def finished(qtbot, window, action):
    with qtbot.waitSignal(window.session.generationFinished, timeout=30_000) as result:
        action.trigger()
    return result.args[0]


def test_masked_edit_changes_only_the_mask_and_keeps_the_source(demo_window, qtbot, error_boxes):
    window = demo_window
    mt = tools_of(window)
    source = finished(qtbot, window, window.actions.generate)
    assert window.doc.base.history_id == source.id and window.doc.size == (64, 64)
    assert mt.actions.edit_masked.isEnabled() and mt.actions.edit_whole.isEnabled()

    # Empty mask: the core's message inline under the edit buttons (no modal dialog), and nothing runs.
    mt.actions.edit_masked.trigger()
    assert error_boxes(window) == []
    assert mt.panel.problem.isVisibleTo(mt.panel) and "no painted area" in mt.panel.problem.text()
    assert not window.session.busy and window.history.rowCount() == 1

    # Paint a stroke with the brush (B), as a user would.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_B)
    assert window.canvas.tool is mt.tools["brush"] and mt.actions.tools["brush"].isChecked()
    mt.brush.set_size(10)
    mt.brush.set_hardness(1.0)
    drag(qtbot, window, [(12, 20), (30, 22), (50, 20)])
    mask = mask_bytes(window)
    assert mask[20, 30] == 255 and mask[50, 30] == 0
    assert not mt.panel.problem.isVisibleTo(mt.panel)  # painting answered it
    mt.panel.feather.setValue(4)

    edit = finished(qtbot, window, mt.actions.edit_masked)
    assert edit.recipe.mode == "edit"
    assert [item.id for item in window.history.items()] == [edit.id, source.id]  # the source stays
    assert window.doc.base.history_id == edit.id
    assert window.doc.undo_stack.command(window.doc.undo_stack.count() - 1).text() == "Apply result"

    # Outside the mask and its 4 px feather every pixel is the source's, byte for byte.
    weights = np.asarray(feather(prepare_mask(Image.fromarray(mask), (64, 64)), 4))
    before, after = np.asarray(source.image), np.asarray(edit.image)
    keep = weights == 0
    assert keep.sum() > 64 * 64 / 2
    assert (before[keep] == after[keep]).all()
    assert (before[weights == 255] != after[weights == 255]).any()  # the painted part did change

    # Before/after: hold shows the source where the edit changed it; the mask overlay steps aside.
    changed = np.argwhere((before != after).any(axis=2) & (weights == 255))[0]
    y, x = int(changed[0]), int(changed[1])
    spot = window.canvas.mapFromScene(QPointF(x + 0.5, y + 0.5))
    assert mt.actions.compare.isEnabled() and mt.panel.hold_button.isEnabled()
    mt.panel.hold_button.pressed.emit()
    assert mt.compare.showing and not mt.layer.isVisible()
    shot = window.canvas.grab().toImage()
    assert shot.pixelColor(spot).getRgb()[:3] == tuple(int(v) for v in before[y, x])
    mt.panel.hold_button.released.emit()
    assert not mt.compare.showing and mt.layer.isVisible()
    shot = window.canvas.grab().toImage()
    assert shot.pixelColor(spot).getRgb()[:3] != tuple(int(v) for v in before[y, x])
    qtbot.keyClick(window.canvas, Qt.Key.Key_Backslash)  # \ toggles it
    assert mt.compare.showing
    qtbot.keyClick(window.canvas, Qt.Key.Key_Backslash)
    assert not mt.compare.showing

    # Edit whole image: the current image as the reference, a new entry again.
    whole = finished(qtbot, window, mt.actions.edit_whole)
    assert whole.recipe.mode == "i2i" and whole.recipe.reference_count == 1
    assert (whole.recipe.width, whole.recipe.height) == (64, 64)
    assert window.history.rowCount() == 3 and window.doc.base.history_id == whole.id
    window.doc.undo_stack.undo()  # back to the masked edit's result
    assert window.doc.base.history_id == edit.id

    # Re-run and Variation of edits keep their source image and mask (a recipe alone has neither).
    with qtbot.waitSignal(window.session.generationFinished, timeout=30_000) as rerun:
        window.history_panel.rerunRequested.emit(edit)
    again = rerun.args[0]
    assert again.recipe.mode == "edit" and again.recipe.seed == edit.recipe.seed
    assert np.array_equal(np.asarray(again.image), after)
    with qtbot.waitSignal(window.session.generationFinished, timeout=30_000) as varied:
        window.history_panel.variationRequested.emit(whole)
    variation = varied.args[0]
    assert variation.recipe.mode == "i2i" and variation.recipe.seed != whole.recipe.seed
    assert error_boxes(window) == []


def test_mask_operations_shortcuts_and_panel(make_window, qtbot):
    window = make_window(source=None)
    mt = tools_of(window)
    doc = window.doc
    doc._apply_size(100, 80)
    doc.undo_stack.push(EditMask(doc, QRect(40, 30, 20, 20), doc.mask.copy(QRect(40, 30, 20, 20)),
                                 _filled(20, 20)))
    start = mask_bytes(window).copy()
    assert "covers" in mt.panel.status.text() or "Generate" in mt.panel.status.text()

    mt.panel.amount.setValue(5)
    mt.actions.grow.trigger()
    grown_mask = mask_bytes(window)
    assert grown_mask[30 - 5, 50] == 255 and grown_mask[30 - 6, 50] == 0
    mt.actions.shrink.trigger()
    mt.actions.shrink.trigger()
    assert mask_bytes(window)[30 + 5, 50] == 255 and mask_bytes(window)[30 + 4, 50] == 0
    mt.actions.invert.trigger()
    assert mask_bytes(window)[0, 0] == 255 and mask_bytes(window)[40, 50] == 0
    mt.actions.clear.trigger()
    assert not mask_bytes(window).any()
    texts = [doc.undo_stack.command(i).text() for i in range(doc.undo_stack.count())]
    assert texts[-5:] == ["Grow mask", "Shrink mask", "Shrink mask", "Invert mask", "Clear mask"]
    for _ in range(5):
        window.undo()
    assert (mask_bytes(window) == start).all()

    # Q hides and shows the overlay; E, M, L pick tools; another tool leaving unchecks ours.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Q)
    assert not mt.layer.isVisible()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Q)
    assert mt.layer.isVisible()
    for key, name in ((Qt.Key.Key_E, "eraser"), (Qt.Key.Key_M, "rectangle"), (Qt.Key.Key_L, "lasso")):
        qtbot.keyClick(window.canvas, key)
        assert window.canvas.tool is mt.tools[name] and mt.panel.tool_buttons[name].isChecked()
    window.canvas.set_tool(None)
    assert not any(a.isChecked() for a in mt.actions.tools.values())
    # No image yet: edits are off, with a hint saying what to do.
    assert not mt.actions.edit_masked.isEnabled() and "Generate or open" in mt.panel.status.text()
    # The panel's size and hardness drive the brush both ways.
    mt.panel.size.setValue(120)
    assert mt.brush.size == 120
    mt.brush.set_hardness(0.4)
    assert mt.panel.hardness.value() == 40 and mt.panel.hardness_slider.value() == 40


def test_mask_follows_a_result_of_another_size(make_window, qtbot):
    window = make_window(source=None)
    mt = tools_of(window)
    doc = window.doc
    doc._apply_size(64, 64)
    doc.undo_stack.push(EditMask(doc, QRect(0, 0, 32, 64), doc.mask.copy(QRect(0, 0, 32, 64)), _filled(32, 64)))
    exact = mask_bytes(window).copy()
    big = Image.new("RGB", (128, 96), "navy")
    doc.undo_stack.push(SetBase(doc, Document(big, pil_to_qimage(big), None)))
    assert doc.mask.size().toTuple() == (128, 96) and mt.layer.boundingRect().size().toTuple() == (128, 96)
    assert mask_bytes(window)[50, 10] == 255 and mask_bytes(window)[50, 100] == 0  # scaled, left half
    doc.undo_stack.undo()
    assert (mask_bytes(window) == exact).all()


def _filled(width: int, height: int) -> QImage:
    image = QImage(width, height, QImage.Format.Format_Grayscale8)
    image.fill(255)
    return image
