"""The prompt composer: boxes become readable English, and the pipeline's own glyph-text extraction
finds exactly the boxes' texts, in reading order, whatever the designer typed."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest
from diffusers import GlmImagePipeline
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glm_core.project.prompt_composer import colour_name, compose_prompt, position_phrase, size_word
from glm_core.project.textbox import TextBox

# What the composer may swap a character for (documented in its module docstring).
LOOKALIKES = {"'": "\u2019", '"': "\u2033", "\u201c": "\u301d", "\u201d": "\u301e", "\u300c": "\uff62", "\u300d": "\uff63"}


def extracted(prompt: str) -> list[str]:
    return GlmImagePipeline.get_glyph_texts(None, prompt)[0]


def box(text="SALE", x=0, y=0, w=200, h=80, **kw) -> TextBox:
    return TextBox(text=text, x=x, y=y, width=w, height=h, **kw)


def compose(boxes, scene="A poster", size=(1024, 1024)):
    composed = compose_prompt(scene, boxes, *size)
    assert extracted(composed.prompt) == composed.prompt_texts  # the invariant, every time
    return composed


def test_the_example_reads_like_the_spec():
    composed = compose([box("BLUE NOTE", 64, 40, 896, 160),
                        box("FRIDAY 9 PM", 700, 900, 280, 60, role="caption", weight=400)],
                       scene="A jazz night poster, deep blue background")
    assert composed.prompt == (
        "A jazz night poster, deep blue background. Text: the large bold white title “BLUE NOTE” across the top, "
        "centred; the small white caption “FRIDAY 9 PM” in the bottom-right corner."
    )
    assert composed.glyph_texts == ["BLUE NOTE", "FRIDAY 9 PM"] and composed.notices == []


@pytest.mark.parametrize("geometry,phrase", [
    ((64, 40, 896, 160), "across the top, centred"),
    ((64, 880, 896, 120), "across the bottom, centred"),
    ((0, 450, 640, 100), "across the middle, towards the left"),
    ((20, 20, 200, 80), "in the top-left corner"),
    ((800, 20, 200, 80), "in the top-right corner"),
    ((20, 920, 200, 80), "in the bottom-left corner"),
    ((800, 920, 200, 80), "in the bottom-right corner"),
    ((412, 20, 200, 80), "at the top, centred"),
    ((412, 920, 200, 80), "at the bottom, centred"),
    ((412, 472, 200, 80), "in the centre"),
    ((20, 472, 200, 80), "on the left side"),
    ((800, 472, 200, 80), "on the right side"),
    ((900, 100, 100, 800), "along the right edge"),
    ((20, 100, 100, 800), "along the left edge"),
    ((462, 100, 100, 800), "down the middle"),
])
def test_position_phrases_cover_the_canvas(geometry, phrase):
    b = box("HELLO", *geometry)
    assert position_phrase(b, 1024, 1024) == phrase
    assert phrase in compose([b]).prompt


def test_positions_are_relative_to_a_non_square_canvas():
    # x=1200 is the right third of 1728 wide; y=20 is the top of 960 high.
    assert position_phrase(box(x=1500, y=20), 1728, 960) == "in the top-right corner"
    assert position_phrase(box(x=1500, y=20), 4000, 960) == "at the top, centred"


def test_a_box_off_the_canvas_is_placed_at_the_nearest_edge_with_a_notice():
    composed = compose([box("LOST", 2000, 2000, 50, 50)])
    assert "in the bottom-right corner" in composed.prompt
    assert composed.notices == ["Box 1 lies outside the 1024x1024 canvas; it is placed at the nearest edge."]


@pytest.mark.parametrize("text,geometry,word", [
    ("BIG", (0, 0, 1024, 400), "huge"),
    ("BLUE NOTE", (64, 40, 896, 160), "large"),
    ("SUBTITLE", (64, 40, 700, 80), "medium-sized"),
    ("FRIDAY 9 PM", (700, 900, 280, 60), "small"),
    ("terms and conditions apply", (0, 1000, 300, 20), "tiny"),
    ("ONE\nTWO\nTHREE\nFOUR", (0, 0, 600, 600), "large"),  # four lines share the height
    ("A VERY LONG LINE OF TEXT IN ONE BOX", (0, 0, 700, 300), "small"),  # the width limits letters
])
def test_size_words_follow_the_letter_height(text, geometry, word):
    b = box(text, *geometry)
    assert size_word(b, 1024) == word
    assert f"the {word} " in compose([b]).prompt


def test_cjk_letters_are_wider_so_the_same_box_holds_smaller_ones():
    assert size_word(box("ABCDEFGH", 0, 0, 900, 200), 1024) == "large"
    assert size_word(box("新年快乐新年快乐", 0, 0, 900, 200), 1024) == "medium-sized"


def test_colour_weight_role_font_and_rotation_are_described():
    composed = compose([
        box("RED", 0, 0, 300, 100, color="#d01010", weight=300, role="subtitle", font_family="Bebas Neue",
            font_style="clean condensed sans-serif"),
        box("SIDE", 950, 100, 60, 800, color="#1e3a8a", weight=400, role="body", rotation=90),
        box("ODD", 0, 900, 200, 80, color="not a colour", role="sticker", rotation=-12),
    ])
    assert ("the medium-sized light red subtitle “RED” set in a clean condensed sans-serif typeface in the top-left corner"
            in composed.prompt)
    assert "Bebas" not in composed.prompt  # a font's name means nothing to the model
    assert "navy blue body text “SIDE” along the right edge, running vertically" in composed.prompt
    assert "the medium-sized bold text “ODD” in the bottom-left corner, tilted" in composed.prompt


@pytest.mark.parametrize("hex_colour,name", [
    ("#ffffff", "white"), ("#000000", "black"), ("#FF0000", "red"), ("#ffd700", "yellow"), ("#0000ff", "blue"),
    ("#808080", "grey"), ("#ff69b4", "pink"), ("#fff", "white"), ("#12345", ""), ("", ""),
])
def test_colour_names(hex_colour, name):
    assert colour_name(hex_colour) == name


def test_cjk_text_is_wrapped_in_corner_brackets_and_every_box_shares_them():
    composed = compose([box("新年快乐", 100, 100, 800, 200, color="#d01010"),
                        box("HAPPY NEW YEAR", 100, 400, 800, 100, role="subtitle")], scene="")
    assert composed.prompt == ("Text: the large bold red title 「新年快乐」 across the top, centred; "
                               "the medium-sized bold white subtitle 「HAPPY NEW YEAR」 across the middle, centred.")
    assert composed.glyph_texts == ["新年快乐", "HAPPY NEW YEAR"]


@pytest.mark.parametrize("texts", [
    ["Café 東京 2025", "ソウル 서울", "NIGHT MARKET"],
    ["NIGHT MARKET", "夜市", "Ünïcödé ☕ 🎉"],
    ["한국어", "English", "中文", "日本語です"],
])
def test_mixed_scripts_keep_their_order_and_exact_text(texts):
    boxes = [box(t, 50, 50 + 200 * i, 600, 100) for i, t in enumerate(texts)]
    composed = compose(boxes)
    assert composed.glyph_texts == texts and composed.notices == []


def test_the_apostrophe_trap_one_apostrophe_stays_exact():
    composed = compose([box("TODAY'S SPECIAL", 0, 0, 900, 100)])
    assert composed.glyph_texts == ["TODAY'S SPECIAL"] and composed.notices == []


def test_the_apostrophe_trap_two_apostrophes_become_lookalikes_with_a_notice():
    composed = compose([box("TODAY'S SPECIAL", 0, 0, 900, 100), box("JOE'S DINER", 0, 500, 900, 100)])
    assert composed.prompt_texts == ["TODAY\u2019S SPECIAL", "JOE\u2019S DINER"]
    assert composed.glyph_texts == ["TODAY'S SPECIAL", "JOE'S DINER"]  # the glyph encoder gets them as typed
    assert len(composed.notices) == 2 and all("' → \u2019" in n for n in composed.notices)
    # Left alone, the pipeline would have read a text that is on no box.
    naive = "Text: “TODAY'S SPECIAL”; “JOE'S DINER”."
    assert extracted(naive)[0] == "S SPECIAL”; “JOE"


@pytest.mark.parametrize("text", [
    "“QUOTED”", "say “hi”", 'say "hi"', "it's 'fine'", "「引用」", "5” SCREEN", "OPEN “", "「a」 and “b”",
    '12" VINYL', "'", '"', "”“", "「」", "」「", "'\"“”「」", "(brackets) [and] {braces} <angles>",
    "LINE ONE\nLINE TWO", "🎷🎺 JAZZ 🎶", "‘single curly’", "『white corners』",
])
def test_quote_marks_inside_a_box_never_break_the_invariant(text):
    composed = compose([box(text, 100, 100, 800, 100), box("SECOND", 100, 600, 800, 100)])
    [got, second] = composed.prompt_texts
    assert composed.glyph_texts == [text, "SECOND"]
    assert second == "SECOND" and len(got) == len(text)
    swaps = {(a, b) for a, b in zip(text, got) if a != b}
    assert swaps <= set(LOOKALIKES.items())
    assert bool(swaps) == any(n.startswith("Box 1:") for n in composed.notices)


def test_marks_that_pair_across_boxes_are_caught():
    # Each box alone is harmless; together they would open in one and close in the other.
    assert compose([box("OPEN “", 0, 0, 300, 80), box("CLOSE ”", 0, 500, 300, 80)]).prompt_texts == ["OPEN 〝", "CLOSE 〞"]
    assert compose([box("「 OPEN", 0, 0, 300, 80), box("SHUT 」", 0, 500, 300, 80)]).prompt_texts == ["｢ OPEN", "SHUT ｣"]
    assert compose([box("IT'S", 0, 0, 300, 80), box('12" VINYL', 0, 500, 300, 80)]).glyph_texts == ["IT'S", '12" VINYL']


def test_empty_and_whitespace_boxes_are_skipped_with_a_notice():
    composed = compose([box(""), box("   "), box("REAL", 0, 300), box("\n\t ")])
    assert composed.glyph_texts == ["REAL"]
    assert composed.notices == [f"Box {n} is empty and was skipped." for n in (1, 2, 4)]


def test_invisible_boxes_are_skipped_silently():
    composed = compose([box("HIDDEN", visible=False), box("", visible=False), box("SHOWN", 0, 300)])
    assert composed.glyph_texts == ["SHOWN"] and composed.notices == [] and "HIDDEN" not in composed.prompt


def test_no_boxes_leaves_only_the_scene():
    composed = compose([], scene="A calm lake at dawn")
    assert composed.prompt == "A calm lake at dawn." and composed.glyph_texts == []


def test_quotes_in_the_scene_never_become_glyph_texts():
    scene = "a “SUMMER SALE” poster, it's 'retro' with \"bold\" type and 「夏」 vibes"
    composed = compose([box("50% OFF", 0, 0, 900, 200)], scene=scene)
    assert composed.glyph_texts == ["50% OFF"]
    assert composed.prompt.startswith("a ‘SUMMER SALE’ poster, it’s ‘retro’ with ‘bold’ type and 『夏』 vibes.")
    # The notice names what the pipeline would have rendered, apostrophe trap included ("s ").
    would_have = extracted(scene)
    assert would_have == ["s ", "SUMMER SALE", "bold", "夏"]
    assert composed.notices == [f"The scene's quoted text ({', '.join(f'“{q}”' for q in would_have)}) is described, "
                                "not rendered: use a text box to put words on the poster."]


def test_reading_order_is_lines_top_to_bottom_then_left_to_right():
    boxes = [
        box("BOTTOM", 100, 900, 200, 80),
        box("RIGHT", 600, 100, 300, 100),  # higher, but on one line with LEFT (ranges overlap)
        box("LEFT", 50, 130, 300, 100),
        box("MIDDLE", 400, 500, 200, 80),
    ]
    assert compose(boxes).glyph_texts == ["LEFT", "RIGHT", "MIDDLE", "BOTTOM"]


def test_thirty_boxes_in_a_grid_come_out_row_by_row():
    cells = [(row, col) for row in range(6) for col in range(5)]
    shuffled = cells[:]
    random.Random(3).shuffle(shuffled)
    boxes = [box(f"R{row}C{col}", 10 + 200 * col, 10 + 170 * row, 180, 150) for row, col in shuffled]
    composed = compose(boxes)
    assert composed.glyph_texts == [f"R{row}C{col}" for row, col in cells]
    assert composed.prompt.count("; ") == 29 and len(composed.prompt) < 6000


def test_a_bad_canvas_is_refused():
    with pytest.raises(ValueError):
        compose_prompt("x", [box()], 0, 1024)


# -- properties ---------------------------------------------------------------------------------

TRICKY = list("'\"“”「」‘’『』 \n\tAbz09!?.,;:()[]{}") + ["新", "年", "한", "カ", "🎉", "🎷", "é", "\u200b", "\u301d", "\uff62", "\u2033"]
texts = st.one_of(st.text(alphabet=st.sampled_from(TRICKY), max_size=12), st.text(max_size=8))
boxes_strategy = st.lists(
    st.builds(
        TextBox, text=texts, x=st.floats(-200, 1200), y=st.floats(-200, 1200), width=st.floats(0, 1200),
        height=st.floats(0, 1200), visible=st.booleans(), rotation=st.floats(-360, 360), weight=st.integers(100, 900),
        color=st.sampled_from(["#ffffff", "#000000", "#ff8800", "bad"]),
    ),
    max_size=8,
)


def lookalike_form(text: str) -> str:
    return "".join(LOOKALIKES.get(ch, ch) for ch in text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(boxes=boxes_strategy, scene=texts, width=st.integers(32, 2048), height=st.integers(32, 2048))
def test_the_pipeline_extracts_exactly_the_boxes_texts(boxes, scene, width, height):
    composed = compose_prompt(scene, boxes, width, height)
    assert extracted(composed.prompt) == composed.prompt_texts
    shown = [b.text for b in boxes if b.visible and b.text.strip()]
    assert Counter(composed.glyph_texts) == Counter(shown)  # verbatim, whatever the marks
    assert Counter(map(lookalike_form, composed.prompt_texts)) == Counter(map(lookalike_form, shown))
    assert sorted(map(len, composed.prompt_texts)) == sorted(map(len, shown))
    changed = Counter(composed.prompt_texts) != Counter(shown)
    assert changed == any(re.match(r"Box \d+: quote marks", n) for n in composed.notices)


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(texts.filter(str.strip), min_size=1, max_size=10), seed=st.integers(0, 1000))
def test_rows_are_read_top_to_bottom_whatever_order_they_were_made_in(rows, seed):
    boxes = [box(t, 10 + (i * 37) % 500, 10 + 100 * i, 300, 90) for i, t in enumerate(rows)]
    random.Random(seed).shuffle(boxes)
    composed = compose_prompt("", boxes, 1024, 1024)
    assert extracted(composed.prompt) == composed.prompt_texts
    assert composed.glyph_texts == rows
