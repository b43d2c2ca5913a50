"""The A1111 `parameters` chunk alone (the JSON chunk stripped, as some tools do) gives the prompt
back exactly as typed, whatever its whitespace, line ends or text."""

from __future__ import annotations

import pytest
from PIL import Image, PngImagePlugin

from glm_core.generation.recipe import Recipe
from glm_core.project.metadata import PARAMETERS_KEY, parameters_text, read_recipe


@pytest.mark.parametrize("prompt", [
    "  a poster with room around it \n",
    "line one\r\nline two\r\n",
    "a poster\nNegative prompt: is part of the title here",
    "Negative prompt: first",
    "plain, with commas: and \"quotes\"\nand a second line",
])
def test_the_parameters_chunk_alone_round_trips_the_prompt_exactly(tmp_path, prompt):
    recipe = Recipe(prompt=prompt, seed=7, steps=30, guidance=1.5, width=1024, height=768, layout_seed=6)
    info = PngImagePlugin.PngInfo()
    info.add_text(PARAMETERS_KEY, parameters_text(recipe))  # only this chunk: no glm_image_studio JSON
    path = tmp_path / "stripped.png"
    Image.new("RGB", (8, 8)).save(path, pnginfo=info)

    back = read_recipe(path)
    assert back.prompt == prompt
    assert (back.seed, back.layout_seed, back.width, back.height) == (7, 6, 1024, 768)


def test_a_plain_prompt_is_written_once():
    text = parameters_text(Recipe(prompt="a jazz poster", seed=1, steps=30, guidance=1.5, width=1024, height=1024))
    assert text.count("a jazz poster") == 1 and "Prompt:" not in text
