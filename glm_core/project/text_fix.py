"""Re-render only the text boxes that came out wrong (Qt-free).

A fix is a masked edit (glm_core.generation.masking, run by the runner) whose mask is the failed boxes, each
grown by GROW px and feathered by FEATHER px, so no pixel further than REACH px from a fixed box
changes, and every pixel outside the feathered masks keeps its bytes. Its prompt is the scene with
only those boxes described and their spelling stressed; its glyph texts are their texts as typed.
Failed boxes whose masks fit one crop are fixed in one pass, the others one after another, and
each round re-reads every box and takes the next seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from PIL import Image, ImageDraw

from glm_core.generation.masking import crop_plan
from glm_core.project.prompt_composer import compose_prompt
from glm_core.generation.request import GenerationRequest
from glm_core.project.text_check import BoxCheck, check_text
from glm_core.project.textbox import TextBox

GROW = 24  # px the mask reaches beyond a box: letters the model drew a little too big get redone
FEATHER = 8
REACH = GROW + FEATHER  # nothing further from a fixed box changes
STRESS = " Most important: spell the text exactly as written, every letter, in the style described."


def box_mask(boxes: Sequence[TextBox], canvas_size: tuple[int, int], image_size: tuple[int, int],
             grow: int = GROW) -> Image.Image:
    """"L" at `image_size`: 255 over each box (rotation included) grown by `grow` image px."""
    mask = Image.new("L", image_size, 0)
    draw = ImageDraw.Draw(mask)
    sx, sy = image_size[0] / canvas_size[0], image_size[1] / canvas_size[1]
    for box in boxes:
        cx, cy = (box.x + box.width / 2) * sx, (box.y + box.height / 2) * sy
        half_w, half_h = box.width * sx / 2 + grow, box.height * sy / 2 + grow
        turn = math.radians(box.rotation)  # clockwise on screen, where y points down
        cos, sin = math.cos(turn), math.sin(turn)
        corners = [(cx + dx * cos - dy * sin, cy + dx * sin + dy * cos)
                   for dx, dy in ((-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h))]
        draw.polygon(corners, fill=255)
    return mask


def fix_groups(boxes: Sequence[TextBox], canvas_size: tuple[int, int], image_size: tuple[int, int],
               min_side: int, max_side: int) -> list[list[TextBox]]:
    """Boxes that can share one masked edit: together they still fit a crop (rather than making
    the edit regenerate the whole picture). A box too big for any crop goes alone."""
    groups: list[list[TextBox]] = []
    for box in boxes:
        for group in groups:
            bbox = box_mask([*group, box], canvas_size, image_size, REACH).getbbox()
            if crop_plan(bbox, image_size, min_side, max_side).crop_size != image_size:
                group.append(box)
                break
        else:
            groups.append([box])
    return groups


def fix_request(base: GenerationRequest, scene: str, boxes: Sequence[TextBox], canvas_size: tuple[int, int],
                image: Image.Image, seed: int) -> GenerationRequest:
    """The masked edit that re-renders `boxes` on `image`."""
    composed = compose_prompt(scene, boxes, *canvas_size)
    return replace(base, prompt=composed.prompt + STRESS, glyph_texts=composed.glyph_texts, seed=seed,
                   reference_images=[image], mask=box_mask(boxes, canvas_size, image.size),
                   mask_feather=FEATHER, prior=None)


@dataclass(frozen=True)
class FixOutcome:
    image: Image.Image
    checks: list[BoxCheck]  # the last reading of every box
    rounds: int  # fix rounds run


def fix_text(image: Image.Image, boxes: Sequence[TextBox], canvas_size: tuple[int, int], checks: list[BoxCheck],
             *, scene: str, base: GenerationRequest, seed: int, rounds: int, limits: tuple[int, int],
             generate: Callable[[GenerationRequest], Image.Image | None]) -> FixOutcome | None:
    """Up to `rounds` fix rounds for the boxes `checks` marks wrong; round r uses seed + r.
    `generate` runs a request and returns its image, or None when it was cancelled or failed,
    which stops the fix (None is returned)."""
    done = 0
    while done < rounds and any(not c.ok and not c.note for c in checks):
        done += 1
        wrong = [boxes[c.index - 1] for c in checks if not c.ok and not c.note]  # an unreadable box stays
        for group in fix_groups(wrong, canvas_size, image.size, *limits):
            request = fix_request(base, scene, group, canvas_size, image, (seed + done) % 2**32)
            fixed = generate(request)
            if fixed is None:
                return None
            image = fixed
        checks = check_text(image, boxes, canvas_size)
    return FixOutcome(image, checks, done)
