"""CLI parity with the window: `generate --overlay` (exact typography over the result),
`--layout-guide` (a picture of the boxes as a reference), `generate --project` (a saved project's
prompt, boxes, settings, image and mask) and `project info | export`.

Most runs are in-process (`cli.main.main(argv, text_renderer=…)`, the demo model loaded once);
one goes through `python main.py` in a fresh process, which is what a batch script does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli.main import main as cli_main
from glm_core.project.metadata import read_recipe
from glm_core.project import HistoryEntry, ImageLayer, Project, load_project, save_project
from glm_core.project.prompt_composer import compose_prompt
from glm_core.generation.recipe import Recipe
from glm_core.project.textbox import TextBox

ROOT = Path(__file__).resolve().parents[2]
SALE_BOX = (16, 16, 224, 96)  # x, y, w, h on a 256x128 poster
SALE = ["--model", "demo", "--width", "256", "--height", "128", "--steps", "2", "--quiet",
        "--box", "SALE", "--at", ",".join(map(str, SALE_BOX)), "--color", "#ffffff"]


@pytest.fixture(scope="module")
def renderer(qapp):
    from app.text.cli_renderer import QtTextRenderer

    return QtTextRenderer()


def run(*args, renderer=None) -> int:
    return cli_main([str(a) for a in args], text_renderer=renderer)


def pixels(path_or_image) -> np.ndarray:
    image = path_or_image if isinstance(path_or_image, Image.Image) else Image.open(path_or_image)
    return np.asarray(image.convert("RGB"), dtype=np.int16)


def inside(box, shape) -> np.ndarray:
    x, y, w, h = box
    region = np.zeros(shape[:2], dtype=bool)
    region[y:y + h, x:x + w] = True
    return region


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


# --- --overlay and --layout-guide -----------------------------------------------------------

def test_overlay_through_main_py_draws_the_text_over_the_same_image(tmp_path, demo_folder):
    plain, drawn = tmp_path / "plain.png", tmp_path / "drawn.png"
    assert run("generate", *SALE, "--seed", "7", "--out", plain) == 0  # in-process: no overlay
    # A fresh process through main.py, as a script runs it: no QT_QPA_PLATFORM and no display,
    # so the CLI's own offscreen Qt draws; one torch thread, as in this process, for equal pixels.
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    env.update(HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "generate", *SALE, "--seed", "7",
                           "--overlay", "--out", str(drawn)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(drawn)

    before, after = pixels(plain), pixels(drawn)
    box = inside(SALE_BOX, before.shape)
    changed = (before != after).any(axis=2)
    assert not changed[~box].any()  # outside the box: the generated pixels, byte for byte
    assert changed[box].mean() > 0.1  # inside: white letters over the picture
    assert (after[changed] >= 200).all(axis=1).mean() > 0.5  # mostly pure white glyph cores
    recorded = read_recipe(drawn)  # the recipe of what was generated, and the boxes drawn over it
    assert [box["text"] for box in recorded.overlay] == ["SALE"]
    assert replace(recorded, overlay=()) == read_recipe(plain)

    rapidocr = pytest.importorskip("rapidocr", reason="rapidocr comes with the dev extra")
    text = "".join(rapidocr.RapidOCR()(np.asarray(Image.open(drawn).convert("RGB"))).txts or ())
    assert "SALE" in text


def test_layout_guide_is_sent_as_one_reference_image(tmp_path, demo_folder, renderer):
    seen = []

    class Spy:  # the real renderer, recording what it drew
        def prepare(self):
            renderer.prepare()

        def overlay(self, image, boxes, size):
            return renderer.overlay(image, boxes, size)

        def layout_guide(self, boxes, size, out_size=None):
            seen.append(renderer.layout_guide(boxes, size, out_size))
            return seen[-1]

    out = tmp_path / "guided.png"
    assert run("generate", "--model", "demo", "--width", "64", "--height", "64", "--steps", "2", "--quiet",
               "--box", "HI", "--at", "8,8,48,24", "--color", "#000000", "--layout-guide", "--seed", "1",
               "--out", out, renderer=Spy()) == 0
    recipe = read_recipe(out)
    assert (recipe.mode, recipe.reference_count) == ("i2i", 1)
    assert "“HI”" in recipe.prompt
    (guide,) = seen
    assert guide.size == (64, 64) and guide.mode == "RGB"
    grey = pixels(guide)
    assert (grey[40:] == 127).all()  # the guide's grey canvas below the box …
    assert grey[8:32, 8:56].min() < 40  # … and black letters in it


@pytest.mark.parametrize("args", [
    ["generate", "--overlay", "--prompt", "x", "--box", "A", "--at", "0,0,32,32"],
    ["generate", "--layout-guide", "--prompt", "x", "--box", "A", "--at", "0,0,32,32"],
])
def test_without_a_text_renderer_text_options_fail_with_one_line(args, tmp_path, capsys):
    out = tmp_path / "o.png"
    assert run(*args, "--model", "/no/such/model", "--out", out) == 1  # before any model loads
    assert "draws text with Qt" in one_error_line(capsys)
    assert not out.exists()


def test_print_prompt_loads_neither_qt_nor_torch(project_file):
    code = ("import sys, main; rc = main.main(['generate', '--print-prompt', '--overlay', '--project', sys.argv[1]]);"
            "print([m for m in ('torch', 'PySide6') if m in sys.modules]); sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code, str(project_file)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    prompt, modules = done.stdout.strip().splitlines()
    assert "“JAZZ”" in prompt and modules == "[]"


# --- projects -------------------------------------------------------------------------------

W, H = 128, 64
MASK_BOX = (80, 16, 32, 32)
JAZZ = TextBox("JAZZ", 8, 8, 64, 24, color="#ffd700")
RECIPE = Recipe(prompt="the first jazz poster", seed=3, steps=2, guidance=1.5, width=W, height=H)


def base_picture() -> Image.Image:
    y, x = np.mgrid[0:H, 0:W]
    rgb = np.stack([x * 2, y * 4, (x + y) % 256], axis=2).astype(np.uint8)
    return Image.fromarray(rgb, "RGB")


def make_project(**changes) -> Project:
    mask = Image.new("L", (W, H), 0)
    x, y, w, h = MASK_BOX
    mask.paste(255, (x, y, x + w, y + h))
    entry = HistoryEntry(image=base_picture(), recipe=RECIPE)
    project = Project(width=W, height=H, layers=[ImageLayer(base_picture(), name="Result")], boxes=[JAZZ],
                      mask=mask, history=[entry], scene_prompt="a jazz night poster",
                      settings={"steps": 2, "guidance": 2.5, "seed": 11, "seed_locked": True, "width": W,
                                "height": H, "base_history_id": entry.id})
    for name, value in changes.items():
        setattr(project, name, value)
    return project


@pytest.fixture(scope="module")
def project_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("projects") / "jazz.glmstudio"
    save_project(make_project(), path)
    return path


def saved(tmp_path, name="p.glmstudio", **changes) -> Path:
    path = tmp_path / name
    save_project(make_project(**changes), path)
    return path


def test_print_prompt_from_a_project_follows_the_window(project_file, tmp_path, capsys):
    composed = compose_prompt("a jazz night poster", [JAZZ], W, H).prompt
    assert run("generate", "--project", project_file, "--print-prompt") == 0
    assert capsys.readouterr().out == composed + "\n"
    pinned = saved(tmp_path, pinned_prompt="my own “JAZZ” words")
    assert run("generate", "--project", pinned, "--print-prompt") == 0
    assert capsys.readouterr().out == "my own “JAZZ” words\n"  # a pinned prompt is sent as it is …
    assert run("generate", "--project", pinned, "--prompt", "a blues poster", "--print-prompt") == 0
    assert capsys.readouterr().out == compose_prompt("a blues poster", [JAZZ], W, H).prompt + "\n"  # … until --prompt
    assert run("generate", "--project", pinned, "--box", "BLUES", "--at", "0,0,64,32", "--print-prompt") == 0
    out = capsys.readouterr().out
    assert "“BLUES”" in out and "JAZZ" not in out  # --box replaces the project's boxes


def test_masked_edit_of_a_project_keeps_everything_outside_the_mask(project_file, tmp_path, demo_folder):
    out = tmp_path / "edit.png"
    assert run("generate", "--project", project_file, "--edit", "masked", "--model", "demo", "--quiet",
               "--out", out) == 0
    recipe = read_recipe(out)
    assert recipe.mode == "edit" and (recipe.steps, recipe.guidance, recipe.seed) == (2, 2.5, 11)  # settings
    assert recipe.prompt == compose_prompt("a jazz night poster", [JAZZ], W, H).prompt
    assert "“JAZZ”" in recipe.prompt
    before, after = pixels(base_picture()), pixels(out)
    assert after.shape == before.shape
    x, y, w, h = MASK_BOX
    feather = 8  # glm_core.generation.masking.DEFAULT_FEATHER
    reach = inside((x - feather, y - feather, w + 2 * feather, h + 2 * feather), before.shape)
    assert (before[~reach] == after[~reach]).all()  # byte for byte outside mask + feather
    assert (before[inside(MASK_BOX, before.shape)] != after[inside(MASK_BOX, before.shape)]).any()


def test_whole_edit_of_a_project_with_the_overlay(project_file, tmp_path, demo_folder, renderer):
    out = tmp_path / "whole.png"
    assert run("generate", "--project", project_file, "--edit", "whole", "--model", "demo", "--quiet",
               "--seed", "5", "--overlay", "--out", out, renderer=renderer) == 0
    recipe = read_recipe(out)
    assert (recipe.mode, recipe.reference_count, recipe.seed) == ("i2i", 1, 5)  # --seed wins over the project
    assert (recipe.width, recipe.height) == (W, H)
    drawn = pixels(out)
    yellow = (drawn[..., 0] > 200) & (drawn[..., 1] > 170) & (drawn[..., 2] < 60)  # #ffd700 letters
    x, y, w, h = JAZZ.x, JAZZ.y, JAZZ.width, JAZZ.height
    assert yellow[int(y):int(y + h), int(x):int(x + w)].sum() > 50


@pytest.mark.parametrize("changes,args,reason", [
    ({"mask": None}, ["--edit", "masked"], "has no mask"),
    ({"layers": []}, ["--edit", "whole"], "has no image to edit"),
    ({}, ["--edit", "masked", "--width", "64"], "--width/--height do not apply"),
    ({}, ["--edit", "masked", "--layout-guide"], "--layout-guide is for new images"),
    ({}, ["--edit", "whole", "--image", "x.png"], "drop --image"),
    ({}, ["--from-recipe", "x.png"], "not both"),
    ({}, ["--edit", "masked", "--feather", "500"], "0 to 128"),
])
def test_project_edit_mistakes_fail_before_loading(tmp_path, capsys, changes, args, reason):
    path = saved(tmp_path, **changes)
    assert run("generate", "--project", path, *args, "--model", "/no/such/model", "--out", tmp_path / "o.png") == 1
    assert reason in one_error_line(capsys)


def test_edit_needs_a_project(tmp_path, capsys):
    assert run("generate", "--prompt", "x", "--edit", "whole", "--out", tmp_path / "o.png") == 1
    assert "--project" in one_error_line(capsys)


def test_project_info_summarises_the_project(project_file, capsys):
    assert run("project", "info", project_file) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["width"], info["height"]) == (W, H)
    assert info["scene_prompt"] == "a jazz night poster" and info["pinned_prompt"] is None
    assert info["prompt"] == compose_prompt("a jazz night poster", [JAZZ], W, H).prompt
    assert [b["text"] for b in info["boxes"]] == ["JAZZ"] and info["boxes"][0]["color"] == "#ffd700"
    assert info["has_mask"] is True and info["mask_coverage"] == round(32 * 32 / (W * H), 4)
    assert info["history_count"] == 1 and info["history"][0]["recipe"] == RECIPE.to_dict()
    assert info["image"]["recipe"] == RECIPE.to_dict() and info["image"]["layer"] == "Result"
    assert info["settings"] == {"steps": 2, "guidance": 2.5, "seed": 11, "seed_locked": True, "width": W, "height": H}


def test_project_export_with_and_without_the_overlay(project_file, tmp_path, renderer, capsys):
    plain, drawn = tmp_path / "plain.png", tmp_path / "drawn.png"
    assert run("project", "export", project_file, "--out", plain) == 0
    assert pixels(plain).tobytes() == pixels(base_picture()).tobytes()
    assert read_recipe(plain) == RECIPE  # the recipe of the history entry the image came from
    assert run("project", "export", project_file, "--out", drawn, "--overlay", renderer=renderer) == 0
    assert read_recipe(drawn) == RECIPE
    changed = (pixels(plain) != pixels(drawn)).any(axis=2)
    box = inside((8, 8, 64, 24), changed.shape)
    assert changed[box].any() and not changed[~box].any()

    capsys.readouterr()
    mtime = plain.stat().st_mtime_ns
    assert run("project", "export", project_file, "--out", plain, "--overlay", renderer=renderer) == 1
    assert "--overwrite" in one_error_line(capsys) and plain.stat().st_mtime_ns == mtime
    assert run("project", "export", project_file, "--out", plain, "--overlay", "--overwrite", renderer=renderer) == 0
    assert pixels(plain).tobytes() == pixels(drawn).tobytes()


def test_project_export_for_print_writes_the_dpi_and_enlarges_honestly(project_file, tmp_path, capsys):
    out = tmp_path / "print.png"
    assert run("project", "export", project_file, "--out", out, "--dpi", "300", "--scale", "2") == 0
    with Image.open(out) as written:
        assert written.size == (2 * W, 2 * H)
        assert tuple(round(v) for v in written.info["dpi"]) == (300, 300)  # the pHYs chunk print shops read
    assert read_recipe(out) == RECIPE
    notes = capsys.readouterr().err
    assert "enlarged 2x by Lanczos resampling (more pixels, no new detail)" in notes
    width_cm = 2 * W / 300 * 2.54
    assert f"{2 * W}x{2 * H} px = {width_cm:.1f} x" in notes and "at 300 dpi" in notes
    # the enlargement is the picture resampled, not something else
    expected = base_picture().resize((2 * W, 2 * H), Image.Resampling.LANCZOS)
    assert pixels(out).tobytes() == pixels(expected).tobytes()


def test_project_export_refuses_a_dpi_no_printer_uses(project_file, tmp_path, capsys):
    assert run("project", "export", project_file, "--out", tmp_path / "o.png", "--dpi", "5") == 1
    assert "--dpi 5 is outside 36-2400" in one_error_line(capsys)
    assert not (tmp_path / "o.png").exists()


def test_project_export_without_history_uses_the_stored_recipe_or_none(tmp_path):
    from glm_core.project.document import BASE_RECIPE_KEY, put_text

    settings = {}
    put_text(settings, BASE_RECIPE_KEY, json.dumps(RECIPE.to_dict()))
    opened_png = saved(tmp_path, "png.glmstudio", history=[], settings=settings)
    assert run("project", "export", opened_png, "--out", tmp_path / "a.png") == 0
    assert read_recipe(tmp_path / "a.png") == RECIPE
    foreign = saved(tmp_path, "foreign.glmstudio", history=[], settings={})
    assert run("project", "export", foreign, "--out", tmp_path / "b.png") == 0
    assert read_recipe(tmp_path / "b.png") is None
    assert pixels(tmp_path / "b.png").tobytes() == pixels(base_picture()).tobytes()


def test_project_export_without_an_image_fails(tmp_path, capsys):
    assert run("project", "export", saved(tmp_path, layers=[]), "--out", tmp_path / "o.png") == 1
    assert "no image to export" in one_error_line(capsys)


@pytest.mark.parametrize("command", [
    ["project", "info"], ["project", "export", "--out", "{tmp}/o.png"],
    ["generate", "--print-prompt", "--project"], ["generate", "--out", "{tmp}/o.png", "--project"],
])
@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing"])
def test_a_damaged_or_missing_project_fails_with_one_line(project_file, tmp_path, capsys, command, damage):
    path = tmp_path / "bad.glmstudio"
    if damage == "garbage":
        path.write_bytes(b"not a zip at all\n" * 10)
    elif damage == "truncated":
        path.write_bytes(project_file.read_bytes()[:600])
    command = [part.replace("{tmp}", str(tmp_path)) for part in command]
    assert run(*command, path) == 1
    line = one_error_line(capsys)
    assert "bad.glmstudio" in line and ("cannot be opened" in line or "cannot open" in line)
    assert not (tmp_path / "o.png").exists()


def test_project_align_and_distribute_arrange_boxes_and_save_in_place(tmp_path, capsys):
    boxes = [TextBox("A", 10, 20, 100, 40), TextBox("B", 200, 100, 50, 60), TextBox("C", 60, 300, 200, 20)]
    path = saved(tmp_path, boxes=boxes)
    ids = ",".join(b.id for b in boxes)
    assert run("project", "align", path, "--boxes", ids, "--to", "right") == 0
    assert [b.x for b in load_project(path).boxes] == [160, 210, 60]
    assert run("project", "distribute", path, "--boxes", ids, "--axis", "y") == 0
    assert [b.y for b in load_project(path).boxes] == [20, 150, 300]
    assert run("project", "align", path, "--boxes", boxes[0].id, "--to", "left") == 0  # one box: the canvas
    assert load_project(path).boxes[0].x == 0
    assert "boxes moved" in capsys.readouterr().out


@pytest.mark.parametrize("args, reason", [
    (["align", "--boxes", "nope", "--to", "left"], "no text box nope"),
    (["distribute", "--boxes", "{a},{b}", "--axis", "x"], "at least 3"),
    (["align", "--boxes", "{a},{a}", "--to", "top"], "twice"),
])
def test_project_arrange_mistakes_fail_with_one_line_and_leave_the_file(tmp_path, capsys, args, reason):
    boxes = [TextBox("A", 10, 20, 100, 40), TextBox("B", 200, 100, 50, 60)]
    path = saved(tmp_path, boxes=boxes)
    before = path.read_bytes()
    args = [a.format(a=boxes[0].id, b=boxes[1].id) for a in args]
    assert run("project", args[0], path, *args[1:]) == 1
    assert reason in one_error_line(capsys)
    assert path.read_bytes() == before
