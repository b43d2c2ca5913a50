"""Recipes in PNG chunks (glm_core.project.metadata) and crash-safe writing (glm_core.files)."""

from __future__ import annotations

import io
import json
import os
import time
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile, PngImagePlugin

from glm_core.files import atomic_save, atomic_write_bytes, refuse_overwrite
from glm_core.project.metadata import (MAX_TEXT_CHARS, MODES, PARAMETERS_KEY, RECIPE_KEY, RecipeError,
                               SCHEMA_VERSION, parameters_text, png_bytes, read_recipe,
                               save_png, split_parameters)
from glm_core.project.request_builder import request_from_recipe
from glm_core.generation.recipe import Recipe
from glm_core.generation.request import GenerationRequest

RECIPE = Recipe(prompt="A poster that says “OPEN”", seed=42, steps=30, guidance=1.5,
                width=1024, height=1024, model_id="zai-org/GLM-Image",
                model_revision="abc123", quantization="ar=nf4,dit=bf16")


def small_image() -> Image.Image:
    return Image.new("RGB", (8, 8), (200, 30, 30))


def png_with_text(path, **chunks) -> None:
    """A PNG as another tool would write it: arbitrary text chunks, no recipe of ours."""
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    small_image().save(path, format="PNG", pnginfo=info)


def recipe_json(**overrides) -> str:
    return json.dumps({"schema_version": SCHEMA_VERSION, **RECIPE.to_dict(), **overrides})


# --- round trips ---------------------------------------------------------------------------

def test_save_then_read_gives_the_same_recipe(tmp_path):
    path = tmp_path / "poster.png"
    save_png(small_image(), path, RECIPE)
    assert read_recipe(path) == RECIPE
    with Image.open(path) as im:
        assert read_recipe(im) == RECIPE
        assert im.size == (8, 8)
        text = im.info[PARAMETERS_KEY]
    assert text.startswith("A poster that says “OPEN”\nSteps: 30, Sampler: FlowMatch Euler, "
                           "CFG scale: 1.5, Seed: 42, Size: 1024x1024, Model: zai-org/GLM-Image")
    assert 'Quantization: "ar=nf4,dit=bf16"' in text
    assert text.endswith("Version: GLM-Image Studio 0.1.0")


def test_png_bytes_round_trip():
    data = png_bytes(small_image(), RECIPE)
    assert data.startswith(b"\x89PNG")
    assert read_recipe(Image.open(io.BytesIO(data))) == RECIPE


def test_recipe_survives_image_copy():
    im = Image.open(io.BytesIO(png_bytes(small_image(), RECIPE)))
    assert read_recipe(im.copy()) == RECIPE


text_field = st.text(max_size=40)
recipes = st.builds(
    Recipe,
    prompt=st.one_of(
        st.text(min_size=1, max_size=400),
        st.sampled_from(["海报上写着「开业大吉」", "Poster 🎉🚀 with emoji", "line 1\nline 2\r\n3",
                         'quotes "double" \'single\' “curly” 「corner」', "tab\there, comma, colon:",
                         "Negative prompt: not really\nSteps: 1, Seed: 2, Size: 3x4", "\x00nul"]),
    ),
    seed=st.integers(0, 2**32 - 1), steps=st.integers(1, 200),
    guidance=st.floats(0, 20, allow_nan=False), width=st.integers(1, 4096),
    height=st.integers(1, 4096), mode=st.sampled_from(MODES), reference_count=st.integers(0, 4),
    model_id=text_field, model_revision=text_field, quantization=text_field,
    app_version=text_field,
)


@settings(max_examples=150, deadline=None)
@given(recipes)
def test_any_recipe_round_trips(recipe):
    assert read_recipe(Image.open(io.BytesIO(png_bytes(small_image(), recipe)))) == recipe


# --- other tools' chunks ---------------------------------------------------------------------

def test_reads_a1111_parameters_written_by_another_tool(tmp_path):
    path = tmp_path / "a1111.png"
    png_with_text(path, parameters=(
        "a cat wearing a hat,\nmasterpiece\nNegative prompt: blurry, lowres\n"
        "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1234567, Size: 512x768, "
        'Model hash: 6ce0161689, Model: v1-5-pruned, Lora hashes: "add_detail: 7c6bad76eb54", '
        "Version: v1.6.0"))
    r = read_recipe(path)
    assert (r.prompt, r.steps, r.guidance, r.seed, r.width, r.height) == (
        "a cat wearing a hat,\nmasterpiece", 20, 7.0, 1234567, 512, 768)
    assert r.model_id == "v1-5-pruned" and r.app_version == "v1.6.0" and r.mode == "t2i"


