"""The mask tools driven like a user would: real mouse events on the canvas viewport."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from app.canvas.view import CanvasView
from app.document.model import DocumentModel
from app.ui.images import qimage_to_pil
from app.mask.layer import MaskLayer
from app.mask.tools import TOOL_CLASSES, BrushSettings

W, H = 200, 100


class Rig:
    def __init__(self, qtbot):
        self.qtbot = qtbot
        self.view = CanvasView()
        qtbot.addWidget(self.view)
        self.view.resize(800, 600)
        self.view.show()
        qtbot.waitExposed(self.view)
        self.view.new_document(W, H)
        self.doc = DocumentModel(W, H)
        self.layer = MaskLayer(self.doc)
        self.view.scene().addItem(self.layer)
        self.brush = BrushSettings(size=10, hardness=1.0)
        self.tools = {cls.name: cls(lambda: self.doc, self.layer, self.brush) for cls in TOOL_CLASSES}

    def use(self, name: str):
        self.view.set_tool(self.tools[name])
        self.view.setFocus()

    def at(self, x: float, y: float) -> QPoint:
        return self.view.mapFromScene(QPointF(x, y))

    def drag(self, points, button=Qt.MouseButton.LeftButton, modifier=Qt.KeyboardModifier.NoModifier):
        viewport, bot = self.view.viewport(), self.qtbot
        bot.mousePress(viewport, button, modifier, self.at(*points[0]))
        for x, y in points[1:]:
            bot.mouseMove(viewport, self.at(x, y))
        bot.mouseRelease(viewport, button, modifier, self.at(*points[-1]))

    def mask(self) -> np.ndarray:
        return np.asarray(qimage_to_pil(self.doc.mask))


@pytest.fixture
def rig(qtbot):
    return Rig(qtbot)


def test_brush_stroke_paints_along_the_path_with_round_caps(rig):
    rig.use("brush")
    # Three samples 60 px apart: the stroke must still be continuous between them.
    rig.drag([(40, 50), (100, 50), (160, 50)])
    mask = rig.mask()
    assert (mask[50, 40:161] == 255).all()  # every pixel along the path
    assert (mask[47:54, 45:155] == 255).all()  # the full width (diameter 10) around it
    assert mask[50, 33] == 0 and mask[50, 167] == 0  # round caps end a radius past the ends
    assert mask[50, 37] == 255 and mask[50, 163] == 255
    assert (mask[:40] == 0).all() and (mask[60:] == 0).all()  # far pixels untouched
    assert rig.doc.undo_stack.count() == 1  # one stroke, one undo step
    assert rig.doc.undo_stack.command(0).text() == "Brush stroke"
    # The overlay follows the mask (tinted where painted, clear elsewhere).
    overlay = rig.layer.overlay()
    assert overlay.pixelColor(100, 50).alpha() == 255 and overlay.pixelColor(100, 80).alpha() == 0


def test_soft_brush_fades_out_from_the_centre(rig):
    rig.brush.set_size(40)
    rig.brush.set_hardness(0.25)
    rig.use("brush")
    rig.drag([(50, 50), (150, 50)])
    column = rig.mask()[:, 100].astype(int)
    assert column[50] == 255
    edge = column[50:75]  # from the centre line outwards
    assert (np.diff(edge) <= 0).all()  # never brighter further out
    assert 0 < column[50 + 12] < 255 and 0 < column[50 + 16] < column[50 + 12]  # a real gradient
    assert column[50 + 22] == 0


def test_eraser_and_alt_brush_clear(rig):
    rig.doc.mask.fill(255)
    rig.use("eraser")
    rig.drag([(20, 20), (180, 20)])
    rig.use("brush")
    rig.drag([(20, 80), (180, 80)], modifier=Qt.KeyboardModifier.AltModifier)
    mask = rig.mask()
    assert (mask[20, 20:181] == 0).all() and (mask[80, 20:181] == 0).all()
    assert (mask[40:60] == 255).all()
    assert [rig.doc.undo_stack.command(i).text() for i in range(2)] == ["Erase", "Erase"]


def test_rectangle_fills_and_alt_subtracts(rig):
    rig.use("rectangle")
    rig.drag([(20, 10), (50, 30), (100, 60)])
    mask = rig.mask()
    ys, xs = np.nonzero(mask)
    assert abs(xs.min() - 20) <= 1 and abs(xs.max() - 99) <= 1
    assert abs(ys.min() - 10) <= 1 and abs(ys.max() - 59) <= 1
    assert (mask[12:58, 22:98] == 255).all() and mask.sum() == 255 * len(xs)  # solid, hard-edged
    rig.drag([(40, 20), (60, 40)], modifier=Qt.KeyboardModifier.AltModifier)
    assert (rig.mask()[23:37, 43:57] == 0).all() and rig.mask()[15, 30] == 255
    assert rig.doc.undo_stack.count() == 2


def test_lasso_fills_the_outline(rig):
    rig.use("lasso")
    rig.drag([(100, 10), (130, 40), (160, 90), (100, 90), (40, 90), (70, 40), (100, 10)])
    mask = rig.mask()
    assert mask[60, 100] == 255 and mask[85, 60] == 255  # inside the triangle
    assert mask[15, 60] == 0 and mask[15, 140] == 0 and mask[95, 100] == 0  # outside
    assert rig.doc.undo_stack.command(0).text() == "Lasso fill"


def test_bracket_keys_change_the_brush_size(rig, qtbot):
    rig.use("brush")
    start = rig.brush.size
    qtbot.keyClick(rig.view, Qt.Key.Key_BracketRight)
    qtbot.keyClick(rig.view, Qt.Key.Key_BracketRight)
    assert rig.brush.size > start + 1
    for _ in range(3):
        qtbot.keyClick(rig.view, Qt.Key.Key_BracketLeft)
    assert rig.brush.size < start
    for _ in range(40):
        qtbot.keyClick(rig.view, Qt.Key.Key_BracketLeft)
    assert rig.brush.size == 1


def test_undo_restores_the_mask_bytes_exactly(rig):
    rig.use("rectangle")
    rig.drag([(10, 10), (90, 90)])
    rig.brush.set_hardness(0.3)
    rig.brush.set_size(30)
    rig.use("brush")
    before = rig.mask().tobytes()
    rig.drag([(60, 20), (120, 70), (170, 30)])
    after = rig.mask().tobytes()
    assert after != before
    rig.doc.undo_stack.undo()
    assert rig.mask().tobytes() == before
    assert rig.layer.overlay().pixelColor(150, 40).alpha() == 0  # the overlay followed the undo
    rig.doc.undo_stack.redo()
    assert rig.mask().tobytes() == after


def test_tools_are_inert_when_disabled_and_hovering_paints_nothing(rig, qtbot):
    rig.use("brush")
    qtbot.mouseMove(rig.view.viewport(), rig.at(100, 50))  # a hover, no button
    assert not rig.mask().any()
    for tool in rig.tools.values():
        tool.enabled = False
    rig.drag([(40, 50), (160, 50)])
    assert not rig.mask().any() and rig.doc.undo_stack.count() == 0
