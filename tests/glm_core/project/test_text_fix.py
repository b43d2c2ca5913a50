"""Fixing wrong text boxes (glm_core/project/text_fix.py): the masks, the grouping, the fix request."""

from __future__ import annotations

import numpy as np
from PIL import Image

from glm_core.generation.request import GenerationRequest
from glm_core.project.text_fix import GROW, STRESS, box_mask, fix_groups, fix_request
from glm_core.project.textbox import TextBox


def test_the_mask_is_the_box_grown_and_turned_with_it():
    box = TextBox("SALE", 400, 450, 200, 100)
    straight = np.asarray(box_mask([box], (1024, 1024), (1024, 1024))) > 0
    ys, xs = np.nonzero(straight)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (400 - GROW, 600 + GROW, 450 - GROW, 550 + GROW)
    turned = np.asarray(box_mask([TextBox("SALE", 400, 450, 200, 100, rotation=90)], (1024, 1024), (1024, 1024))) > 0
    ys, xs = np.nonzero(turned)  # upright now: 100 wide, 200 tall, about the same centre
    assert abs((xs.max() - xs.min()) - (100 + 2 * GROW)) <= 2 and abs((ys.max() - ys.min()) - (200 + 2 * GROW)) <= 2


def test_a_box_on_a_bigger_canvas_is_masked_where_it_lands_on_the_image():
    mask = box_mask([TextBox("SALE", 1000, 1000, 200, 200)], (2048, 2048), (1024, 1024), grow=0)
    assert mask.getbbox() == (500, 500, 601, 601)


def test_neighbours_share_one_fix_and_far_apart_boxes_get_their_own():
    near = [TextBox("A", 100, 100, 120, 40), TextBox("B", 100, 160, 120, 40)]
    far = TextBox("C", 800, 900, 120, 40)
    groups = fix_groups([*near, far], (1024, 1024), (1024, 1024), 512, 2048)
    assert [[b.text for b in g] for g in groups] == [["A", "B"], ["C"]]


def test_the_fix_request_describes_only_its_boxes_and_stresses_their_spelling():
    boxes = [TextBox('He said "go"', 100, 100, 600, 100, role="subtitle")]
    base = GenerationRequest(prompt="whole prompt with every box", steps=20, guidance=2.0, seed=5)
    image = Image.new("RGB", (1024, 1024))
    request = fix_request(base, "A beach at dusk", boxes, (1024, 1024), image, seed=6)
    assert request.prompt.startswith("A beach at dusk. Text: the ") and request.prompt.endswith(STRESS)
    assert "subtitle" in request.prompt
    assert request.glyph_texts == ['He said "go"'] and request.seed == 6 and request.steps == 20
    assert request.reference_images == [image] and request.mask.getbbox() == (100 - GROW, 100 - GROW, 701 + GROW, 201 + GROW)
