"""The document a designer saves: canvas, image layers, text boxes, mask, history and prompts.

Plain dataclasses (no Qt), shared by the canvas, the undo stack, autosave and the file format.
`project_to_json` / `project_from_json` convert everything except pixels to and from JSON data.
The reader is written for untrusted files: every field is type- and range-checked, every string
and list is capped, and anything wrong raises ProjectError naming the field. Saving runs the
same reader over what it is about to write, so the app never writes a file it cannot open.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import datetime, timezone

from PIL import Image

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
# Ids become member names inside the project file (layers/<id>.png), so only hex is allowed:
# no slashes, dots or drive letters can ever reach a path.
_ID = re.compile(r"[0-9a-f]{8,64}")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


class ProjectError(ValueError):
    """A project that cannot be opened or saved; the message names the problem."""


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

def _show(value) -> str:
    """A short repr: a hostile 10 MB string must not end up in an error message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _fail(path: str, expected: str, value) -> ProjectError:
    return ProjectError(f"{path} should be {expected}, not {_show(value)}")


def _dict(value, path: str) -> dict:
    if not isinstance(value, dict):
        raise _fail(path, "an object", value)
    return value


def _get(data: dict, key: str, path: str):
    if key not in data:
        raise ProjectError(f"{path}.{key} is missing")
    return data[key]


def _list(value, path: str, max_items: int) -> list:
    if not isinstance(value, list):
        raise _fail(path, "a list", value)
    if len(value) > max_items:
        raise ProjectError(f"{path} has {len(value):,} items, more than the {max_items:,} allowed")
    return value


def _str(value, path: str, max_chars: int, min_chars: int = 0) -> str:
    if not isinstance(value, str):
        raise _fail(path, "text", value)
    if not min_chars <= len(value) <= max_chars:
        raise ProjectError(f"{path} is {len(value):,} characters long; "
                           f"{min_chars:,} to {max_chars:,} are allowed")
    return value


