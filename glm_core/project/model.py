"""The document a designer saves: canvas, image layers, text boxes, mask, history and prompts.

Plain dataclasses (no Qt), shared by the canvas, the undo stack, autosave and the file format.
`project_to_json` / `project_from_json` convert everything except pixels to and from JSON data.
The reader is written for untrusted files: every field is type- and range-checked, every string
and list is capped, and anything wrong raises ProjectError naming the field. Saving runs the
same reader over what it is about to write, so the app never writes a file it cannot open.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import datetime, timezone

from PIL import Image

from glm_core.generation.prior import PriorTokens
import glm_core.project.history_inputs as history_inputs
from glm_core.project.checks import (ProjectError, boolean, check_image, choice, colour, dict_of, fail, get,
                                     hex_id, list_of, number, text, timestamp, unique_id, whole)
from glm_core.project.metadata import MAX_TEXT_CHARS, MODES
from glm_core.generation.recipe import Recipe
from glm_core.project.textbox import ALIGNMENTS, ROLES, TextBox
from glm_core.generation.validation import MAX_IMAGE_PIXELS

MAX_LAYERS = 200
MAX_BOXES = 1000
MAX_HISTORY = 500
MAX_SETTINGS = 200
MAX_PROMPT_CHARS = MAX_TEXT_CHARS  # a prompt must also fit an exported PNG's recipe chunk
MAX_BOX_TEXT_CHARS = 10_000
MAX_NAME_CHARS = 256  # layer names, font families, settings keys and values, recipe labels
MAX_COORD = 1_000_000  # positions and offsets, document pixels: far beyond any canvas
LAYER_MODES = ("RGB", "RGBA")
HISTORY_MODES = ("RGB",)
MASK_MODES = ("L",)


def new_id() -> str:
    return uuid.uuid4().hex


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ImageLayer:
    image: Image.Image  # RGB or RGBA
    name: str = "Layer"
    visible: bool = True
    opacity: float = 1.0  # 0..1
    x: int = 0  # offset of the image's top-left corner on the canvas, document pixels
    y: int = 0
    id: str = field(default_factory=new_id)


@dataclass(frozen=True)
class HistoryEntry:
    image: Image.Image  # RGB, as generated
    recipe: Recipe
    created: str = field(default_factory=now_iso)  # ISO 8601
    source_id: str | None = None  # the entry this one was edited from
    id: str = field(default_factory=new_id)
    # What a Re-run needs beyond the recipe (empty in files from before they were kept): the
    # request's reference images (a masked edit's source first), its mask ("L", the source's
    # size) and feather, and the AR tokens a Variation reuses.
    references: tuple[Image.Image, ...] = ()
    mask: Image.Image | None = None
    feather: int | None = None
    prior: PriorTokens | None = None


@dataclass
class Project:
    width: int  # canvas size, pixels
    height: int
    layers: list[ImageLayer] = field(default_factory=list)  # bottom first
    boxes: list[TextBox] = field(default_factory=list)
    mask: Image.Image | None = None  # "L", canvas size, 255 = change
    history: list[HistoryEntry] = field(default_factory=list)
    scene_prompt: str = ""
    pinned_prompt: str | None = None  # a composed prompt the user edited by hand
    settings: dict = field(default_factory=dict)  # steps, guidance, seed lock: JSON scalars

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


# --- checks on untrusted values ------------------------------------------------------------

# One checker per TextBox field. A TextBox field missing here fails the tests, so a new field
# cannot silently skip validation.
_BOX_FIELDS: dict[str, Callable] = {
    "text": lambda v, p: text(v, p, MAX_BOX_TEXT_CHARS),
    "x": lambda v, p: number(v, p, -MAX_COORD, MAX_COORD),
    "y": lambda v, p: number(v, p, -MAX_COORD, MAX_COORD),
    "width": lambda v, p: number(v, p, 0, MAX_COORD),
    "height": lambda v, p: number(v, p, 0, MAX_COORD),
    "role": lambda v, p: choice(v, p, ROLES),
    "font_family": lambda v, p: text(v, p, MAX_NAME_CHARS),
    "font_style": lambda v, p: text(v, p, MAX_NAME_CHARS),
    "weight": lambda v, p: whole(v, p, 1, 1000),  # the CSS Fonts 4 range
    "color": colour,
    "align": lambda v, p: choice(v, p, ALIGNMENTS),
    "rotation": lambda v, p: number(v, p, -MAX_COORD, MAX_COORD),
    "visible": boolean,
    "locked": boolean,
    "id": lambda v, p: text(v, p, 64, 1),
}


def _box(data, path: str) -> TextBox:
    data = dict_of(data, path)
    kwargs = {}
    for f in fields(TextBox):
        if f.name in data:
            kwargs[f.name] = _BOX_FIELDS[f.name](data[f.name], f"{path}.{f.name}")
        elif f.default is MISSING and f.default_factory is MISSING:
            raise ProjectError(f"{path}.{f.name} is missing")
        # else: a file from before the field existed gets the default
    return TextBox(**kwargs)


def box_from_json(data, where: str) -> TextBox:
    """One text box from untrusted JSON (a project file, a recipe's overlay), every field checked;
    ProjectError names `where` and the field that is wrong."""
    return _box(data, where)


def _recipe(data, path: str) -> Recipe:
    data = dict_of(data, path)
    try:
        recipe = Recipe.from_dict(data)
    except (TypeError, ValueError) as e:  # a missing field, or a wrong type
        raise ProjectError(f"{path} is not a valid recipe ({e})") from None
    for f in fields(Recipe):
        value, where = getattr(recipe, f.name), f"{path}.{f.name}"
        if isinstance(value, str):
            text(value, where, MAX_PROMPT_CHARS if f.name in ("prompt", "typed_prompt") else MAX_NAME_CHARS)
        elif isinstance(value, int) and f.name != "guidance":
            whole(value, where, 1 if f.name in ("steps", "width", "height") else 0, 2**63 - 1)
    number(recipe.guidance, f"{path}.guidance", -1e6, 1e6)
    choice(recipe.mode, f"{path}.mode", MODES)
    return recipe


def _setting(value, path: str):
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return whole(value, path, -2**63, 2**63 - 1)
    if isinstance(value, float):
        return number(value, path, -math.inf, math.inf)
    if isinstance(value, str):
        return text(value, path, MAX_NAME_CHARS)
    raise fail(path, "text, a number, true/false or null", value)


# --- conversion ----------------------------------------------------------------------------

# (kind, id) -> the decoded image; kind is "layer", "history", "input" (a history entry's reference
# or mask, by content id) or "mask" (whose id is None)
ReadImage = Callable[[str, "str | None"], Image.Image]
ReadArray = history_inputs.ReadArray


def project_from_json(doc, read_image: ReadImage, read_array: ReadArray = history_inputs.no_arrays) -> Project:
    """Build a Project from untrusted JSON data. Everything is checked before any image is
    read, so a bad file is refused before the (slow) decoding starts."""
    doc = dict_of(doc, "project")
    width = whole(get(doc, "width", "project"), "project.width", 1, MAX_IMAGE_PIXELS)
    height = whole(get(doc, "height", "project"), "project.height", 1, MAX_IMAGE_PIXELS)
    if width * height > MAX_IMAGE_PIXELS:
        raise ProjectError(f"the canvas is {width}x{height} pixels; at most "
                           f"{MAX_IMAGE_PIXELS:,} are allowed")
    layers, history, seen = [], [], set()
    for i, item in enumerate(list_of(get(doc, "layers", "project"), "layers", MAX_LAYERS)):
        p, item = f"layers[{i}]", dict_of(item, f"layers[{i}]")
        layer_id = unique_id(item, p, seen)
        layers.append(dict(
            id=layer_id, name=text(get(item, "name", p), f"{p}.name", MAX_NAME_CHARS),
            visible=boolean(get(item, "visible", p), f"{p}.visible"),
            opacity=number(get(item, "opacity", p), f"{p}.opacity", 0, 1),
            x=whole(get(item, "x", p), f"{p}.x", -MAX_COORD, MAX_COORD),
            y=whole(get(item, "y", p), f"{p}.y", -MAX_COORD, MAX_COORD)))
    boxes = [_box(item, f"boxes[{i}]") for i, item in
             enumerate(list_of(get(doc, "boxes", "project"), "boxes", MAX_BOXES))]
    seen = set()
    for i, item in enumerate(list_of(get(doc, "history", "project"), "history", MAX_HISTORY)):
        p, item = f"history[{i}]", dict_of(item, f"history[{i}]")
        entry_id = unique_id(item, p, seen)
        source = get(item, "source_id", p)
        history.append(dict(
            id=entry_id, recipe=_recipe(get(item, "recipe", p), f"{p}.recipe"),
            created=timestamp(get(item, "created", p), f"{p}.created"),
            source_id=None if source is None else hex_id(source, f"{p}.source_id"),
            **history_inputs.inputs_from_json(item, p)))
    has_mask = boolean(get(doc, "mask", "project"), "project.mask")
    scene = text(get(doc, "scene_prompt", "project"), "project.scene_prompt", MAX_PROMPT_CHARS)
    pinned = get(doc, "pinned_prompt", "project")
    if pinned is not None:
        text(pinned, "project.pinned_prompt", MAX_PROMPT_CHARS)
    raw_settings = dict_of(get(doc, "settings", "project"), "project.settings")
    if len(raw_settings) > MAX_SETTINGS:
        raise ProjectError(f"project.settings has {len(raw_settings):,} entries, more than "
                           f"the {MAX_SETTINGS} allowed")
    settings = {text(k, "a settings name", 64, 1): _setting(v, f"project.settings.{k}")
                for k, v in raw_settings.items()}

    # Only now the pixels, each checked as it arrives. History inputs are shared by content id
    # (one source, several edits): each is decoded once.
    inputs: dict[str, Image.Image] = {}

    def read_input(kind: str, item_id: str) -> Image.Image:
        if item_id not in inputs:
            inputs[item_id] = read_image(kind, item_id)
        return inputs[item_id]

    for layer in layers:
        layer["image"] = read_image("layer", layer["id"])
        check_image(layer["image"], f"layer '{layer['name'][:40]}'", LAYER_MODES)
    for entry in history:
        entry["image"] = read_image("history", entry["id"])
        check_image(entry["image"], f"history image {entry['id']}", HISTORY_MODES)
        history_inputs.read_inputs(entry, read_input, read_array)
    mask = read_image("mask", None) if has_mask else None
    if mask is not None:
        check_image(mask, "the mask", MASK_MODES, (width, height))
    return Project(width=width, height=height, layers=[ImageLayer(**d) for d in layers],
                   boxes=boxes, mask=mask, history=[HistoryEntry(**d) for d in history],
                   scene_prompt=scene, pinned_prompt=pinned, settings=settings)


def project_to_json(project: Project) -> dict:
    """Everything but the pixels, as JSON data; raises ProjectError for anything the reader
    would refuse (it runs the reader over the result, with the project's own images)."""
    if not isinstance(project, Project):
        raise fail("project", "a Project", project)
    for what, items, kind in (("layers", project.layers, ImageLayer), ("boxes", project.boxes,
                              TextBox), ("history", project.history, HistoryEntry)):
        list_of(items, what, 10**9)  # the length is checked by the reader below
        for i, item in enumerate(items):
            if not isinstance(item, kind):
                raise fail(f"{what}[{i}]", f"a {kind.__name__}", item)
    for i, entry in enumerate(project.history):
        if not isinstance(entry.recipe, Recipe):
            raise fail(f"history[{i}].recipe", "a Recipe", entry.recipe)
    doc = {
        "width": project.width, "height": project.height,
        "layers": [{"id": l.id, "name": l.name, "visible": l.visible, "opacity": l.opacity,
                    "x": l.x, "y": l.y} for l in project.layers],
        "boxes": [asdict(b) for b in project.boxes],
        "mask": project.mask is not None,
        "history": [history_inputs.entry_json(e) for e in project.history],
        "scene_prompt": project.scene_prompt, "pinned_prompt": project.pinned_prompt,
        "settings": dict(project.settings) if isinstance(project.settings, dict)
        else project.settings,
    }
    images = {("layer", l.id): l.image for l in project.layers}
    images.update({("history", e.id): e.image for e in project.history})
    images[("mask", None)] = project.mask
    images.update({("input", history_inputs.image_id(image)): image for image in history_inputs.input_images(project)})
    arrays = {(e.id, key): array for e in project.history if isinstance(e.prior, PriorTokens)
              for key, array in history_inputs.prior_arrays(e.prior).items()}
    project_from_json(doc, lambda kind, item_id: images[(kind, item_id)],
                      lambda entry_id, key: arrays[(entry_id, key)])
    return doc
