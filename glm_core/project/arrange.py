"""Align, distribute and move several text boxes: the arithmetic the window's Arrange menu and
`python main.py project align|distribute` share. Plain functions over TextBox, no Qt.

Every function takes the boxes to arrange and returns them changed, in the same order. A box
is placed by its visible outline (the bounding rectangle of the box as turned), so a rotated box
lines up by what the eye sees. Locked boxes count as references but never move.
"""

from __future__ import annotations

import math
from dataclasses import replace

from glm_core.project.textbox import TextBox

ALIGN_EDGES = ("left", "hcenter", "right", "top", "vmiddle", "bottom")
ALIGN_NAMES = {"left": "Align left", "hcenter": "Align horizontal centres", "right": "Align right",
               "top": "Align top", "vmiddle": "Align vertical middles", "bottom": "Align bottom"}
AXES = ("x", "y")
MIN_TO_DISTRIBUTE = 3  # the outer two stay put, so two boxes have no gap to even out


def outline(box: TextBox) -> tuple[float, float, float, float]:
    """left, top, right, bottom of the box as drawn (turned about its centre)."""
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    angle = math.radians(box.rotation)
    half_w = (abs(math.cos(angle)) * box.width + abs(math.sin(angle)) * box.height) / 2
    half_h = (abs(math.sin(angle)) * box.width + abs(math.cos(angle)) * box.height) / 2
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


def _moved(box: TextBox, dx: float, dy: float) -> TextBox:
    if box.locked or (dx == 0 and dy == 0):
        return box
    return replace(box, x=box.x + dx, y=box.y + dy)


def align(boxes: list[TextBox], edge: str, canvas: tuple[int, int]) -> list[TextBox]:
    """Line the boxes up on `edge` (one of ALIGN_EDGES) of their common outline; a single box
    lines up with the canvas (width, height) instead."""
    if edge not in ALIGN_EDGES:
        raise ValueError(f"{edge!r} is not one of {', '.join(ALIGN_EDGES)}")
    if not boxes:
        return []
    outlines = [outline(b) for b in boxes]
    if len(boxes) == 1:
        left, top, right, bottom = 0.0, 0.0, float(canvas[0]), float(canvas[1])
    else:
        left, top = min(o[0] for o in outlines), min(o[1] for o in outlines)
        right, bottom = max(o[2] for o in outlines), max(o[3] for o in outlines)
    result = []
    for box, (l, t, r, b) in zip(boxes, outlines):
        dx = {"left": left - l, "hcenter": (left + right) / 2 - (l + r) / 2, "right": right - r}.get(edge, 0.0)
        dy = {"top": top - t, "vmiddle": (top + bottom) / 2 - (t + b) / 2, "bottom": bottom - b}.get(edge, 0.0)
        result.append(_moved(box, dx, dy))
    return result


def distribute(boxes: list[TextBox], axis: str) -> list[TextBox]:
    """Equal gaps along `axis` ("x" or "y") between the boxes, in their order along it; the first
    and last stay where they are. Needs at least MIN_TO_DISTRIBUTE boxes."""
    if axis not in AXES:
        raise ValueError(f"{axis!r} is not one of {', '.join(AXES)}")
    if len(boxes) < MIN_TO_DISTRIBUTE:
        raise ValueError(f"distributing needs at least {MIN_TO_DISTRIBUTE} boxes, got {len(boxes)}")
    lo, hi = (0, 2) if axis == "x" else (1, 3)
    outlines = [outline(b) for b in boxes]
    order = sorted(range(len(boxes)), key=lambda i: (outlines[i][lo], outlines[i][hi]))
    first, last = outlines[order[0]], outlines[order[-1]]
    sizes = sum(outlines[i][hi] - outlines[i][lo] for i in order)
    gap = (last[hi] - first[lo] - sizes) / (len(boxes) - 1)
    result = list(boxes)
    at = first[lo]
    for i in order:
        shift = at - outlines[i][lo]
        if i not in (order[0], order[-1]):
            result[i] = _moved(boxes[i], shift, 0.0) if axis == "x" else _moved(boxes[i], 0.0, shift)
        at += outlines[i][hi] - outlines[i][lo] + gap
    return result


def move(boxes: list[TextBox], dx: float, dy: float) -> list[TextBox]:
    """Every unlocked box shifted by (dx, dy) document pixels."""
    return [_moved(b, dx, dy) for b in boxes]
