"""Verbatim glyphs: the glyph encoder gets each box's text exactly as typed, whatever quote marks,
apostrophes, CJK or emoji it holds, while the AR prompt keeps its safe wording."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from diffusers import GlmImagePipeline
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from glm_core.generation.glyphs import extract_glyph_texts, verbatim_glyphs
from glm_core.project.metadata import RecipeError, png_bytes, read_recipe
from glm_core.project.request_builder import request_from_recipe
from glm_core.project.prompt_composer import compose_prompt
from glm_core.generation.recipe import Recipe
from glm_core.generation.request import GenerationRequest
from glm_core.project.textbox import TextBox

ROOT = Path(__file__).resolve().parents[3]
TRICKY = list("'\"“”「」‘’ \nAbz09!%") + ["夏", "日", "한", "カ", "🎉", "\u301d", "\uff62", "\u2033"]
texts = st.one_of(st.text(alphabet=st.sampled_from(TRICKY), min_size=1, max_size=12), st.text(min_size=1, max_size=8))


def test_print_prompt_json_lists_exactly_the_three_texts_as_typed():
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "generate", "--print-prompt", "--json", "--prompt", "a summer poster",
         "--box", "TODAY'S SALE", "--at", "64,40,896,160", "--box", "夏日特惠 50%", "--at", "64,400,896,160",
         "--box", 'He said "go"', "--at", "64,800,896,120"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["glyph_texts"] == ["TODAY'S SALE", "夏日特惠 50%", 'He said "go"']
    assert shown["prompt"].startswith("a summer poster. Text: ")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(texts.filter(str.strip), min_size=1, max_size=6))
def test_the_pipeline_gets_every_box_text_verbatim(demo_model, rows):
    pipe = demo_model.pipe
    boxes = [TextBox(text, 40, 40 + 150 * i, 900, 120) for i, text in enumerate(rows)]  # top to bottom
    composed = compose_prompt("A poster", boxes, 1024, 1024)
    with verbatim_glyphs(pipe, composed.prompt, composed.glyph_texts):
        assert pipe.get_glyph_texts(composed.prompt) == [rows]
        assert pipe.get_glyph_texts([""]) == [[]]  # the negative prompt of guidance stays empty
    assert "get_glyph_texts" not in vars(pipe)  # the pipeline's own method is back


@settings(max_examples=300, deadline=None)
@given(prompt=st.text(alphabet=st.sampled_from(TRICKY + ["a", " "]), max_size=40))
def test_reading_a_prompt_without_diffusers_matches_the_pipeline(prompt):
    assert extract_glyph_texts(prompt) == GlmImagePipeline.get_glyph_texts(None, prompt)[0]


def test_a_run_encodes_the_typed_texts_and_its_recipe_keeps_them(runner, events, monkeypatch):
    typed = ["TODAY'S SALE", 'He said "go"', "JOE'S 🎷"]
    boxes = [TextBox(t, 4, 4 + 20 * i, 56, 16) for i, t in enumerate(typed)]
    composed = compose_prompt("a poster", boxes, 64, 64)
    assert composed.prompt_texts != typed  # the prompt itself spells the marks as lookalikes
    tokenizer = type(runner.pipe.tokenizer)
    encoded = []
    call = tokenizer.__call__

    def record(self, text, *args, **kwargs):
        encoded.append(text)
        return call(self, text, *args, **kwargs)

    monkeypatch.setattr(tokenizer, "__call__", record)
    request = GenerationRequest(prompt=composed.prompt, width=64, height=64, steps=2, seed=3,
                                glyph_texts=composed.glyph_texts)
    result = runner.run(request, events)
    assert result is not None, events
    assert encoded[0] == typed and [""] in encoded  # the prompt's glyphs, then guidance's empty one
    assert result.recipe.glyph_texts == tuple(typed)
    assert request_from_recipe(result.recipe).glyph_texts == typed


def test_glyph_texts_and_a_text_check_survive_the_png():
    recipe = Recipe(prompt="p", seed=1, steps=2, guidance=1.5, width=64, height=64, glyph_texts=("夏日", 'a "b"'),
                    text_check=({"text": "夏日", "read": "夏目", "ok": False, "similarity": 0.5},))
    assert read_recipe(Image.open(io.BytesIO(png_bytes(Image.new("RGB", (8, 8)), recipe)))) == recipe


@pytest.mark.parametrize("field, value", [("glyph_texts", [1, 2]), ("text_check", [{"text": "a"}]),
                                          ("text_check", [{"text": "a", "read": "a", "ok": "yes", "similarity": 1}])])
def test_a_damaged_glyph_or_check_field_is_refused(field, value):
    data = {"prompt": "p", "seed": 1, "steps": 2, "guidance": 1.5, "width": 64, "height": 64, field: value}
    with pytest.raises(ValueError):
        Recipe.from_dict(data)
    image = Image.new("RGB", (8, 8))
    buf = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_itxt("glm_image_studio", json.dumps(data))
    image.save(buf, format="PNG", pnginfo=info)
    with pytest.raises(RecipeError):
        read_recipe(Image.open(io.BytesIO(buf.getvalue())))
