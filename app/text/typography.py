"""Text boxes drawn as real text with Qt: on the canvas, in the exported overlay and in the layout
guide — one routine, so what the canvas shows is what the export writes.

A box's text is laid out at a reference pixel size, then scaled uniformly to fit the box (the
widest line fills the width or the lines fill the height, whichever is tighter), aligned left,
centre or right, centred vertically, rotated about the box centre.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetricsF, QImage, QPainter

from app.ui.images import pil_to_qimage, qimage_to_pil
from app.ui.resources import resource_path
from glm_core.project.textbox import TextBox

log = logging.getLogger(__name__)

BUNDLED_FAMILY = "Studio Sans CJK"  # resources/fonts: a Noto Sans CJK SC subset (see its README)
FONT_FILES = ("fonts/StudioSansCJK-Regular.otf", "fonts/StudioSansCJK-Bold.otf")
REFERENCE_PX = 100  # layout size; painting scales from it, so fitting never rounds a pixel size
GUIDE_BACKGROUND = QColor("#7f7f7f")  # mid grey: white and black text both stay readable

_loaded: list[str] = []


def load_bundled_fonts() -> str:
    """Register the bundled font with Qt once; returns its family ("" if the files are missing)."""
    if not _loaded:
        for name in FONT_FILES:
            font_id = QFontDatabase.addApplicationFont(str(resource_path(name)))
            if font_id < 0:
                log.warning("could not load the bundled font %s", name)
            else:
                _loaded.extend(QFontDatabase.applicationFontFamilies(font_id))
    return BUNDLED_FAMILY if BUNDLED_FAMILY in _loaded else ""


def family_of(box: TextBox) -> str:
    """The family a box is drawn in: "" on a box means the bundled default."""
    return box.font_family or BUNDLED_FAMILY


def make_font(family: str, weight: int, pixel_size: int = REFERENCE_PX) -> QFont:
    load_bundled_fonts()
    font = QFont()
    # The bundled font second: a Latin-only choice still finds CJK glyphs even where the system
    # has no CJK font installed.
    font.setFamilies([family, BUNDLED_FAMILY] if family != BUNDLED_FAMILY else [family])
    font.setPixelSize(pixel_size)
    font.setWeight(QFont.Weight(min(max(int(weight), 100), 900)))
    # Unhinted metrics scale linearly, so the fit measured at REFERENCE_PX holds at any size.
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


def box_color(box: TextBox) -> QColor:
    color = QColor(box.color)
    return color if color.isValid() else QColor("#ffffff")


@dataclass(frozen=True)
class Measure:
    font: QFont
    lines: tuple[str, ...]
    widths: tuple[float, ...]
    ascent: float
    line_spacing: float
    height: float  # of the whole block

    @property
    def width(self) -> float:
        return max(self.widths, default=0.0)


@lru_cache(maxsize=512)
def measure(text: str, family: str, weight: int) -> Measure:
    font = make_font(family, weight)
    metrics = QFontMetricsF(font)
    lines = tuple(text.split("\n"))
    widths = tuple(metrics.horizontalAdvance(line) for line in lines)
    height = metrics.height() + (len(lines) - 1) * metrics.lineSpacing()
    return Measure(font, lines, widths, metrics.ascent(), metrics.lineSpacing(), height)


def fit_scale(box: TextBox) -> float:
    """How much the reference-size text is scaled to fit the box (0 when there is nothing to draw)."""
    if not box.text.strip() or box.width <= 0 or box.height <= 0:
        return 0.0
    m = measure(box.text, family_of(box), box.weight)
    return min(box.width / max(m.width, 1.0), box.height / max(m.height, 1.0))


def fitted_pixel_size(box: TextBox) -> int:
    """The fitted letter size in document pixels (for the inline editor)."""
    return max(4, round(REFERENCE_PX * (fit_scale(box) or 0.5)))


def paint_text_local(painter: QPainter, box: TextBox, color: QColor | None = None) -> None:
    """Draw the box's text in its own frame: origin at the box centre, unrotated."""
    scale = fit_scale(box)
    if scale <= 0:
        return
    m = measure(box.text, family_of(box), box.weight)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.setFont(m.font)
    painter.setPen(color or box_color(box))
    painter.scale(scale, scale)
    half_width = box.width / 2 / scale
    top = -m.height / 2
    for i, (line, width) in enumerate(zip(m.lines, m.widths, strict=True)):
        if box.align == "left":
            x = -half_width
        elif box.align == "right":
            x = half_width - width
        else:
            x = -width / 2
        painter.drawText(QPointF(x, top + m.ascent + i * m.line_spacing), line)
    painter.restore()


def paint_box(painter: QPainter, box: TextBox) -> None:
    """Draw one box in document coordinates (position and rotation applied here)."""
    painter.save()
    painter.translate(box.x + box.width / 2, box.y + box.height / 2)
    painter.rotate(box.rotation)
    paint_text_local(painter, box)
    painter.restore()


def _paint_boxes(image: QImage, boxes: Iterable[TextBox], size: tuple[int, int]) -> None:
    painter = QPainter(image)
    # Boxes live in document pixels; the image may be larger (a 2x export) or smaller (a preview).
    painter.scale(image.width() / max(size[0], 1), image.height() / max(size[1], 1))
    for box in boxes:  # back to front, as the document keeps them
        if box.visible:
            paint_box(painter, box)
    painter.end()


def render_overlay(image: QImage, boxes: Iterable[TextBox], size: tuple[int, int]) -> QImage:
    """`image` with the visible boxes drawn over it at its full resolution: exact typography."""
    out = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    _paint_boxes(out, boxes, size)
    return out


def render_layout_guide(boxes: Iterable[TextBox], size: tuple[int, int], out_size: tuple[int, int],
                        background: QImage | None = None) -> QImage:
    """The boxes (fonts, colours, positions) on a blank grey canvas, or on `background`."""
    if background is not None:
        base = background.scaled(*out_size)
    else:
        base = QImage(*out_size, QImage.Format.Format_RGB32)
        base.fill(GUIDE_BACKGROUND)
    return render_overlay(base, boxes, size).convertToFormat(QImage.Format.Format_RGB32)


def overlay_pil(image: Image.Image, boxes: Iterable[TextBox], size: tuple[int, int]) -> Image.Image:
    """render_overlay for a PIL image (what export writes), keeping its mode."""
    return qimage_to_pil(render_overlay(pil_to_qimage(image), boxes, size)).convert(image.mode)
