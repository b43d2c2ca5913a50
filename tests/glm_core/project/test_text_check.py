"""The Qt-free text check (glm_core/project/text_check.py) with the real rapidocr on real pictures of text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from text_images import poster

from glm_core.project.text_check import check_text, crop_box, normalise, similarity
from glm_core.project.textbox import TextBox

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def ocr():
    from glm_core.project.text_check import ocr_engine

    return ocr_engine()  # about 2 s, once per test session


def test_latin_cjk_and_rotated_boxes_read_exactly_and_a_misspelling_does_not(ocr):
    boxes = [TextBox("TODAY'S SALE", 100, 80, 800, 120), TextBox("夏日特惠 50%", 200, 300, 600, 100),
             TextBox('He said "go"', 250, 500, 500, 90, rotation=20), TextBox("Vertical", 700, 500, 300, 60, rotation=90),
             TextBox("SUMMER", 100, 760, 400, 80)]
    image = poster(boxes, texts=[b.text for b in boxes[:4]] + ["SUNMER"])
    checks = check_text(image, boxes)
    assert [c.ok for c in checks] == [True, True, True, True, False]
    assert [c.read for c in checks[:4]] == [b.text for b in boxes[:4]]
    wrong = checks[4]
    assert (wrong.text, wrong.read, wrong.similarity) == ("SUMMER", "SUNMER", 0.0)  # one word of one: wrong


def test_case_is_kept_a_lower_case_title_is_not_the_capitals_asked_for(ocr):
    box = TextBox("OPEN DAY", 100, 100, 600, 120)
    [check] = check_text(poster([box], texts=["open day"]), [box])
    assert not check.ok and check.read == "open day"


def test_empty_and_hidden_boxes_are_skipped_and_a_box_off_the_image_says_so(ocr):
    boxes = [TextBox("   ", 10, 10, 200, 50), TextBox("HIDDEN", 100, 100, 400, 80, visible=False),
             TextBox("GONE", 1100, 40, 200, 60), TextBox("HERE", 100, 400, 400, 100)]
    checks = check_text(poster(boxes[3:]), boxes)
    assert [(c.index, c.ok) for c in checks] == [(3, False), (4, True)]
    assert "outside the image" in checks[0].note and checks[0].read == ""


def test_boxes_placed_on_a_bigger_canvas_are_scaled_to_the_image(ocr):
    box = TextBox("HALF SIZE", 200, 200, 1200, 240)
    image = poster([TextBox("HALF SIZE", 100, 100, 600, 120)])
    [check] = check_text(image, [box], canvas_size=(2048, 2048))
    assert check.ok


def test_a_rotated_crop_comes_out_upright_at_the_boxs_size():
    box = TextBox("TILT", 300, 400, 400, 100, rotation=30)
    crop = crop_box(poster([box]), box)
    margin = round(0.15 * 100)
    assert abs(crop.width - (400 + 2 * margin)) <= 1 and abs(crop.height - (100 + 2 * margin)) <= 1
    assert crop_box(poster([box]), TextBox("X", -500, -500, 100, 100)) is None


@pytest.mark.parametrize("typed, read, same", [
    ("50% OFF", "５０％ ＯＦＦ", True),  # full-width forms
    ("SALE  NOW", "SALE NOW\n", True),  # whitespace
    ("夏日特惠 50%", "夏日特惠50%", True),  # CJK is set without word spaces
    ("SALE", "Sale", False),  # case counts
    ("TODAY'S", "TODAY’S", False),  # a different apostrophe is a different glyph
])
def test_normalising_folds_width_and_spaces_only(typed, read, same):
    assert (normalise(typed) == normalise(read)) is same


def test_similarity_counts_words_for_latin_and_characters_for_cjk():
    assert similarity("BIG SUMMER SALE", "BIG SUMMER SALE") == 1.0
    assert similarity("BIG SUMMER SALE", "BIG SUNMER SALE") == round(1 - 1 / 3, 4)
    assert similarity("夏日特惠", "夏日特慧") == 0.75
    assert similarity("SALE", "") == 0.0


def test_ocr_writes_nothing_outside_the_app_home(tmp_path):
    home, studio = tmp_path / "home", tmp_path / "studio"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "XDG_CACHE_HOME"}
    env.update(HOME=str(home), GLM_STUDIO_HOME=str(studio))
    done = subprocess.run([sys.executable, "-c", "from glm_core.project.text_check import ocr_engine; ocr_engine()"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert list(home.iterdir()) == []
