"""The session's finished images, newest first. A Qt list model; knows nothing of widgets."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from PIL import Image
from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap

from glm_core.generation.prior import PriorTokens
from glm_core.generation.recipe import Recipe
from glm_core.generation.request import GenerationRequest

THUMBNAIL_SIDE = 160
ItemRole = Qt.ItemDataRole.UserRole + 1

_ids = itertools.count(1)


@dataclass
class HistoryItem:
    image: Image.Image  # full resolution, what Export writes
    qimage: QImage  # the same pixels, ready for the canvas
    thumbnail: QImage
    recipe: Recipe
    # Kept so a variation can skip the AR stage (and saved with the project); None for an item
    # from a project saved before AR tokens were kept.
    prior: PriorTokens | None
    seconds: float  # 0 when unknown (restored from a project)
    # The request as run (references, mask and feather included; a project keeps them), None when
    # unknown: Re-run then reproduces the recipe alone.
    request: GenerationRequest | None = None
    id: int = field(default_factory=lambda: next(_ids))  # this session's handle
    created: datetime = field(default_factory=datetime.now)
    uid: str = field(default_factory=lambda: uuid.uuid4().hex)  # stable across project saves

    def rerun_request(self) -> GenerationRequest:
        """The same generation again, same seed: edits keep their source image and mask."""
        from glm_core.project.request_builder import request_from_recipe

        return self.request if self.request is not None else request_from_recipe(self.recipe)

    @property
    def can_vary(self) -> bool:
        """A variation re-runs only the DiT on the AR tokens (projects saved before they were
        kept have none)."""
        return self.prior is not None

    def summary(self) -> str:
        r = self.recipe
        lines = [
            r.prompt if len(r.prompt) <= 200 else r.prompt[:200] + "…",
            "",
            f"{r.width} × {r.height} px · {r.steps} steps · guidance {r.guidance:g}",
            f"Seed {r.seed} · " + (f"{self.seconds:.1f} s · " if self.seconds > 0 else "")
            + f"{self.created:%Y-%m-%d %H:%M:%S}",
            f"Model {r.model_id or 'unknown'} ({r.quantization})",
        ]
        if not self.can_vary:
            lines.append("Its AR tokens were not saved: re-run it to make variations")
        return "\n".join(lines)


def make_thumbnail(image: QImage) -> QImage:
    return image.scaled(
        THUMBNAIL_SIDE,
        THUMBNAIL_SIDE,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )


class HistoryModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._items: list[HistoryItem] = []
        self._icons: dict[int, QIcon] = {}  # QPixmap must be made on the GUI thread: cache lazily

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == ItemRole:
            return item
        if role == Qt.ItemDataRole.DisplayRole:
            return f"Seed {item.recipe.seed}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.summary()
        if role == Qt.ItemDataRole.DecorationRole:
            if item.id not in self._icons:
                self._icons[item.id] = QIcon(QPixmap.fromImage(item.thumbnail))
            return self._icons[item.id]
        return None

    def add(self, item: HistoryItem) -> QModelIndex:
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._items.insert(0, item)
        self.endInsertRows()
        return self.index(0)

    def remove(self, item: HistoryItem) -> None:
        row = self.row_of(item)
        if row < 0:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._items[row]
        self._icons.pop(item.id, None)
        self.endRemoveRows()

    def replace_all(self, items: list[HistoryItem]) -> None:
        """Another document's history (a project was opened, or File ▸ New): newest first."""
        self.beginResetModel()
        self._items = list(items)
        self._icons.clear()
        self.endResetModel()

    def by_id(self, item_id: int | None) -> HistoryItem | None:
        return next((it for it in self._items if it.id == item_id), None)

    def row_of(self, item: HistoryItem) -> int:
        return next((row for row, it in enumerate(self._items) if it.id == item.id), -1)

    def item(self, row: int) -> HistoryItem:
        return self._items[row]

    def items(self) -> list[HistoryItem]:
        return list(self._items)
