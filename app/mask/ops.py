"""Pixel work on the edit mask (QImage Grayscale8, 255 = change): brush capsules, fills, invert,
grow and shrink. No widgets and no document here, so each op can be tested and timed alone.

Strokes write straight into the mask through a numpy view of its bytes and touch only the
bounding box of the segment they paint; everything else (whole-image ops) returns a new image
that the caller pushes as one EditMask command.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from PIL import Image, ImageChops
from PySide6.QtCore import QPointF, QRect
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPolygonF

from app.ui.images import pil_to_qimage, qimage_to_pil
from glm_core.generation.masking import THRESHOLD, feather

ADD, SUBTRACT = 255, 0  # what a tool paints: brush/fill adds to the mask, eraser/Alt takes away


def mask_array(mask: QImage, writable: bool = True) -> np.ndarray:
    """A (height, width) uint8 view of a Grayscale8 image's bytes, honouring Qt's row padding.
    Valid only while `mask` is alive and not reassigned: make a fresh view per use. (A writable
    view detaches a shared image first, as any Qt write does; a read-only one never copies.)"""
    assert mask.format() == QImage.Format.Format_Grayscale8, mask.format()
    data = mask.bits() if writable else mask.constBits()
    rows = np.frombuffer(data, np.uint8).reshape(mask.height(), mask.bytesPerLine())
    return rows[:, : mask.width()]


def _clip(mask: QImage, left: int, top: int, right: int, bottom: int) -> QRect | None:
    left, top = max(0, left), max(0, top)
    right, bottom = min(mask.width(), right), min(mask.height(), bottom)
    return QRect(left, top, right - left, bottom - top) if right > left and bottom > top else None


def stroke_segment(mask: QImage, a: QPointF, b: QPointF, size: float, hardness: float, value: int) -> QRect | None:
    """Paint the segment a→b with a round brush of diameter `size` (document pixels), i.e. a
    capsule: every pixel's coverage follows its exact distance to the segment, so the stroke has
    round caps and no gaps or beads however far apart the mouse samples are.

    Coverage is 1 up to hardness * radius, then falls linearly to 0 at the radius (a 1 px
    anti-aliased edge when hardness is 1). Brush (ADD) keeps the maximum, eraser (SUBTRACT) the
    minimum, so re-painting over a stroke never darkens or thickens its soft edge.
    Returns the changed region (None when the segment is off the image)."""
    # A long diagonal segment has a huge, mostly empty bounding box: paint it as shorter pieces
    # (the union of their capsules is the same capsule), so the cost follows the stroke's area.
    piece = max(2.0 * size, 32.0)
    pieces = math.ceil(math.hypot(b.x() - a.x(), b.y() - a.y()) / piece)
    if pieces > 1:
        rects = [_capsule(mask, a + (b - a) * (i / pieces), a + (b - a) * ((i + 1) / pieces), size, hardness, value)
                 for i in range(pieces)]
        rects = [r for r in rects if r is not None]
        return None if not rects else functools.reduce(QRect.united, rects)
    return _capsule(mask, a, b, size, hardness, value)


def _capsule(mask: QImage, a: QPointF, b: QPointF, size: float, hardness: float, value: int) -> QRect | None:
    radius = max(size, 1.0) / 2
    ramp = max((1 - min(max(hardness, 0.0), 1.0)) * radius, 1.0)
    reach = radius + 1
    rect = _clip(mask, math.floor(min(a.x(), b.x()) - reach), math.floor(min(a.y(), b.y()) - reach),
                 math.ceil(max(a.x(), b.x()) + reach), math.ceil(max(a.y(), b.y()) + reach))
    if rect is None:
        return None
    # Pixel (x, y) covers [x, x+1): measure from its centre.
    xs = np.arange(rect.left(), rect.right() + 1, dtype=np.float32) + 0.5 - a.x()
    ys = np.arange(rect.top(), rect.bottom() + 1, dtype=np.float32)[:, None] + 0.5 - a.y()
    dx, dy = b.x() - a.x(), b.y() - a.y()
    length2 = dx * dx + dy * dy
    if length2 > 1e-12:
        t = np.clip((xs * dx + ys * dy) / length2, 0.0, 1.0)
        xs, ys = xs - t * dx, ys - t * dy
    distance = np.sqrt(xs * xs + ys * ys)
    coverage = np.clip((radius + 0.5 - distance) / ramp, 0.0, 1.0)
    _blend(mask, rect, np.rint(coverage * 255).astype(np.uint8), value)
    return rect


def _blend(mask: QImage, rect: QRect, coverage: np.ndarray, value: int) -> None:
    region = mask_array(mask)[rect.top(): rect.bottom() + 1, rect.left(): rect.right() + 1]
    if value == ADD:
        np.maximum(region, coverage, out=region)
    else:
        np.minimum(region, 255 - coverage, out=region)


def fill_rect(mask: QImage, rect: QRect, value: int) -> QRect | None:
    """Set every pixel of `rect` (clipped to the image) to `value`; returns what changed."""
    rect = _clip(mask, rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1)
    if rect is not None:
        mask_array(mask)[rect.top(): rect.bottom() + 1, rect.left(): rect.right() + 1] = value
    return rect


def fill_polygon(mask: QImage, points: list[QPointF], value: int) -> QRect | None:
    """Fill a closed polygon (a lasso), anti-aliased, adding to or taking from the mask."""
    if len(points) < 3:
        return None
    polygon = QPolygonF(points)
    box = polygon.boundingRect()
    rect = _clip(mask, math.floor(box.left()) - 1, math.floor(box.top()) - 1,
                 math.ceil(box.right()) + 1, math.ceil(box.bottom()) + 1)
    if rect is None:
        return None
    # Qt rasterises the polygon into a small scratch image; numpy merges it like a brush dab.
    scratch = QImage(rect.width(), rect.height(), QImage.Format.Format_Grayscale8)
    scratch.fill(0)
    painter = QPainter(scratch)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(0, 0, 0, 0))
    painter.setBrush(QBrush(QColor(255, 255, 255)))
    painter.translate(-rect.left(), -rect.top())
    painter.drawPolygon(polygon)
    painter.end()
    _blend(mask, rect, mask_array(scratch, writable=False), value)
    return rect


# -- whole-mask ops: pure, each returns a new image --

def inverted(mask: QImage) -> QImage:
    out = mask.copy()
    out.invertPixels()
    return out


def cleared(mask: QImage) -> QImage:
    out = mask.copy()
    out.fill(0)
    return out


def _reach(binary: Image.Image, px: int) -> np.ndarray:
    """Pixels within `px` steps (octagonal distance) of the white area of `binary`. This is
    exactly where glm_core.generation.masking.feather gives a non-zero weight, so grow/shrink use the same
    distance as the edit's own feather."""
    return np.asarray(feather(binary, px)) > 0


