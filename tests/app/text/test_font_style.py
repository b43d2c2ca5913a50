"""A font's look in words, read from the real font files on this machine (OS/2 PANOSE and class,
width class, fixed pitch, or the shape of a capital I when the metadata is blank)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontDatabase

from app.text.font_style import describe_font


def _listed(family: str) -> str | None:
    """The name Qt's font list (and so the font box) gives `family`: "P052 [urw]" when the foundry is shown."""
    return next((f for f in QFontDatabase.families() if f == family or f.startswith(f"{family} [")), None)


@pytest.mark.parametrize("family, words", [
    ("DejaVu Serif", "classic serif"),  # PANOSE says serif
    ("DejaVu Sans", "clean sans-serif"),
    ("DejaVu Sans Mono", "monospaced"),
    ("P052", "classic serif"),  # URW's Palatino: blank PANOSE, serifs found on its capital I
    ("Nimbus Sans Narrow", "clean condensed sans-serif"),
    ("Studio Sans CJK", "clean sans-serif"),  # the bundled font
])
def test_fonts_are_described_by_their_look(qapp, family, words):
    from app.text.typography import load_bundled_fonts

    load_bundled_fonts()
    listed = _listed(family)
    if listed is None:
        pytest.skip(f"{family} is not installed here")
    assert describe_font(listed) == words
