"""Checks on untrusted values from a project file (or anything the project reader reads): each
returns the value when it is what the file format allows and raises ProjectError naming the field
(`path`) and what it should be otherwise. Shared by glm_core/project/model.py and
history_inputs.py.
"""

from __future__ import annotations

import math
import re
from datetime import datetime

from PIL import Image

from glm_core.generation.validation import MAX_IMAGE_PIXELS

# Ids become member names inside the project file (layers/<id>.png), so only hex is allowed:
# no slashes, dots or drive letters can ever reach a path.
_ID = re.compile(r"[0-9a-f]{8,64}")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


class ProjectError(ValueError):
    """A project that cannot be opened or saved; the message names the problem."""


def show(value) -> str:
    """A short repr: a hostile 10 MB string must not end up in an error message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def fail(path: str, expected: str, value) -> ProjectError:
    return ProjectError(f"{path} should be {expected}, not {show(value)}")


def dict_of(value, path: str) -> dict:
    if not isinstance(value, dict):
        raise fail(path, "an object", value)
    return value


def get(data: dict, key: str, path: str):
    if key not in data:
        raise ProjectError(f"{path}.{key} is missing")
    return data[key]


def list_of(value, path: str, max_items: int) -> list:
    if not isinstance(value, list):
        raise fail(path, "a list", value)
    if len(value) > max_items:
        raise ProjectError(f"{path} has {len(value):,} items, more than the {max_items:,} allowed")
    return value


def text(value, path: str, max_chars: int, min_chars: int = 0) -> str:
    if not isinstance(value, str):
        raise fail(path, "text", value)
    if not min_chars <= len(value) <= max_chars:
        raise ProjectError(f"{path} is {len(value):,} characters long; "
                           f"{min_chars:,} to {max_chars:,} are allowed")
    return value


def whole(value, path: str, lo: int, hi: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise fail(path, f"a whole number from {lo:,} to {hi:,}", value)
    return value


def number(value, path: str, lo: float, hi: float) -> float:
    # JSON has no NaN, but "1e999" parses to infinity, and in-memory values can be anything.
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or not lo <= value <= hi:
        raise fail(path, f"a number from {lo:g} to {hi:g}", value)
    return float(value)


def boolean(value, path: str) -> bool:
    if not isinstance(value, bool):
        raise fail(path, "true or false", value)
    return value


def choice(value, path: str, options: tuple) -> str:
    if value not in options or not isinstance(value, str):
        raise fail(path, "one of " + ", ".join(options), value)
    return value


def unique_id(item: dict, path: str, seen: set[str]) -> str:
    """The item's hex id, refused when another item of its list already has it."""
    item_id = hex_id(get(item, "id", path), f"{path}.id")
    if item_id in seen:
        raise ProjectError(f"{path}.id {item_id} is used twice")
    seen.add(item_id)
    return item_id


def hex_id(value, path: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise fail(path, "an id of 8 to 64 hex digits", value)
    return value


def colour(value, path: str) -> str:
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise fail(path, "a colour like #ff8800", value)
    return value


def timestamp(value, path: str) -> str:
    text(value, path, 64)
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise fail(path, "a date and time like 2025-01-31T12:00:00+00:00", value) from None
    return value


def check_image(im, path: str, modes: tuple, size: tuple[int, int] | None = None) -> None:
    """Mode and size checks. They use only what a PNG header says, so they are cheap."""
    if not isinstance(im, Image.Image):
        raise fail(path, "an image", im)
    w, h = im.size
    if im.mode not in modes:
        raise ProjectError(f"{path} has colour mode {im.mode}; it should be "
                           f"{' or '.join(modes)}")
    if w < 1 or h < 1 or w * h > MAX_IMAGE_PIXELS:
        raise ProjectError(f"{path} is {w}x{h} pixels; at most {MAX_IMAGE_PIXELS:,} are allowed")
    if size is not None and im.size != size:
        raise ProjectError(f"{path} is {w}x{h} pixels; it should match the canvas, "
                           f"{size[0]}x{size[1]}")