def grown(mask: QImage, px: int) -> QImage:
    """The painted area (>= 128) widened by `px` pixels; soft edges further out are kept."""
    if px <= 0:
        return mask.copy()
    grey = qimage_to_pil(mask)
    reach = _reach(grey, px)
    return pil_to_qimage(Image.fromarray(np.maximum(np.asarray(grey), np.where(reach, 255, 0).astype(np.uint8))))


def shrunk(mask: QImage, px: int) -> QImage:
    """The painted area narrowed by `px` pixels: anything within `px` of a kept pixel goes."""
    if px <= 0:
        return mask.copy()
    grey = qimage_to_pil(mask)
    kept = grey.point(lambda v: 255 if v < THRESHOLD else 0)
    if kept.getbbox() is None:  # everything painted: there is no edge to shrink from
        return mask.copy()
    reach = _reach(kept, px)
    return pil_to_qimage(Image.fromarray(np.minimum(np.asarray(grey), np.where(reach, 0, 255).astype(np.uint8))))


def differs(a: QImage, b: QImage) -> QRect | None:
    """The bounding box of the pixels that differ (None when equal): keeps undo entries small."""
    box = ImageChops.difference(qimage_to_pil(a), qimage_to_pil(b)).getbbox()
    return None if box is None else QRect(box[0], box[1], box[2] - box[0], box[3] - box[1])


def coverage(mask: QImage) -> float:
    """The share of the image an edit would change (mask >= 128), 0..1."""
    painted = np.count_nonzero(mask_array(mask, writable=False) >= THRESHOLD)
    return painted / max(mask.width() * mask.height(), 1)


def to_pil(mask: QImage) -> Image.Image:
    """The mask as glm_core takes it: PIL "L", white = change."""
    return qimage_to_pil(mask)
