"""A text box a designer places on the poster. Plain data: the canvas, the prompt composer, the
exact-typography overlay and project files all read the same object."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

ROLES = ("title", "subtitle", "body", "caption", "label")
ALIGNMENTS = ("left", "center", "right")


@dataclass(frozen=True)
class TextBox:
    text: str
    x: float  # left edge, document pixels
    y: float  # top edge, document pixels
    width: float
    height: float
    role: str = "title"
    font_family: str = ""  # "" = the bundled default font; recorded in projects and recipes, never in prompts
    font_style: str = ""  # the font's look in words for the prompt ("classic serif"); set by the app from the font
    weight: int = 700  # CSS-style 100..900
    color: str = "#ffffff"  # #rrggbb
    align: str = "center"
    rotation: float = 0.0  # degrees, clockwise, about the box centre
    visible: bool = True
    locked: bool = False
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
