"""The base image of a poster: a finished result or an opened image, with its recipe if it has one."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image
from PySide6.QtGui import QImage

from glm_core.generation.recipe import Recipe


@dataclass(frozen=True)
class Document:
    image: Image.Image  # full resolution, what Export writes
    qimage: QImage
    recipe: Recipe | None  # None for an image made elsewhere (a photo, a PNG without a recipe)
    history_id: int | None = None  # set when it came from the history
