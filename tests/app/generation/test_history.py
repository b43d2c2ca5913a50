from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon

from app.generation.history import THUMBNAIL_SIDE, HistoryItem, HistoryModel, ItemRole, make_thumbnail
from app.ui.images import pil_to_qimage
from glm_core.generation.recipe import Recipe


def make_item(seed: int, size=(96, 64)) -> HistoryItem:
    image = Image.new("RGB", size, (seed % 255, 80, 160))
    qimage = pil_to_qimage(image)
    recipe = Recipe(prompt=f"poster {seed}", seed=seed, steps=2, guidance=1.5, width=size[0], height=size[1])
    return HistoryItem(image, qimage, make_thumbnail(qimage), recipe, prior=None, seconds=1.5)


def test_newest_first_with_thumbnail_tooltip_and_item(qapp):
    model = HistoryModel()
    first, second = make_item(1), make_item(2)
    model.add(first)
    model.add(second)
    assert model.rowCount() == 2
    assert model.item(0) is second
    index = model.index(0)
    assert index.data(ItemRole) is second
    assert index.data(Qt.ItemDataRole.DisplayRole) == "Seed 2"
    assert isinstance(index.data(Qt.ItemDataRole.DecorationRole), QIcon)
    tooltip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert "poster 2" in tooltip and "96 × 64" in tooltip and "Seed 2" in tooltip

    model.remove(second)
    assert model.items() == [first]
    model.remove(second)  # already gone: nothing happens
    assert model.rowCount() == 1


def test_thumbnail_keeps_aspect(qapp):
    thumb = make_item(3, size=(1024, 512)).thumbnail
    assert (thumb.width(), thumb.height()) == (THUMBNAIL_SIDE, THUMBNAIL_SIDE // 2)


def test_pil_to_qimage_modes(qapp):
    for mode, colour in (("RGB", (10, 20, 30)), ("RGBA", (10, 20, 30, 255)), ("L", 77), ("P", 3)):
        image = Image.new(mode, (5, 3), colour)
        qimage = pil_to_qimage(image)
        assert (qimage.width(), qimage.height()) == (5, 3)
        expected = image.convert("RGB").getpixel((4, 2))
        pixel = qimage.pixelColor(4, 2)
        assert (pixel.red(), pixel.green(), pixel.blue()) == expected
