"""Recipes record the prompt as typed beside the prompt sent (composed with the text boxes), so
`generate --from-recipe` with boxes sends the boxes' text once."""

from __future__ import annotations

from cli.main import main as cli_main
from glm_core.generation.recipe import Recipe
from glm_core.project.metadata import read_recipe

SCENE = "a neon street at night"
BOX = ["--box", "SALE", "--at", "16,16,96,32"]


def run(*args) -> int:
    return cli_main([str(a) for a in args])


def printed_prompt(capsys, *args) -> str:
    capsys.readouterr()
    assert run("generate", *args, "--print-prompt") == 0
    return capsys.readouterr().out.strip()


def test_recipe_keeps_the_typed_prompt_and_from_recipe_composes_the_boxes_once(tmp_path, demo_folder, capsys):
    out = tmp_path / "sale.png"
    assert run("generate", "--prompt", SCENE, *BOX, "--model", "demo", "--width", 64, "--height", 64,
               "--steps", 1, "--quiet", "--out", out) == 0
    recipe = read_recipe(out)
    assert recipe.typed_prompt == SCENE and recipe.prompt != SCENE and recipe.prompt.count("SALE") == 1

    assert printed_prompt(capsys, "--from-recipe", out) == recipe.prompt  # reproduced as sent
    again = printed_prompt(capsys, "--from-recipe", out, *BOX)
    assert again.count("SALE") == 1 and again == recipe.prompt  # not the composed prompt composed again


def test_a_recipe_without_boxes_or_from_before_typed_prompts_reads_as_sent():
    data = Recipe(prompt="plain", seed=1, steps=2, guidance=1.5, width=64, height=64).to_dict()
    assert data["typed_prompt"] is None
    del data["typed_prompt"]  # an older recipe
    assert Recipe.from_dict(data).typed_prompt is None
