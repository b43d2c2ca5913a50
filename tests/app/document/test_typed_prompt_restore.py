"""Opening a PNG whose recipe was composed from text boxes puts back the prompt as typed where the
poster's own boxes compose their text into it again, so Generate sends that text once."""

from __future__ import annotations

from PIL import Image

from app.document.commands import AddBox
from glm_core.generation.recipe import Recipe
from glm_core.project.metadata import save_png
from glm_core.project.prompt_composer import compose_prompt
from glm_core.project.textbox import TextBox

SCENE = "a neon street at night"


def open_png(window, path) -> None:
    window.files.dialogs.open_path = lambda parent, folder: path
    window.actions.open.trigger()


def test_restoring_a_composed_recipe_types_the_scene_where_boxes_compose_it_again(make_window, tmp_path):
    box = TextBox("SALE", 16, 16, 480, 120)
    composed = compose_prompt(SCENE, [box], 512, 512).prompt
    path = tmp_path / "sale.png"
    save_png(Image.new("RGB", (512, 512)), path, Recipe(prompt=composed, seed=4, steps=2, guidance=1.5,
                                                        width=512, height=512, typed_prompt=SCENE))

    with_boxes = make_window(source=None)
    with_boxes.doc.undo_stack.push(AddBox(with_boxes.doc, box))
    open_png(with_boxes, path)
    assert with_boxes.create_panel.prompt.text == SCENE
    assert with_boxes.generation_request().prompt.count("SALE") == 1

    without_boxes = make_window(source=None)
    open_png(without_boxes, path)
    assert without_boxes.create_panel.prompt.text == composed  # sent as it was: the text is in it
    assert without_boxes.generation_request().prompt == composed
