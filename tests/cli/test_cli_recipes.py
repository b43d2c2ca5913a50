"""Recipes that really reproduce: `generate --from-recipe PNG` on what `generate` wrote, as a
real process on the demo model with real PNGs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from glm_core.project.metadata import read_recipe

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--model", "demo", "--width", "64", "--height", "64", "--steps", "2", "--quiet"]


def cli(*args):
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


def test_a_variation_records_its_layout_seed_and_reproduces_pixel_for_pixel(tmp_path, demo_folder):
    out = tmp_path / "poster.png"
    made = cli("generate", "--prompt", "a “SALE” poster", "--seed", "10", "--variations", "2", "--out", out, *SMALL)
    assert made.returncode == 0, made.stderr
    variation = read_recipe(tmp_path / "poster-2.png")
    assert (variation.seed, variation.layout_seed) == (12, 10)  # its own DiT seed, its layout tokens' seed
    assert read_recipe(out).layout_seed is None  # one seed made both stages

    again = cli("generate", "--from-recipe", tmp_path / "poster-2.png", "--model", "demo", "--quiet",
                "--out", tmp_path / "again.png")
    assert again.returncode == 0, again.stderr
    assert Image.open(tmp_path / "again.png").tobytes() == Image.open(tmp_path / "poster-2.png").tobytes()
    assert read_recipe(tmp_path / "again.png").layout_seed == 10


def test_an_edit_records_its_references_and_from_recipe_asks_for_them(tmp_path, demo_folder):
    source, other = tmp_path / "photo.png", tmp_path / "other.png"
    Image.new("RGB", (64, 64), (200, 40, 40)).save(source)
    Image.new("RGB", (64, 64), (40, 40, 200)).save(other)
    made = cli("generate", "--image", source, "--prompt", "make it night", "--seed", "3",
               "--out", tmp_path / "edit.png", *SMALL)
    assert made.returncode == 0, made.stderr
    import hashlib

    assert read_recipe(tmp_path / "edit.png").references == (
        {"role": "image", "name": "photo.png", "sha256": hashlib.sha256(source.read_bytes()).hexdigest()},)

    alone = cli("generate", "--from-recipe", tmp_path / "edit.png", "--model", "demo", "--out", tmp_path / "a.png")
    assert alone.returncode == 1 and alone.stderr.count("\n") == 1
    assert "--image photo.png" in alone.stderr and not (tmp_path / "a.png").exists()

    wrong = cli("generate", "--from-recipe", tmp_path / "edit.png", "--image", other, "--model", "demo",
                "--out", tmp_path / "b.png")
    assert wrong.returncode == 1 and "other.png is not the file" in wrong.stderr

    again = cli("generate", "--from-recipe", tmp_path / "edit.png", "--image", source, "--model", "demo",
                "--quiet", "--out", tmp_path / "c.png")
    assert again.returncode == 0, again.stderr
    assert Image.open(tmp_path / "c.png").tobytes() == Image.open(tmp_path / "edit.png").tobytes()


def test_the_overlay_and_its_boxes_are_recorded_and_drawn_again_from_the_recipe(tmp_path, demo_folder):
    out = tmp_path / "poster.png"
    made = cli("generate", "--prompt", "a poster", "--box", "SALE", "--at", "4,4,56,24", "--color", "#ff0000",
               "--overlay", "--seed", "4", "--out", out, *SMALL)
    assert made.returncode == 0, made.stderr
    boxes = read_recipe(out).overlay
    assert [(b["text"], b["x"], b["width"], b["color"]) for b in boxes] == [("SALE", 4, 56, "#ff0000")]

    again = cli("generate", "--from-recipe", out, "--model", "demo", "--quiet", "--out", tmp_path / "again.png")
    assert again.returncode == 0, again.stderr
    assert Image.open(tmp_path / "again.png").tobytes() == Image.open(out).tobytes()
    assert read_recipe(tmp_path / "again.png").overlay == boxes
