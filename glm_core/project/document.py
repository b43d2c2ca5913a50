"""How the window reads a Project (Qt-free): which layer is the picture on the canvas, the recipe
it came with, the Create panel's values and the prompt Generate sends.

app/document/project_io.py (the window) and the command line (`generate --project`, `project info|export`)
both use these, so a project means the same thing to each:

    base image      the layer named "Result", else the first layer; flattened onto white
    its recipe      settings["base_history_id"] names the history entry it came from, or its
                    JSON is cut into 256-character settings values "base_recipe.0" … (an opened
                    PNG), with "base_recipe.count"
    Create panel    settings steps, guidance, seed, seed_locked, width, height (each checked)
    prompt          the pinned prompt, else the scene composed with the text boxes when a
                    visible box has text, else the scene as typed
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from PIL import Image

from glm_core.project.model import ImageLayer, Project
from glm_core.project.prompt_composer import compose_prompt
from glm_core.generation.recipe import Recipe
from glm_core.generation.settings import GenerationSettings
from glm_core.generation.validation import MAX_GUIDANCE, MAX_SEED, MAX_STEPS, MIN_GUIDANCE, MIN_STEPS

BASE_LAYER_NAME = "Result"
BASE_HISTORY_KEY = "base_history_id"
BASE_RECIPE_KEY = "base_recipe"
DOCUMENT_PATH_KEY = "document_path"  # autosaves only: the file the recovered work belongs to
CHUNK = 256  # glm_core.project.model.MAX_NAME_CHARS: the longest text a settings value holds
MAX_CHUNKS = {BASE_RECIPE_KEY: 150, DOCUMENT_PATH_KEY: 16}  # with the rest, under MAX_SETTINGS


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# The Create panel's values a project keeps, with the check each must pass when read back.
SETTINGS: dict[str, Callable[[object], bool]] = {
    "steps": lambda v: _is_int(v) and MIN_STEPS <= v <= MAX_STEPS,
    "guidance": lambda v: _is_number(v) and MIN_GUIDANCE <= v <= MAX_GUIDANCE,
    "seed": lambda v: _is_int(v) and 0 <= v <= MAX_SEED,
    "seed_locked": lambda v: isinstance(v, bool),
    "width": lambda v: _is_int(v) and 1 <= v <= 100_000,
    "height": lambda v: _is_int(v) and 1 <= v <= 100_000,
    "overlay_text": lambda v: isinstance(v, bool),  # "Overlay my text" on export
    "layout_guide": lambda v: isinstance(v, bool),
}


def panel_settings(settings: dict) -> dict:
    """The Create-panel values in `settings` that are present and valid."""
    return {k: v for k, v in settings.items() if k in SETTINGS and SETTINGS[k](v)}


def generation_settings(project: Project) -> GenerationSettings:
    """The settings a project was saved with, as the window restores them: its typed prompt, the
    valid Create-panel values, and the canvas size where none was saved."""
    settings = GenerationSettings(prompt=project.scene_prompt, width=project.width, height=project.height)
    settings.update(**panel_settings(project.settings))
    return settings


def put_text(settings: dict, key: str, text: str) -> bool:
    """Store a long text as CHUNK-sized settings values; False (nothing stored) if too long."""
    chunks = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    if len(chunks) > MAX_CHUNKS[key]:
        return False
    settings[f"{key}.count"] = len(chunks)
    settings.update({f"{key}.{i}": chunk for i, chunk in enumerate(chunks)})
    return True


def get_text(settings: dict, key: str) -> str | None:
    count = settings.get(f"{key}.count")
    if not _is_int(count) or not 1 <= count <= MAX_CHUNKS[key]:
        return None
    chunks = [settings.get(f"{key}.{i}") for i in range(count)]
    return "".join(chunks) if all(isinstance(c, str) for c in chunks) else None


def recipe_from_json(text: str | None) -> Recipe | None:
    if text is None:
        return None
    try:
        data = json.loads(text)
        return Recipe.from_dict(data) if isinstance(data, dict) else None
    except (ValueError, TypeError):
        return None


def flatten(image: Image.Image) -> Image.Image:
    """RGB as the canvas shows it: transparency over white."""
    if image.mode == "RGB":
        return image
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def has_text(boxes) -> bool:
    """Whether a visible box has text: only then is the prompt composed, the guide drawn."""
    return any(b.visible and b.text.strip() for b in boxes)


def base_layer(project: Project) -> ImageLayer | None:
    """The layer the window shows as the picture ("Result", else the first); None if none."""
    if not project.layers:
        return None
    return next((l for l in project.layers if l.name == BASE_LAYER_NAME), project.layers[0])


def base_image(project: Project) -> Image.Image | None:
    layer = base_layer(project)
    return None if layer is None else flatten(layer.image)


def base_recipe(project: Project) -> Recipe | None:
    """The base image's recipe: from the history entry it came from, else the stored JSON."""
    if base_layer(project) is None:
        return None
    source_id = project.settings.get(BASE_HISTORY_KEY)
    entry = next((e for e in project.history if e.id == source_id), None)
    if entry is not None:
        return entry.recipe
    return recipe_from_json(get_text(project.settings, BASE_RECIPE_KEY))


def restored_prompt(recipe: Recipe, boxes) -> str:
    """The prompt to type again from a recipe: as typed where `boxes` will compose their text into
    it again (the prompt sent would carry it twice), otherwise as it was sent."""
    if recipe.typed_prompt is not None and has_text(boxes):
        return recipe.typed_prompt
    return recipe.prompt


def effective_prompt(scene: str, pinned: str | None, boxes, size: tuple[int, int]) -> tuple[str, list[str]]:
    """What Generate sends, and the composer's notices: the pinned prompt if there is one, else
    the scene composed with the boxes when a visible box has text, else the scene as typed (so
    quoted text typed straight into it still renders)."""
    if pinned is not None:
        return pinned, []
    if has_text(boxes):
        composed = compose_prompt(scene, boxes, *size)
        return composed.prompt, composed.notices
    return scene, []
