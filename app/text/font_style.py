"""A font described in words a model understands ("classic serif", "condensed sans-serif",
"monospaced"), read from the font itself: the prompt never carries a font's internal name
("P052 [urw]"), which the model cannot know; the family stays on the box for the recipe.

What is read, best source first: fixed pitch (Qt's metrics), the OS/2 table's PANOSE and IBM
family class, the width class, and for fonts without that metadata (Type 1 URW fonts, many free
fonts write zeros) the shape of a capital I: serifs make its foot much wider than its stem. The
result is plain text on the TextBox (`font_style`), so glm_core stays free of Qt.
"""

from __future__ import annotations

import struct

from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont, QFontMetricsF, QPainterPath, QRawFont

# The kind of a font, and how the prompt names it: an adjective, then (after a width word) the noun.
KIND_WORDS = {"serif": ("classic", "serif"), "sans": ("clean", "sans-serif"), "slab": ("", "slab serif"),
              "script": ("flowing", "script"), "handwritten": ("", "handwritten"), "monospace": ("", "monospaced")}
_SCRIPT_NAMES = ("script", "chancery", "brush", "calligraph", "z003")
_HAND_NAMES = ("hand", "marker", "comic", "felt")
_NARROW_NAMES = ("narrow", "condensed", "compressed")
_WIDE_NAMES = ("extended", "expanded", "wide")
_PROBE_PX = 200  # glyph outlines are measured at this size


def describe_font(family: str) -> str:
    """The words for `family`'s look: its kind, with its width when not normal ("clean condensed sans-serif")."""
    font = QFont(family)
    font.setPixelSize(_PROBE_PX)
    raw = QRawFont.fromFont(font)
    os2 = bytes(raw.fontTable("OS/2")) if raw.isValid() else b""
    adjective, noun = KIND_WORDS[font_kind(family, font, raw, os2)]
    words = [adjective, _width_word(family, os2), noun]
    return " ".join(word for word in words if word)


def font_kind(family: str, font: QFont, raw: QRawFont, os2: bytes) -> str:
    name = family.lower()
    metrics = QFontMetricsF(font)
    if metrics.horizontalAdvance("i") == metrics.horizontalAdvance("M"):
        return "monospace"
    if any(word in name for word in _HAND_NAMES):
        return "handwritten"
    if any(word in name for word in _SCRIPT_NAMES):
        return "script"
    if "slab" in name:
        return "slab"
    from_metadata = _kind_from_os2(os2)
    if from_metadata:
        return from_metadata
    return "serif" if _has_serifs(raw) else "sans"


def _kind_from_os2(os2: bytes) -> str | None:
    """PANOSE (bytes 32-41: family kind, serif style, …, proportion) then the IBM family class."""
    if len(os2) < 42:
        return None
    family_kind, serif_style, proportion = os2[32], os2[33], os2[35]
    if family_kind == 2 and proportion == 9:
        return "monospace"
    if family_kind == 3:
        return "script"
    if family_kind == 2 and 2 <= serif_style <= 10:
        return "serif"
    if family_kind == 2 and 11 <= serif_style <= 15:
        return "sans"
    return {1: "serif", 2: "serif", 3: "serif", 4: "slab", 5: "slab", 7: "serif", 8: "sans", 10: "script"}.get(os2[30])


def _has_serifs(raw: QRawFont) -> bool:
    """A capital I whose foot is over 1.6x as wide as its stem has serifs."""
    if not raw.isValid():
        return False
    glyphs = raw.glyphIndexesForString("I")
    if not glyphs:
        return False
    outline = raw.pathForGlyph(glyphs[0])
    box = outline.boundingRect()
    if box.height() <= 0:
        return False

    def width_at(fraction_from_bottom: float) -> float:
        band = QPainterPath()
        band.addRect(QRectF(box.left() - 1, box.bottom() - fraction_from_bottom * box.height(), box.width() + 2, 1))
        return outline.intersected(band).boundingRect().width()

    stem = width_at(0.5)
    return stem > 0 and width_at(0.03) > 1.6 * stem


def _width_word(family: str, os2: bytes) -> str:
    name = family.lower()
    width_class = struct.unpack(">H", os2[6:8])[0] if len(os2) >= 8 else 5
    if width_class in (1, 2, 3, 4) or any(word in name for word in _NARROW_NAMES):
        return "condensed"
    if width_class in (6, 7, 8, 9) or any(word in name for word in _WIDE_NAMES):
        return "extended"
    return ""
