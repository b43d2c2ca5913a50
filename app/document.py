"""The image on the canvas: a finished result or an opened PNG, always with its recipe."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image
from PySide6.QtGui import QImage

from glm_core.recipe import Recipe


@dataclass(frozen=True)
class Document:
    image: Image.Image  # full resolution, what Export writes
    qimage: QImage
    recipe: Recipe
    history_id: int | None = None  # set when it came from the history
