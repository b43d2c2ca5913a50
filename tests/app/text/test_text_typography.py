"""Exact typography: the bundled CJK font has real glyphs, the overlay draws boxes as the canvas
shows them, and an export with "Overlay my text" carries the words (read back with OCR)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QColor, QImage, QPainter, QRawFont
from text_helpers import text_tools

from app.document.commands import AddBox
from app.document.base_image import Document
from app.ui.images import pil_to_qimage, qimage_to_pil
from app.ui.resources import resource_path
from app.text.typography import BUNDLED_FAMILY, FONT_FILES, load_bundled_fonts, render_layout_guide, render_overlay
from glm_core.project.textbox import TextBox

BACKGROUND = (24, 32, 64)


@pytest.fixture(scope="module")
def ocr():
    rapidocr = pytest.importorskip("rapidocr", reason="rapidocr comes with the dev extra")
    engine = rapidocr.RapidOCR()
    return lambda image: "".join(engine(np.array(image.convert("RGB"))).txts or ())


def _glyph_image(raw: QRawFont, glyph: int) -> bytes:
    """One glyph's outline from exactly this font file (no fallback to any other font), filled."""
    image = QImage(96, 96, QImage.Format.Format_RGB32)
    image.fill(QColor("black"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.fillPath(raw.pathForGlyph(glyph).translated(8, 80), QColor("white"))
    painter.end()
    return qimage_to_pil(image).convert("L").tobytes()


@pytest.mark.parametrize("name", FONT_FILES)
def test_bundled_font_renders_cjk_without_tofu(qapp, name):
    raw = QRawFont(str(resource_path(name)), 72)
    assert raw.isValid() and raw.familyName() == BUNDLED_FAMILY
    glyphs = raw.glyphIndexesForString("新年快乐")
    assert len(glyphs) == 4 and 0 not in glyphs  # every character is in the font
    images = [_glyph_image(raw, g) for g in glyphs]
    notdef = _glyph_image(raw, 0)
    assert len(set(images)) == 4  # four different shapes
    assert notdef not in images  # none of them is the missing-glyph box
    assert all(any(image) for image in images)  # and none is blank
    # Latin-1 and punctuation, kana, and the quote marks and lookalikes the prompt composer uses.
    for text in ("Hello, World! «Ünïcödé» — 2025", "こんにちは、カタカナ。", "“引号”「」〝〞｢｣’″"):
        assert 0 not in raw.glyphIndexesForString(text), text


def test_bundled_font_is_registered_with_qt(qapp):
    from PySide6.QtGui import QFontDatabase

    assert load_bundled_fonts() == BUNDLED_FAMILY
    assert {"Regular", "Bold"} <= set(QFontDatabase.styles(BUNDLED_FAMILY))


def _blank(size=(512, 512)) -> QImage:
    image = QImage(*size, QImage.Format.Format_RGB32)
    image.fill(QColor(*BACKGROUND))
    return image


def test_overlay_draws_only_visible_boxes_at_full_resolution(qapp):
    box = TextBox("HELLO", 56, 200, 400, 100, color="#ffffff")
    hidden = TextBox("HIDDEN", 56, 20, 400, 100, color="#ffffff", visible=False)
    double = render_overlay(_blank((1024, 1024)), [box, hidden], (512, 512))  # 2x the document
    pixels = np.array(qimage_to_pil(double).convert("RGB"))
    assert pixels[400:600, 112:912].max() > 200  # the text, scaled to the bigger image
    assert pixels[40:240].max() < 100  # nothing where the hidden box is
    empty = render_overlay(_blank(), [TextBox("   ", 0, 0, 512, 512)], (512, 512))
    assert qimage_to_pil(empty).convert("RGB").getextrema() == tuple((c, c) for c in BACKGROUND)


def test_layout_guide_draws_boxes_on_a_blank_canvas(qapp):
    guide = render_layout_guide([TextBox("GUIDE", 0, 0, 256, 128, color="#000000")], (512, 512), (256, 256))
    assert (guide.width(), guide.height()) == (256, 256)
    pixels = np.array(qimage_to_pil(guide).convert("L"))
    assert pixels[:64, :128].min() < 40 and pixels[128:].min() == pixels[128:].max()


def test_ocr_reads_latin_and_cjk_from_the_overlay(qapp, ocr):
    boxes = [TextBox("BLUE NOTES", 40, 60, 432, 90, color="#ffffff"),
             TextBox("新年快乐", 106, 300, 300, 90, color="#ffe080", weight=400)]
    out = qimage_to_pil(render_overlay(_blank(), boxes, (512, 512)))
    text = ocr(out)
    assert "BLUE NOTES" in text and "新年快乐" in text


def test_export_with_overlay_contains_the_text(make_window, qtbot, tmp_path, ocr):
    window = make_window(source=None)
    tools = text_tools(window)
    doc = tools.doc
    width, height = doc.size
    base = Image.new("RGB", (width, height), BACKGROUND)
    document = Document(base, pil_to_qimage(base), None)
    doc.undo_stack.push(AddBox(doc, TextBox("JAZZ NIGHT", width * 0.1, height * 0.1, width * 0.8, height * 0.15)))
    doc.undo_stack.push(AddBox(doc, TextBox("夏日爵士", width * 0.2, height * 0.4, width * 0.6, height * 0.15,
                                            color="#ffd27a", weight=400)))
    files = window.files
    target = tmp_path / "poster.png"
    files.dialogs.export_path = lambda parent, suggested: target

    with qtbot.waitSignal(files.exporter.saved, timeout=20_000):
        files.export(document)  # overlay off: the image as generated
    with Image.open(target) as plain:
        assert plain.convert("RGB").tobytes() == base.tobytes()

    tools.preview.overlay.setChecked(True)
    assert not tools.layer.items[doc.boxes[0].id].ghost  # the canvas shows the overlay live
    target.unlink()
    with qtbot.waitSignal(files.exporter.saved, timeout=20_000):
        files.export(document)
    with Image.open(target) as exported:
        assert exported.size == (width, height)
        text = ocr(exported)
    assert "JAZZ" in text and "NIGHT" in text and "夏日爵士" in text  # (OCR may misread the big gap)

    with qtbot.waitSignal(files.exporter.copied, timeout=20_000):
        files.copy(document)  # copy carries the overlay too
    from PySide6.QtGui import QGuiApplication

    copied = qimage_to_pil(QGuiApplication.clipboard().image()).convert("RGB")
    assert copied.tobytes() != base.tobytes()
