"""Mask operations on their own: exact results on small masks."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QPointF, QRect

from app.ui.images import pil_to_qimage, qimage_to_pil
from app.mask.ops import (
    ADD, SUBTRACT, cleared, coverage, differs, fill_rect, grown, inverted, mask_array, shrunk, stroke_segment,
)


def mask_of(array: np.ndarray):
    return pil_to_qimage(Image.fromarray(array.astype(np.uint8), "L"))


def square(size=40, left=15, right=25) -> np.ndarray:
    a = np.zeros((size, size), np.uint8)
    a[left:right, left:right] = 255
    return a


def test_invert_and_clear(qapp):
    a = square()
    a[0, 0] = 100
    assert (np.asarray(qimage_to_pil(inverted(mask_of(a)))) == 255 - a).all()
    assert not np.asarray(qimage_to_pil(cleared(mask_of(a)))).any()


def test_grow_and_shrink_move_the_edge_by_n_pixels(qapp):
    mask = mask_of(square())  # pixels 15..24 painted
    big = np.asarray(qimage_to_pil(grown(mask, 3)))
    assert (big[12:28, 15:25] == 255).all() and (big[15:25, 12:28] == 255).all()  # 3 px further along x and y
    assert big[12, 12] == 0 and big[13, 13] == 255  # corners are cut (octagonal distance, like the feather)
    assert big[11, 20] == 0 and big[20, 28] == 0
    small = np.asarray(qimage_to_pil(shrunk(mask, 3)))
    assert (small[18:22, 18:22] == 255).all()
    assert small[17, 20] == 0 and small[20, 22] == 0
    # Shrinking more than half the width removes the area; growing 0 changes nothing.
    assert not np.asarray(qimage_to_pil(shrunk(mask, 5))).any()
    assert qimage_to_pil(grown(mask, 0)).tobytes() == qimage_to_pil(mask).tobytes()


def test_full_mask_cannot_shrink_from_outside(qapp):
    full = mask_of(np.full((20, 20), 255))
    assert np.asarray(qimage_to_pil(shrunk(full, 4))).all()


def test_strokes_respect_the_image_edge_and_report_their_rect(qapp):
    mask = mask_of(np.zeros((50, 60)))
    rect = stroke_segment(mask, QPointF(-10, 25), QPointF(5, 25), 10, 1.0, ADD)
    assert rect.left() == 0 and rect.right() <= 12 and mask_array(mask)[25, 0] == 255
    assert stroke_segment(mask, QPointF(-100, -100), QPointF(-90, -90), 10, 1.0, ADD) is None
    assert fill_rect(mask, QRect(50, 40, 30, 30), ADD) == QRect(50, 40, 10, 10)
    assert coverage(mask) > 0
    before = mask.copy()
    stroke_segment(mask, QPointF(55, 45), QPointF(55, 45), 4, 1.0, SUBTRACT)
    assert differs(before, mask).contains(QRect(54, 44, 2, 2))
    assert differs(mask, mask.copy()) is None


def test_mask_array_follows_row_padding(qapp):
    mask = mask_of(np.zeros((5, 30)))  # 30 bytes per row, padded to 32 by Qt
    assert mask.bytesPerLine() == 32
    mask_array(mask)[2, 29] = 255
    assert qimage_to_pil(mask).getpixel((29, 2)) == 255