def _int(value, path: str, lo: int, hi: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise _fail(path, f"a whole number from {lo:,} to {hi:,}", value)
    return value


def _num(value, path: str, lo: float, hi: float) -> float:
    # JSON has no NaN, but "1e999" parses to infinity, and in-memory values can be anything.
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or not lo <= value <= hi:
        raise _fail(path, f"a number from {lo:g} to {hi:g}", value)
    return float(value)


def _bool(value, path: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(path, "true or false", value)
    return value


def _choice(value, path: str, options: tuple) -> str:
    if value not in options or not isinstance(value, str):
        raise _fail(path, "one of " + ", ".join(options), value)
    return value


def _unique_id(item: dict, path: str, seen: set[str]) -> str:
    """The item's hex id, refused when another item of its list already has it."""
    item_id = _hex_id(_get(item, "id", path), f"{path}.id")
    if item_id in seen:
        raise ProjectError(f"{path}.id {item_id} is used twice")
    seen.add(item_id)
    return item_id


def _hex_id(value, path: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise _fail(path, "an id of 8 to 64 hex digits", value)
    return value


def _color(value, path: str) -> str:
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise _fail(path, "a colour like #ff8800", value)
    return value


def _timestamp(value, path: str) -> str:
    _str(value, path, 64)
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise _fail(path, "a date and time like 2025-01-31T12:00:00+00:00", value) from None
    return value


# One checker per TextBox field. A TextBox field missing here fails the tests, so a new field
# cannot silently skip validation.
_BOX_FIELDS: dict[str, Callable] = {
    "text": lambda v, p: _str(v, p, MAX_BOX_TEXT_CHARS),
    "x": lambda v, p: _num(v, p, -MAX_COORD, MAX_COORD),
    "y": lambda v, p: _num(v, p, -MAX_COORD, MAX_COORD),
    "width": lambda v, p: _num(v, p, 0, MAX_COORD),
    "height": lambda v, p: _num(v, p, 0, MAX_COORD),
    "role": lambda v, p: _choice(v, p, ROLES),
    "font_family": lambda v, p: _str(v, p, MAX_NAME_CHARS),
    "font_style": lambda v, p: _str(v, p, MAX_NAME_CHARS),
    "weight": lambda v, p: _int(v, p, 1, 1000),  # the CSS Fonts 4 range
    "color": _color,
    "align": lambda v, p: _choice(v, p, ALIGNMENTS),
    "rotation": lambda v, p: _num(v, p, -MAX_COORD, MAX_COORD),
    "visible": _bool,
    "locked": _bool,
    "id": lambda v, p: _str(v, p, 64, 1),
}


def _box(data, path: str) -> TextBox:
    data = _dict(data, path)
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
    data = _dict(data, path)
    try:
        recipe = Recipe.from_dict(data)
    except (TypeError, ValueError) as e:  # a missing field, or a wrong type
        raise ProjectError(f"{path} is not a valid recipe ({e})") from None
    for f in fields(Recipe):
        value, where = getattr(recipe, f.name), f"{path}.{f.name}"
        if isinstance(value, str):
            _str(value, where, MAX_PROMPT_CHARS if f.name == "prompt" else MAX_NAME_CHARS)
        elif isinstance(value, int) and f.name != "guidance":
            _int(value, where, 1 if f.name in ("steps", "width", "height") else 0, 2**63 - 1)
    _num(recipe.guidance, f"{path}.guidance", -1e6, 1e6)
    _choice(recipe.mode, f"{path}.mode", MODES)
    return recipe


def _setting(value, path: str):
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return _int(value, path, -2**63, 2**63 - 1)
    if isinstance(value, float):
        return _num(value, path, -math.inf, math.inf)
    if isinstance(value, str):
        return _str(value, path, MAX_NAME_CHARS)
    raise _fail(path, "text, a number, true/false or null", value)


def check_image(im, path: str, modes: tuple, size: tuple[int, int] | None = None) -> None:
    """Mode and size checks. They use only what a PNG header says, so they are cheap."""
    if not isinstance(im, Image.Image):
        raise _fail(path, "an image", im)
    w, h = im.size
    if im.mode not in modes:
        raise ProjectError(f"{path} has colour mode {im.mode}; it should be "
                           f"{' or '.join(modes)}")
    if w < 1 or h < 1 or w * h > MAX_IMAGE_PIXELS:
        raise ProjectError(f"{path} is {w}x{h} pixels; at most {MAX_IMAGE_PIXELS:,} are allowed")
    if size is not None and im.size != size:
        raise ProjectError(f"{path} is {w}x{h} pixels; it should match the canvas, "
                           f"{size[0]}x{size[1]}")


# --- conversion ----------------------------------------------------------------------------

# (kind, id) -> the decoded image; kind is "layer", "history" or "mask" (whose id is None)
ReadImage = Callable[[str, "str | None"], Image.Image]


def project_from_json(doc, read_image: ReadImage) -> Project:
    """Build a Project from untrusted JSON data. Everything is checked before any image is
    read, so a bad file is refused before the (slow) decoding starts."""
    doc = _dict(doc, "project")
    width = _int(_get(doc, "width", "project"), "project.width", 1, MAX_IMAGE_PIXELS)
    height = _int(_get(doc, "height", "project"), "project.height", 1, MAX_IMAGE_PIXELS)
    if width * height > MAX_IMAGE_PIXELS:
        raise ProjectError(f"the canvas is {width}x{height} pixels; at most "
                           f"{MAX_IMAGE_PIXELS:,} are allowed")
    layers, history, seen = [], [], set()
    for i, item in enumerate(_list(_get(doc, "layers", "project"), "layers", MAX_LAYERS)):
        p, item = f"layers[{i}]", _dict(item, f"layers[{i}]")
        layer_id = _unique_id(item, p, seen)
        layers.append(dict(
            id=layer_id, name=_str(_get(item, "name", p), f"{p}.name", MAX_NAME_CHARS),
            visible=_bool(_get(item, "visible", p), f"{p}.visible"),
            opacity=_num(_get(item, "opacity", p), f"{p}.opacity", 0, 1),
            x=_int(_get(item, "x", p), f"{p}.x", -MAX_COORD, MAX_COORD),
            y=_int(_get(item, "y", p), f"{p}.y", -MAX_COORD, MAX_COORD)))
    boxes = [_box(item, f"boxes[{i}]") for i, item in
             enumerate(_list(_get(doc, "boxes", "project"), "boxes", MAX_BOXES))]
    seen = set()
    for i, item in enumerate(_list(_get(doc, "history", "project"), "history", MAX_HISTORY)):
        p, item = f"history[{i}]", _dict(item, f"history[{i}]")
        entry_id = _unique_id(item, p, seen)
        source = _get(item, "source_id", p)
        history.append(dict(
            id=entry_id, recipe=_recipe(_get(item, "recipe", p), f"{p}.recipe"),
            created=_timestamp(_get(item, "created", p), f"{p}.created"),
            source_id=None if source is None else _hex_id(source, f"{p}.source_id")))
    has_mask = _bool(_get(doc, "mask", "project"), "project.mask")
    scene = _str(_get(doc, "scene_prompt", "project"), "project.scene_prompt", MAX_PROMPT_CHARS)
    pinned = _get(doc, "pinned_prompt", "project")
    if pinned is not None:
        _str(pinned, "project.pinned_prompt", MAX_PROMPT_CHARS)
    raw_settings = _dict(_get(doc, "settings", "project"), "project.settings")
    if len(raw_settings) > MAX_SETTINGS:
        raise ProjectError(f"project.settings has {len(raw_settings):,} entries, more than "
                           f"the {MAX_SETTINGS} allowed")
    settings = {_str(k, "a settings name", 64, 1): _setting(v, f"project.settings.{k}")
                for k, v in raw_settings.items()}

    # Only now the pixels, each checked as it arrives.
    for layer in layers:
        layer["image"] = read_image("layer", layer["id"])
        check_image(layer["image"], f"layer '{layer['name'][:40]}'", LAYER_MODES)
    for entry in history:
        entry["image"] = read_image("history", entry["id"])
        check_image(entry["image"], f"history image {entry['id']}", HISTORY_MODES)
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
        raise _fail("project", "a Project", project)
    for what, items, kind in (("layers", project.layers, ImageLayer), ("boxes", project.boxes,
                              TextBox), ("history", project.history, HistoryEntry)):
        _list(items, what, 10**9)  # the length is checked by the reader below
        for i, item in enumerate(items):
            if not isinstance(item, kind):
                raise _fail(f"{what}[{i}]", f"a {kind.__name__}", item)
    for i, entry in enumerate(project.history):
        if not isinstance(entry.recipe, Recipe):
            raise _fail(f"history[{i}].recipe", "a Recipe", entry.recipe)
    doc = {
        "width": project.width, "height": project.height,
        "layers": [{"id": l.id, "name": l.name, "visible": l.visible, "opacity": l.opacity,
                    "x": l.x, "y": l.y} for l in project.layers],
        "boxes": [asdict(b) for b in project.boxes],
        "mask": project.mask is not None,
        "history": [{"id": e.id, "recipe": e.recipe.to_dict(), "created": e.created,
                     "source_id": e.source_id} for e in project.history],
        "scene_prompt": project.scene_prompt, "pinned_prompt": project.pinned_prompt,
        "settings": dict(project.settings) if isinstance(project.settings, dict)
        else project.settings,
    }
    images = {("layer", l.id): l.image for l in project.layers}
    images.update({("history", e.id): e.image for e in project.history})
    images[("mask", None)] = project.mask
    project_from_json(doc, lambda kind, item_id: images[(kind, item_id)])
    return doc