def test_reads_cjk_parameters_and_fills_defaults_for_missing_values(tmp_path):
    path = tmp_path / "other.png"
    png_with_text(path, parameters="中文海报\nSteps: many, Seed: 7, Size: 640x640")  # iTXt
    r = read_recipe(path)
    assert (r.prompt, r.seed, r.width, r.steps, r.guidance) == ("中文海报", 7, 640, 30, 1.5)


def test_prompt_only_parameters_chunk(tmp_path):
    png_with_text(tmp_path / "p.png", parameters="just a prompt")
    r = read_recipe(tmp_path / "p.png")
    assert r.prompt == "just a prompt" and (r.width, r.height) == (1024, 1024)


@pytest.mark.parametrize("mode, refs", [("t2i", 0), ("i2i", 2), ("edit", 1)])
def test_our_parameters_chunk_alone_gives_the_recipe_back(tmp_path, mode, refs):
    recipe = Recipe(**{**RECIPE.to_dict(), "mode": mode, "reference_count": refs})
    png_with_text(tmp_path / "p.png", parameters=parameters_text(recipe))
    assert read_recipe(tmp_path / "p.png") == recipe


def test_split_parameters_handles_quotes_and_stays_linear():
    assert split_parameters('A: 1, B: "x, \\"y\\": z", C: 12:30, D: "open') == {
        "A": "1", "B": 'x, "y": z', "C": "12:30", "D": '"open'}
    # Linear, not quadratic: four times the text may take about four times as long, never ~16x.
    # Compared within one run (best of three) so a busy machine does not fail it.
    def seconds(text):
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            split_parameters("Steps: " + text)
            timings.append(time.perf_counter() - start)
        return min(timings)

    for unit, count in (('a: "x, ', 10000), ('a: "\\q, ', 10000), ("x", 75000), ("a", 75000), (":", 75000),
                        ('\\"', 25000)):
        prefix = 'a: "' if unit in ("x", '\\"') else ""
        small, large = seconds(prefix + unit * count), seconds(prefix + unit * 4 * count)
        assert large < 10 * max(small, 1e-3), (unit, small, large)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_parameters_text_gives_a_recipe_or_none(text):
    r = read_recipe(Image.open(io.BytesIO(_png_bytes_with(parameters=text))))
    assert r is None or isinstance(r, Recipe)


# --- no recipe / bad recipe ----------------------------------------------------------------

def _png_bytes_with(**chunks) -> bytes:
    buf = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    small_image().save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def test_png_without_recipe_gives_none(tmp_path):
    small_image().save(tmp_path / "plain.png")
    png_with_text(tmp_path / "other.png", Software="GIMP", Comment="hello")
    small_image().save(tmp_path / "photo.jpg")
    for name in ("plain.png", "other.png", "photo.jpg"):
        assert read_recipe(tmp_path / name) is None


@pytest.mark.parametrize("payload, words", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a JSON object"),
    (recipe_json(seed="42"), "seed"),
    (recipe_json(guidance=True), "guidance"),
    (recipe_json(mode="hack"), "unknown mode"),
    (recipe_json(steps=-5), "impossible numbers"),
    (recipe_json().replace("1.5", "NaN"), "not valid JSON"),
    (recipe_json().replace(": 1.5,", ": 1e999,"), "impossible numbers"),
    (json.dumps({"prompt": "missing the rest"}), "invalid"),
    (recipe_json(schema_version="1"), "schema version"),
    ("[" * 100000, "not valid JSON"),
])
def test_corrupt_or_hostile_json_raises_recipe_error(tmp_path, payload, words):
    png_with_text(tmp_path / "bad.png", **{RECIPE_KEY: payload})
    with pytest.raises(RecipeError, match=words):
        read_recipe(tmp_path / "bad.png")


def test_newer_schema_with_extra_fields_still_reads(tmp_path):
    png_with_text(tmp_path / "new.png", **{RECIPE_KEY: recipe_json(schema_version=9, lora="x")})
    assert read_recipe(tmp_path / "new.png") == RECIPE


def test_huge_text_chunk_is_refused(tmp_path):
    png_with_text(tmp_path / "huge.png", **{RECIPE_KEY: "x" * (MAX_TEXT_CHARS + 1)})
    with pytest.raises(RecipeError, match="larger than 262,144 characters"):
        read_recipe(tmp_path / "huge.png")


