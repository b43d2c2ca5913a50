"""`python main.py check-text …` and `generate --check-text / --fix-text N`, with the real OCR and
the real tiny demo model (whose pictures are noise, so its text never reads right)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from text_images import poster

from cli.main import main as cli_main
from glm_core.project.metadata import read_recipe
from glm_core.project import HistoryEntry, ImageLayer, Project, save_project
from glm_core.generation.recipe import Recipe
from glm_core.project.text_fix import REACH, box_mask
from glm_core.project.textbox import TextBox

ROOT = Path(__file__).resolve().parents[2]
SALE, CJK = TextBox("BIG SALE", 60, 60, 600, 120), TextBox("夏日特惠 50%", 60, 300, 600, 110)


def run(*args, renderer=None) -> int:
    return cli_main([str(a) for a in args], text_renderer=renderer)


def box_args(*boxes):
    return [part for b in boxes for part in ("--box", b.text, "--at", f"{b.x},{b.y},{b.width},{b.height}")]


@pytest.fixture(scope="module")
def sale_png(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("text") / "sale.png"
    poster([SALE, CJK], size=(768, 512)).save(path)
    return path


def test_check_text_marks_right_boxes_ok_and_shows_what_a_wrong_one_read(sale_png, capsys):
    wrong = TextBox("BIG SAIL", SALE.x, SALE.y, SALE.width, SALE.height)
    assert run("check-text", sale_png, *box_args(wrong, CJK)) == 3
    boxes = json.loads(capsys.readouterr().out)["boxes"]
    assert [(b["text"], b["read"], b["ok"]) for b in boxes] == [("BIG SAIL", "BIG SALE", False), ("夏日特惠 50%", "夏日特惠 50%", True)]
    assert boxes[0]["similarity"] == 0.5 and boxes[0]["box"] == [60.0, 60.0, 600.0, 120.0]
    assert run("check-text", sale_png, *box_args(SALE, CJK)) == 0


@pytest.mark.parametrize("args, reason", [
    (["missing.png", "--box", "A", "--at", "0,0,10,10"], "missing.png"),
    (["{png}"], "no text box to check"),
    (["{png}", "--box", "A"], "needs --at"),
])
def test_check_text_mistakes_fail_with_one_line(args, reason, sale_png, capsys):
    assert run("check-text", *[a.replace("{png}", str(sale_png)) for a in args]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and reason in err[0], err


def test_without_ocr_the_check_says_how_to_get_it_and_the_rest_works(sale_png):
    code = ("import sys; sys.modules['rapidocr'] = None; from cli.main import main;"
            "sys.exit(main(sys.argv[1:]))")
    args = ["check-text", str(sale_png), *box_args(SALE)]
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "pip install rapidocr onnxruntime" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    printed = subprocess.run([sys.executable, "-c", code, "generate", "--print-prompt", "--prompt", "x",
                              *box_args(SALE)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0 and "BIG SALE" in printed.stdout


def test_check_text_takes_turned_boxes_from_a_project_and_project_info_shows_a_stored_check(tmp_path, capsys):
    turned = TextBox("OPEN LATE", 200, 300, 500, 100, rotation=-15)
    picture = poster([turned])
    check = ({"text": "OPEN LATE", "read": "OPEN LATE", "ok": True, "similarity": 1.0},)
    entry = HistoryEntry(image=picture, recipe=Recipe(prompt="p", seed=1, steps=2, guidance=1.5, width=1024,
                                                      height=1024, text_check=check))
    path = tmp_path / "late.glmstudio"
    save_project(Project(width=1024, height=1024, layers=[ImageLayer(picture, name="Result")], boxes=[turned],
                         history=[entry], settings={"base_history_id": entry.id}), path)
    image = tmp_path / "late.png"
    picture.resize((512, 512)).save(image)  # an export at half size: the boxes scale with it
    assert run("check-text", image, "--project", path) == 0
    assert json.loads(capsys.readouterr().out)["boxes"][0]["read"] == "OPEN LATE"
    assert run("project", "info", path) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["image"]["recipe"]["text_check"] == list(check)


DEMO = ["--model", "demo", "--width", "256", "--height", "256", "--steps", "2", "--quiet", "--seed", "7",
        "--prompt", "a summer poster"]
SMALL_BOXES = [TextBox("SALE", 24, 24, 96, 32), TextBox("夏日", 150, 190, 80, 32)]


def test_the_overlay_reads_back_exact_and_the_recipe_keeps_the_check(tmp_path, demo_folder, qapp):
    from app.text.cli_renderer import QtTextRenderer

    out = tmp_path / "overlay.png"
    boxes = [TextBox("TODAY'S SALE", 16, 24, 224, 48), TextBox("夏日特惠 50%", 32, 180, 192, 40)]
    assert run("generate", *DEMO, *box_args(*boxes), "--overlay", "--check-text", "--out", out,
               renderer=QtTextRenderer()) == 0
    assert [c["ok"] for c in read_recipe(out).text_check] == [True, True]


def test_fixing_noise_exits_3_and_changes_only_the_pixels_near_the_boxes(tmp_path, demo_folder):
    plain, fixed, events = tmp_path / "plain.png", tmp_path / "fixed.png", tmp_path / "events.jsonl"
    assert run("generate", *DEMO, *box_args(*SMALL_BOXES), "--check-text", "--out", plain) == 3
    assert run("generate", *DEMO, *box_args(*SMALL_BOXES), "--check-text", "--fix-text", "1", "--out", fixed,
               "--events", events) == 3
    a, b = (np.asarray(Image.open(p).convert("RGB"), dtype=np.int16) for p in (plain, fixed))
    changed = np.abs(a - b).sum(axis=2) > 0
    near = np.asarray(box_mask(SMALL_BOXES, (256, 256), (256, 256), grow=REACH)) > 0
    assert changed.any() and not (changed & ~near).any()
    checks = [json.loads(line) for line in events.read_text().splitlines() if '"TextChecked"' in line]
    assert [c["round"] for c in checks] == [0, 1] and not any(b["ok"] for b in checks[1]["checks"])
    assert [c["text"] for c in read_recipe(fixed).text_check] == ["SALE", "夏日"]
