"""What the commands print survives any terminal: characters its encoding lacks are escaped,
never a UnicodeEncodeError; `| head` ends quietly; a --prompt that is not UTF-8 is refused in
one line before any model loads."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import cli.generate_run
from cli.common import print_text
from cli.main import main as cli_main
from glm_core.generation.recipe import Recipe
from glm_core.project import HistoryEntry, ImageLayer, Project, save_project
from glm_core.project.metadata import save_png

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "海报 “SALE” ☃ ‘50%’"
RECIPE = Recipe(prompt=PROMPT, seed=1, steps=2, guidance=1.5, width=64, height=64)


def poster(tmp_path) -> Path:
    project = Project(width=64, height=64, layers=[ImageLayer(Image.new("RGB", (64, 64)))],
                      history=[HistoryEntry(Image.new("RGB", (64, 64)), RECIPE)],
                      scene_prompt=PROMPT)
    save_project(project, tmp_path / "poster.glmstudio")
    return tmp_path / "poster.glmstudio"


def test_print_text_escapes_what_the_terminal_cannot_show():
    out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    print_text("sale \u2603 \ud800", file=out)
    out.seek(0)
    assert out.buffer.getvalue() == b"sale \\u2603 \\ud800\n"


@pytest.mark.parametrize("command", [
    lambda tmp: ["project", "info", poster(tmp)],
    lambda tmp: ["generate", "--project", poster(tmp), "--print-prompt"],
    lambda tmp: ["recipe", save_recipe_png(tmp)],
])
def test_printers_survive_an_ascii_terminal(tmp_path, monkeypatch, command):
    argv = [str(a) for a in command(tmp_path)]
    # A terminal that takes only ASCII (LANG=C on an old system, a Windows code page); set
    # here, in the test's own phase, because pytest swaps sys.stdout between phases.
    ascii_stdout = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stdout", ascii_stdout)
    assert cli_main(argv) == 0
    ascii_stdout.flush()
    assert b"\\u2603" in ascii_stdout.buffer.getvalue()  # the snowman, escaped


def save_recipe_png(tmp_path) -> Path:
    save_png(Image.new("RGB", (64, 64)), tmp_path / "out.png", RECIPE)
    return tmp_path / "out.png"


def test_project_info_into_a_closed_pipe_ends_quietly(tmp_path):
    path = poster(tmp_path)
    child = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "project", "info", str(path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=dict(os.environ, HF_HUB_OFFLINE="1"))
    child.stdout.close()  # `| head` that has read enough: the writer gets EPIPE
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_prompt_that_is_not_utf8_is_refused_before_the_model_loads(tmp_path, capsys, monkeypatch):
    def no_model(engine, args, sink, cancel):
        raise AssertionError("the model was loaded for a prompt that cannot be tokenized")
    monkeypatch.setattr(cli.generate_run, "_load", no_model)
    # A non-UTF-8 byte on the command line reaches Python as a lone surrogate (surrogateescape).
    code = cli_main(["generate", "--model", "demo", "--prompt", "sale \udcff",
                     "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "--prompt" in err[0] and "UTF-8" in err[0], err
    assert not (tmp_path / "x.png").exists()
