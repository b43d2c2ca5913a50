import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage

from app.canvas.view import MAX_ZOOM, MIN_ZOOM, ZOOM_STEP, CanvasView
from glm_core.generation.events import Phase


@pytest.fixture
def canvas(qtbot):
    view = CanvasView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    view.new_document(400, 200)
    return view


def solid(width: int, height: int, colour: str) -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB888)
    image.fill(QColor(colour))
    return image


def centre_in_scene(view: CanvasView) -> QPointF:
    return view.mapToScene(view.viewport().rect().center())


def test_new_document_is_fitted_and_centred(canvas):
    # 800x600 viewport minus margins; the 400-wide document limits the zoom.
    assert canvas.zoom == pytest.approx((800 - 48) / 400)
    centre = centre_in_scene(canvas)
    assert abs(centre.x() - 200) < 2 and abs(centre.y() - 100) < 2


def test_zoom_keys_steps_and_limits(canvas):
    start = canvas.zoom
    canvas.zoom_in()
    assert canvas.zoom == pytest.approx(start * ZOOM_STEP)
    canvas.zoom_out()
    canvas.zoom_out()
    assert canvas.zoom == pytest.approx(start / ZOOM_STEP)
    canvas.actual_size()
    assert canvas.zoom == 1.0
    for _ in range(40):
        canvas.zoom_in()
    assert canvas.zoom == MAX_ZOOM
    for _ in range(80):
        canvas.zoom_out()
    assert canvas.zoom == MIN_ZOOM
    canvas.fit_to_window()
    assert canvas.zoom == pytest.approx(start)


def test_wheel_zooms_around_the_mouse(canvas, qtbot):
    canvas.actual_size()
    anchor = QPoint(600, 200)
    before = canvas.mapToScene(anchor)
    from PySide6.QtGui import QWheelEvent

    event = QWheelEvent(QPointF(anchor), QPointF(canvas.viewport().mapToGlobal(anchor)), QPoint(0, 0), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    canvas.wheelEvent(event)
    assert canvas.zoom == pytest.approx(ZOOM_STEP**2)
    after = canvas.mapToScene(anchor)
    assert abs(after.x() - before.x()) < 1 and abs(after.y() - before.y()) < 1


def test_middle_drag_and_space_drag_pan(canvas, qtbot):
    canvas.actual_size()
    viewport = canvas.viewport()
    start = centre_in_scene(canvas)
    qtbot.mousePress(viewport, Qt.MouseButton.MiddleButton, pos=QPoint(400, 300))
    qtbot.mouseMove(viewport, QPoint(300, 250))
    qtbot.mouseRelease(viewport, Qt.MouseButton.MiddleButton, pos=QPoint(300, 250))
    moved = centre_in_scene(canvas)
    # Dragging left/up moves the view right/down over the document.
    assert moved.x() == pytest.approx(start.x() + 100, abs=1)
    assert moved.y() == pytest.approx(start.y() + 50, abs=1)

    # A left drag without space does not pan (it belongs to the scene).
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=QPoint(400, 300))
    qtbot.mouseMove(viewport, QPoint(350, 300))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=QPoint(350, 300))
    assert centre_in_scene(canvas).x() == pytest.approx(moved.x(), abs=1)

    canvas.setFocus()
    qtbot.keyPress(canvas, Qt.Key.Key_Space)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=QPoint(400, 300))
    qtbot.mouseMove(viewport, QPoint(440, 300))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=QPoint(440, 300))
    qtbot.keyRelease(canvas, Qt.Key.Key_Space)
    assert centre_in_scene(canvas).x() == pytest.approx(moved.x() - 40, abs=1)


def test_previews_fill_the_document_and_the_final_image_sets_its_size(canvas):
    assert not canvas.has_image
    canvas.show_preview(solid(8, 4, "red"), Phase.PRIOR)  # an 8x4 token mosaic over 400x200 px
    assert canvas.has_image
    shot = canvas.grab().toImage()
    centre = canvas.mapFromScene(QPointF(200, 100))
    assert shot.pixelColor(centre).name() == "#ff0000"
    corner = canvas.mapFromScene(QPointF(398, 198))
    assert shot.pixelColor(corner).name() == "#ff0000"

    canvas.show_image(solid(300, 500, "blue"))
    assert canvas.document_size == (300, 500)
    shot = canvas.grab().toImage()
    assert shot.pixelColor(canvas.mapFromScene(QPointF(150, 250))).name() == "#0000ff"
    # Outside the document: the backdrop, not the image.
    assert shot.pixelColor(QPoint(3, 3)).name() != "#0000ff"


def test_resizing_keeps_a_fitted_document_fitted_until_the_user_zooms(canvas, qtbot):
    canvas.resize(1000, 600)
    qtbot.waitUntil(lambda: canvas.zoom == pytest.approx((1000 - 48) / 400))
    canvas.zoom_in()
    zoom = canvas.zoom
    canvas.resize(700, 600)
    qtbot.wait(20)
    assert canvas.zoom == zoom
