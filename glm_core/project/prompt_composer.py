"""Turn a scene description and the designer's text boxes into one GLM-Image prompt.

GLM-Image renders as text whatever `GlmImagePipeline.get_glyph_texts` finds in the prompt inside
'…', “…”, "…" or 「…」 — four regexes run one after another over the whole prompt, so their matches
come grouped by quote kind, not in prompt order. The composer therefore keeps this invariant:

    get_glyph_texts(prompt) == prompt_texts == the visible, non-empty boxes' texts in reading order

and it holds because:
  * every box is wrapped in the same quote pair: “…”, or 「…」 when that needs fewer lookalike
    substitutions (ties go to 「…」 if any text holds CJK or “ ”), so all matches come from one regex
    and keep their order;
  * a box text never contains its wrapping marks (they become lookalikes: “ ” → 〝 〞, 「 」 → ｢ ｣);
  * the other pair never closes across or within texts: each “…” or 「…」 pair that would match
    loses its marks to the same lookalikes (a lone ” as in 5” is kept);
  * straight ' and " are kept while the boxes hold at most one of each; from two on, every one
    becomes ’ or ″ (a pair of them anywhere would match);
  * the scene, font styles and our own words carry no quote marks at all: the scene's are softened
    to ‘ ’ and 『 』, which no regex reads.
Every substitution is reported in `notices` and is part of `prompt_texts`. The glyph encoder
gets `glyph_texts`, the texts exactly as typed (glm_core/generation/glyphs.py), when the request carries them.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from glm_core.generation.glyphs import extract_glyph_texts
from glm_core.project.textbox import ROLES, TextBox

# The marks GlmImagePipeline.get_glyph_texts reads, and lookalikes that none of its regexes reads.
_SINGLE, _DOUBLE = "'", '"'
_CURLY, _CORNER = ("\u201c", "\u201d"), ("\u300c", "\u300d")  # “ ” and 「 」
_PAIR_LOOKALIKE = {"\u201c": "\u301d", "\u201d": "\u301e", "\u300c": "\uff62", "\u300d": "\uff63"}
_STRAIGHT_LOOKALIKE = {_SINGLE: "\u2019", _DOUBLE: "\u2033"}  # ’ and ″
# CJK letters (ideographs, kana, hangul), not CJK punctuation: 「」 alone do not call for 「…」.
_CJK = re.compile("[\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
                  "\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]")

# Common colour words a model knows; the nearest one names a box's #rrggbb.
_COLOURS = {
    "black": (0, 0, 0), "white": (255, 255, 255), "grey": (128, 128, 128), "light grey": (200, 200, 200),
    "dark grey": (64, 64, 64), "red": (220, 30, 40), "dark red": (128, 0, 0), "orange": (255, 140, 0),
    "yellow": (255, 220, 0), "gold": (212, 175, 55), "cream": (255, 250, 210), "beige": (225, 205, 170),
    "brown": (130, 80, 30), "green": (0, 160, 60), "dark green": (0, 90, 40), "lime green": (160, 230, 50),
    "teal": (0, 128, 128), "turquoise": (0, 200, 210), "light blue": (140, 190, 240), "blue": (30, 80, 220),
    "navy blue": (0, 0, 110), "purple": (128, 0, 160), "lavender": (190, 160, 230), "pink": (255, 150, 190),
    "magenta": (230, 0, 140),
}


@dataclass(frozen=True)
class ComposedPrompt:
    prompt: str
    glyph_texts: list[str]  # the boxes' texts exactly as typed, in reading order
    prompt_texts: list[str]  # what the pipeline's regexes extract from `prompt`: lookalikes included
    notices: list[str]  # what the designer should know: skipped boxes, substituted marks


def compose_prompt(scene: str, boxes: Sequence[TextBox], width: int, height: int) -> ComposedPrompt:
    """Describe each visible box (exact text, position, size, colour, weight, role) after the scene.

    Boxes are numbered in notices by their place in `boxes` (1-based). With no visible, non-empty
    box the prompt is the scene alone, its quote marks softened: a caller that wants the user's own
    quoted text rendered (no boxes at all) should send the raw prompt instead of composing."""
    if width <= 0 or height <= 0:
        raise ValueError(f"canvas must have a positive size, got {width}x{height}")
    notices: list[str] = []
    kept: list[tuple[int, TextBox]] = []
    for number, box in enumerate(boxes, start=1):
        if not box.visible:
            continue  # hidden on purpose: nothing to tell
        if not box.text.strip():
            notices.append(f"Box {number} is empty and was skipped.")
            continue
        if box.x >= width or box.y >= height or box.x + box.width <= 0 or box.y + box.height <= 0:
            notices.append(f"Box {number} lies outside the {width}x{height} canvas; it is placed at the nearest edge.")
        kept.append((number, box))
    kept = _reading_order(kept)

    scene_text, scene_quotes = _soften(scene.strip())
    if scene_quotes:
        shown = ", ".join(f"“{q}”" for q in scene_quotes)  # what the pipeline would have rendered
        notices.append(f"The scene's quoted text ({shown}) is described, not rendered: "
                       "use a text box to put words on the poster.")
    texts, (open_mark, close_mark) = _protect([box.text for _, box in kept])
    for (number, box), text in zip(kept, texts, strict=True):
        swaps = sorted({f"{a} → {b}" for a, b in zip(box.text, text, strict=True) if a != b})
        if swaps:
            notices.append(f"Box {number}: quote marks are lookalikes in the prompt ({', '.join(swaps)}) "
                           "so the model reads one text per box; the text is rendered as typed.")

    parts = [_describe(box, f"{open_mark}{text}{close_mark}", width, height)
             for (_, box), text in zip(kept, texts, strict=True)]
    prompt = scene_text
    if prompt and prompt[-1] not in ".!?。！？":
        prompt += "."
    if parts:
        prompt = f"{prompt} Text: {'; '.join(parts)}.".lstrip()
    return ComposedPrompt(prompt=prompt, glyph_texts=[box.text for _, box in kept], prompt_texts=texts,
                          notices=notices)


def _reading_order(boxes: list[tuple[int, TextBox]]) -> list[tuple[int, TextBox]]:
    """Top to bottom; boxes whose vertical ranges overlap form one line, read left to right."""
    lines: list[list[tuple[int, TextBox]]] = []
    top = bottom = 0.0
    for item in sorted(boxes, key=lambda item: item[1].y):
        box = item[1]
        if lines and box.y < bottom and box.y + box.height > top:
            lines[-1].append(item)
            bottom = max(bottom, box.y + box.height)
        else:
            lines.append([item])
            top, bottom = box.y, box.y + box.height
    return [item for line in lines for item in sorted(line, key=lambda item: item[1].x)]


def _protect(texts: list[str]) -> tuple[list[str], tuple[str, str]]:
    """Pick the wrapping pair that needs the fewest substitutions and apply them (see module doc)."""
    prefer_corner = any(_CJK.search(t) or _CURLY[0] in t or _CURLY[1] in t for t in texts)
    candidates = [(_CURLY, _CORNER), (_CORNER, _CURLY)]
    if prefer_corner:
        candidates.reverse()  # min() keeps the first of equals
    options = [(_substitute(texts, wrap, other), wrap) for wrap, other in candidates]
    (best, _), wrap = min(options, key=lambda option: option[0][1])
    return best, wrap


def _substitute(texts: list[str], wrap: tuple[str, str], other: tuple[str, str]) -> tuple[list[str], int]:
    # Work on the joined texts: a pair of marks may open in one box and close in a later one, and
    # 1:1 character swaps keep every box's slice where it was.
    chars = list("".join(texts))
    changed = 0
    for i, ch in enumerate(chars):
        if ch in wrap:
            chars[i], changed = _PAIR_LOOKALIKE[ch], changed + 1
    pair = re.compile(f"{other[0]}[^{other[0]}{other[1]}]*{other[1]}")
    while match := pair.search("".join(chars)):
        for i in (match.start(), match.end() - 1):
            chars[i] = _PAIR_LOOKALIKE[chars[i]]
        changed += 2
    for mark, lookalike in _STRAIGHT_LOOKALIKE.items():
        if chars.count(mark) > 1:  # two straight marks anywhere in the prompt would match
            changed += chars.count(mark)
            chars = [lookalike if ch == mark else ch for ch in chars]
    joined, out, start = "".join(chars), [], 0
    for text in texts:
        out.append(joined[start:start + len(text)])
        start += len(text)
    return out, changed


def _soften(text: str) -> tuple[str, list[str]]:
    """Remove every quote mark the pipeline reads; return the text and what it would have rendered."""
    quoted = extract_glyph_texts(text)
    out = []
    for i, ch in enumerate(text):
        if ch in "'\"\u201c\u201d":
            opening = ch == "\u201c" or (ch != "\u201d" and (i == 0 or text[i - 1].isspace() or text[i - 1] in "([{"))
            ch = "\u2018" if opening else "\u2019"
        out.append({"\u300c": "\u300e", "\u300d": "\u300f"}.get(ch, ch))
    return "".join(out), [q for q in quoted if q.strip()]


def _describe(box: TextBox, quoted: str, width: int, height: int) -> str:
    words = [size_word(box, height)]
    if box.weight >= 600:
        words.append("bold")
    elif box.weight <= 300:
        words.append("light")
    colour = colour_name(box.color)
    if colour:
        words.append(colour)
    words.append({"body": "body text"}.get(box.role, box.role) if box.role in ROLES else "text")
    phrase = f"the {' '.join(words)} {quoted}"
    # The font's look in words, never its family: "P052 [urw]" means nothing to the model.
    style, _ = _soften(box.font_style.strip())
    if style:
        phrase += f" set in {'an' if style[0].lower() in 'aeiou' else 'a'} {style} typeface"
    phrase += f" {position_phrase(box, width, height)}"
    turn = box.rotation % 180
    if 80 <= turn <= 100:
        phrase += ", running vertically"
    elif 5 <= turn <= 175:
        phrase += ", tilted"
    return phrase


def position_phrase(box: TextBox, width: int, height: int) -> str:
    """Where the box sits, in words: thirds of the canvas, with long boxes spanning them."""
    cx = min(max((box.x + box.width / 2) / width, 0.0), 1.0)
    cy = min(max((box.y + box.height / 2) / height, 0.0), 1.0)
    col = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else "centre"
    row = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else "middle"
    if box.width >= 0.6 * width and box.width >= box.height:
        return f"across the {row}" + (", centred" if col == "centre" else f", towards the {col}")
    if box.height >= 0.6 * height:
        return "down the middle" if col == "centre" else f"along the {col} edge"
    if row == "middle":
        return "in the centre" if col == "centre" else f"on the {col} side"
    return f"at the {row}, centred" if col == "centre" else f"in the {row}-{col} corner"


def size_word(box: TextBox, height: int) -> str:
    """How big the lettering is: the letter height that fits the box, relative to the canvas."""
    along, across = box.width, box.height
    if 45 <= box.rotation % 180 <= 135:  # turned text runs along the box's height
        along, across = across, along
    lines = box.text.strip().split("\n")
    # Widest line in ems: CJK and other wide characters are about 1 em, the rest about 0.6.
    ems = max(sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in line) for line in lines)
    letter = min(across / len(lines), along / max(ems, 1.0)) / height
    for limit, word in ((0.25, "huge"), (0.12, "large"), (0.06, "medium-sized"), (0.03, "small")):
        if letter >= limit:
            return word
    return "tiny"


def colour_name(color: str) -> str:
    """The nearest common colour word for #rrggbb (or #rgb); "" when it is not a colour."""
    value = color.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if not re.fullmatch(r"[0-9a-fA-F]{6}", value):
        return ""
    r, g, b = (int(value[i:i + 2], 16) for i in (0, 2, 4))

    def distance(ref):  # "redmean": a cheap, roughly perceptual RGB distance
        mean = (r + ref[0]) / 2
        dr, dg, db = r - ref[0], g - ref[1], b - ref[2]
        return math.sqrt((2 + mean / 256) * dr**2 + 4 * dg**2 + (2 + (255 - mean) / 256) * db**2)

    return min(_COLOURS, key=lambda name: distance(_COLOURS[name]))


def box_glyph_texts(boxes, size: tuple[int, int]) -> list[str] | None:
    """The visible, non-empty boxes' texts exactly as typed, in the composer's reading order; None
    when no box has text (the prompt is then sent as typed, and its own quotes are rendered)."""
    return compose_prompt("", boxes, *size).glyph_texts or None