def test_compressed_text_bomb_is_refused(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add(b"zTXt", RECIPE_KEY.encode() + b"\0\0" + zlib.compress(b" " * 50_000_000))
    small_image().save(tmp_path / "bomb.png", pnginfo=info)
    with pytest.raises(RecipeError, match="oversized metadata"):
        read_recipe(tmp_path / "bomb.png")


def test_not_an_image_raises_recipe_error(tmp_path):
    (tmp_path / "notes.png").write_text("hello, not a PNG")
    with pytest.raises(RecipeError, match="not an image"):
        read_recipe(tmp_path / "notes.png")


def test_loading_truncated_images_stays_off():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_request_from_recipe():
    req = request_from_recipe(RECIPE)
    assert isinstance(req, GenerationRequest)
    assert (req.prompt, req.width, req.height, req.steps, req.guidance, req.seed) == (
        RECIPE.prompt, 1024, 1024, 30, 1.5, 42)
    assert req.reference_images == [] and req.prior is None


# --- saving safely -------------------------------------------------------------------------

def test_save_refuses_to_overwrite(tmp_path):
    path = tmp_path / "poster.png"
    save_png(small_image(), path, RECIPE)
    before = path.read_bytes()
    other = Recipe(**{**RECIPE.to_dict(), "seed": 7})
    with pytest.raises(FileExistsError, match="--overwrite") as err:
        save_png(small_image(), path, other)
    assert "choose another file name" in str(err.value)
    assert path.read_bytes() == before
    save_png(small_image(), path, other, overwrite=True)
    assert read_recipe(path).seed == 7
    assert os.listdir(tmp_path) == ["poster.png"]


def test_failed_write_leaves_the_old_file_intact(tmp_path):
    path = tmp_path / "project.json"
    atomic_write_bytes(path, b"old contents")

    def write_half_then_fail(f):
        f.write(b"new cont")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_save(path, write_half_then_fail)
    assert path.read_bytes() == b"old contents"
    assert os.listdir(tmp_path) == ["project.json"]  # no temporary file left behind


def test_failed_image_encode_leaves_no_file(tmp_path):
    with pytest.raises(OSError):
        save_png(Image.new("CMYK", (4, 4)), tmp_path / "x.png", RECIPE)  # PNG has no CMYK
    assert os.listdir(tmp_path) == []


def test_atomic_write_replaces_and_no_clobber_mode_refuses(tmp_path):
    path = tmp_path / "a.bin"
    atomic_write_bytes(path, b"one")
    atomic_write_bytes(path, b"two")
    assert path.read_bytes() == b"two"
    with pytest.raises(FileExistsError):
        atomic_write_bytes(path, b"three", overwrite=False)
    assert path.read_bytes() == b"two"


def test_no_clobber_refuses_a_file_created_during_the_write(tmp_path):
    path = tmp_path / "race.png"

    def slow_write(f):
        path.write_bytes(b"someone else's file")  # appears while we are writing
        f.write(b"ours")

    with pytest.raises(FileExistsError, match="already exists"):
        atomic_save(path, slow_write, overwrite=False)
    assert path.read_bytes() == b"someone else's file"
    assert os.listdir(tmp_path) == ["race.png"]


def test_refuse_overwrite_allows_new_names(tmp_path):
    refuse_overwrite(tmp_path / "new.png")  # no error
    (tmp_path / "old.png").write_bytes(b"")
    with pytest.raises(FileExistsError, match="old.png"):
        refuse_overwrite(tmp_path / "old.png")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None,
          max_examples=30)
@given(data=st.binary(max_size=2000))
def test_atomic_write_bytes_writes_exactly(tmp_path, data):
    atomic_write_bytes(tmp_path / "blob", data)
    assert (tmp_path / "blob").read_bytes() == data


# --- recipes that cannot be stored, and images read in unusual states ----------------------

@pytest.mark.parametrize("fields, words", [
    ({"guidance": float("nan")}, "finite number"),
    ({"prompt": "broken \ud800 paste"}, "invalid characters"),
    ({"prompt": "x" * (MAX_TEXT_CHARS + 1)}, "too long.*shorten it"),
])
def test_unstorable_recipes_raise_recipe_error(tmp_path, fields, words):
    recipe = Recipe(**{**RECIPE.to_dict(), **fields})
    with pytest.raises(RecipeError, match=words):
        save_png(small_image(), tmp_path / "x.png", recipe)
    assert os.listdir(tmp_path) == []


def test_truncated_png_still_gives_its_recipe_without_decoding(tmp_path):
    noise = Image.effect_noise((128, 128), 64).convert("RGB")
    data = png_bytes(noise, RECIPE)
    (tmp_path / "cut.png").write_bytes(data[: len(data) - 2000])  # cut inside the pixel data
    assert read_recipe(tmp_path / "cut.png") == RECIPE
    assert read_recipe(Image.open(tmp_path / "cut.png")) == RECIPE  # loading fails: falls back


def test_closed_image_still_gives_its_recipe(tmp_path):
    save_png(small_image(), tmp_path / "a.png", RECIPE)
    with Image.open(tmp_path / "a.png") as im:
        pass
    assert read_recipe(im) == RECIPE


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_recipe(tmp_path / "gone.png")
