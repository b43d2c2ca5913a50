"""`python main.py generate --box … --at …`: the CLI composes the same prompt the window will, and
`--print-prompt` shows it without loading any model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from diffusers import GlmImagePipeline

from glm_core.project.metadata import read_recipe

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--model", "demo", "--width", "64", "--height", "64", "--steps", "2"]


def cli(*args):
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


JAZZ = ["--prompt", "A jazz night poster, deep blue background",
        "--box", "BLUE NOTE", "--at", "64,40,896,160",
        "--box", "FRIDAY 9 PM", "--at", "700,900,280,60", "--role", "caption", "--weight", "400"]


def test_print_prompt_shows_the_composed_prompt_without_a_model():
    # A model folder that does not exist proves nothing is loaded.
    done = cli("generate", *JAZZ, "--box", "  ", "--at", "0,0,10,10", "--model", "/no/such/model", "--print-prompt")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "A jazz night poster, deep blue background. Text: the large bold white title “BLUE NOTE” across the top, "
        "centred; the small white caption “FRIDAY 9 PM” in the bottom-right corner.\n"
    )
    assert done.stderr.strip() == "note: Box 3 is empty and was skipped."


def test_per_box_options_apply_to_the_box_before_them():
    done = cli("generate", "--width", "1728", "--height", "960", "--print-prompt",
               "--box", "SALE", "--at", "100,100,1500,300", "--color", "#D01010", "--font", "Bebas Neue",
               "--font-style", "clean condensed sans-serif",
               "--box", "TODAY'S DEALS", "--at", "1300,820,400,100", "--role", "subtitle", "--color", "#ffd700")
    assert done.returncode == 0, done.stderr
    prompt = done.stdout.strip()
    assert prompt == ("Text: the huge bold red title “SALE” set in a clean condensed sans-serif typeface across the top, centred; "
                      "the small bold yellow subtitle “TODAY'S DEALS” in the bottom-right corner.")
    assert GlmImagePipeline.get_glyph_texts(None, prompt)[0] == ["SALE", "TODAY'S DEALS"]


def test_without_boxes_print_prompt_shows_the_prompt_as_given():
    done = cli("generate", "--prompt", "a “SUMMER SALE” poster", "--print-prompt")
    assert done.returncode == 0 and done.stdout == "a “SUMMER SALE” poster\n"


def test_substitutions_are_reported_on_stderr():
    done = cli("generate", "--print-prompt", "--prompt", "it's 'retro'",
               "--box", "JOE'S", "--at", "0,0,500,100", "--box", "MOM'S", "--at", "0,500,500,100")
    assert done.returncode == 0
    assert "“JOE’S”" in done.stdout and "“MOM’S”" in done.stdout and "it’s ‘retro’" in done.stdout
    notes = done.stderr.splitlines()
    assert len(notes) == 3 and all(line.startswith("note: ") for line in notes)


@pytest.mark.parametrize("args,reason", [
    (["--box", "X", "--at", "1,2,3"], "--at 1,2,3 is not x,y,w,h"),
    (["--box", "X", "--at", "a,b,c,d"], "is not x,y,w,h"),
    (["--box", "X", "--at", "1,2,3,4,5"], "is not x,y,w,h"),
    (["--box", "X", "--at", "0,0,0,10"], "must be positive"),
    (["--box", "X", "--at", "0,0,-5,10"], "must be positive"),
    (["--box", "X", "--at", "nan,0,5,10"], "must be positive"),
    (["--at", "0,0,5,10", "--box", "X"], "comes before any --box"),
    (["--box", "X"], "needs --at"),
    (["--box", "X", "--at", "0,0,5,10", "--box", "Y"], "--box \"y\" needs --at"),
    (["--box", "X", "--at", "0,0,5,10", "--color", "red"], "#rrggbb"),
    (["--box", "X", "--at", "0,0,5,10", "--role", "headline"], "title, subtitle"),
    (["--box", "X", "--at", "0,0,5,10", "--weight", "bold"], "weight"),
])
def test_bad_box_arguments_fail_with_one_line(args, reason, capsys):
    from cli.main import main  # in-process: same code path as below, without a process per case

    assert main(["generate", "--print-prompt", *args]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and reason in lines[0].lower()


def test_a_bad_at_fails_the_real_process_with_one_line():
    done = cli("generate", "--print-prompt", "--box", "X", "--at", "10,10,wide,40")
    assert done.returncode == 1
    assert done.stderr == "error: --at 10,10,wide,40 is not X,Y,W,H in pixels, e.g. --at 64,40,896,160\n"


def test_generate_needs_out_unless_printing():
    done = cli("generate", "--prompt", "x")
    assert done.returncode == 1 and "--out" in done.stderr


def test_boxes_end_to_end_write_a_png_whose_recipe_carries_the_quoted_text(tmp_path, demo_folder):
    out = tmp_path / "boxes.png"
    done = cli("generate", "--prompt", "a bright summer poster", "--box", "SUMMER SALE", "--at", "4,4,56,16",
               "--box", "今天", "--at", "4,44,30,16", "--role", "caption", "--seed", "1", "--out", out, *SMALL)
    assert done.returncode == 0, done.stderr
    recipe = read_recipe(out)
    assert "「SUMMER SALE」" in recipe.prompt and "「今天」" in recipe.prompt
    assert recipe.prompt.startswith("a bright summer poster. Text: ")
    assert GlmImagePipeline.get_glyph_texts(None, recipe.prompt)[0] == ["SUMMER SALE", "今天"]
