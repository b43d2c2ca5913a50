"""Build the bundled CJK-capable font: a subset of Noto Sans CJK SC (Regular and Bold).

Run once by hand (see README.md); needs Debian's fonts-noto-cjk and fontTools, which is a
build-time tool only, never a runtime dependency of the app:

    apt-get install -y fonts-noto-cjk && pip install fonttools
    python resources/fonts/build_subset.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = Path("/usr/share/fonts/opentype/noto")
SC_INDEX = 2  # in NotoSansCJK-*.ttc: JP, KR, SC, TC, HK, then the Mono faces
# A family name of our own: the subset is a Modified Version under the OFL, and the system may
# have the full Noto Sans CJK SC installed; a distinct name keeps the two apart in font lists.
FAMILY = "Studio Sans CJK"
OUT = Path(__file__).resolve().parent

RANGES = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1
    (0x2000, 0x206F),  # General Punctuation (’ ″ … — the composer's lookalikes among them)
    (0x20A0, 0x20BF),  # currency signs (€ ¥ on posters)
    (0x2100, 0x215F),  # letterlike symbols and number forms (№ ℃ ™ ⅓)
    (0x2190, 0x21FF),  # arrows
    (0x3000, 0x303F),  # CJK Symbols and Punctuation (、。「」〝〞)
    (0x3040, 0x30FF),  # Hiragana and Katakana
    (0xFF00, 0xFFEF),  # half- and fullwidth forms (，！？ and ｢｣)
]


def gb2312_rows(first: int, last: int) -> list[str]:
    """The characters of GB2312 rows first..last, from Python's own gb2312 codec."""
    chars = []
    for row in range(first, last + 1):
        for cell in range(1, 95):
            try:
                chars.append(bytes([0xA0 + row, 0xA0 + cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass  # unassigned cells (row 55 ends at cell 89, some symbol rows are short)
    return chars


LEVEL1 = (16, 55)  # the 3755 most common simplified Chinese characters
LEVEL2 = (56, 87)  # 3008 less common ones: names and places; only ~0.7 MB more per file
SYMBOLS = (1, 9)  # punctuation, numbers, Greek, Cyrillic, box drawing, kana


def codepoints() -> set[int]:
    points = {cp for lo, hi in RANGES for cp in range(lo, hi + 1)}
    for rows in (LEVEL1, LEVEL2, SYMBOLS):
        points |= {ord(c) for c in gb2312_rows(*rows)}
    return points


def rename(font, style: str) -> None:
    names = font["name"]
    full = f"{FAMILY} {style}" if style != "Regular" else FAMILY
    postscript = f"{FAMILY.replace(' ', '')}-{style}"
    for record in list(names.names):
        if record.nameID in (1, 4, 16, 17, 3, 6, 21, 22, 25):
            names.removeNames(nameID=record.nameID)
    names.setName(FAMILY, 1, 3, 1, 0x409)
    names.setName(style if style in ("Regular", "Bold") else "Regular", 2, 3, 1, 0x409)
    names.setName(f"{postscript};subset of Noto Sans CJK SC 2.004", 3, 3, 1, 0x409)
    names.setName(full, 4, 3, 1, 0x409)
    names.setName(postscript, 6, 3, 1, 0x409)
    if "CFF " in font:  # the CFF table carries its own names
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        top.FullName, top.FamilyName = full, FAMILY


def build(style: str) -> Path:
    collection = TTCollection(str(SOURCE / f"NotoSansCJK-{style}.ttc"))
    font = collection.fonts[SC_INDEX]
    options = subset.Options()
    # fontTools' default features (kerning, ligatures, vertical forms, CJK punctuation spacing)
    # without `locl`: it pulls in the Japanese, Korean and Traditional Chinese glyph variants,
    # about 4000 glyphs that a Simplified Chinese font never shows.
    options.layout_features = [f for f in options.layout_features if f != "locl"]
    options.name_IDs = ["*"]
    options.name_languages = [0x409]
    options.notdef_outline = True  # a visible .notdef box, so a missing glyph is never silent
    options.hinting = False  # CFF hints barely matter for poster-size text; saves space
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints())
    subsetter.subset(font)
    rename(font, style)
    path = OUT / f"{FAMILY.replace(' ', '')}-{style}.otf"
    font.save(str(path))
    return path


if __name__ == "__main__":
    for style in sys.argv[1:] or ["Regular", "Bold"]:
        path = build(style)
        print(f"{path.name}: {path.stat().st_size / 1e6:.2f} MB")
