"""Snapping for moving and resizing text boxes: pure geometry, no Qt, so it is unit-tested alone.

Targets are vertical lines (x values) and horizontal lines (y values): the image edges and centre
lines, and the edges and centres of the other boxes. A moving box snaps one of its left, centre or
right lines (and top, middle, bottom) to the nearest target within `threshold` document pixels;
the caller passes `threshold = SNAP_PX / zoom` so snapping feels the same at every zoom.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

SNAP_PX = 6.0  # screen pixels

Rect = tuple[float, float, float, float]  # x, y, width, height


@dataclass(frozen=True)
class Targets:
    xs: tuple[float, ...]
    ys: tuple[float, ...]


@dataclass(frozen=True)
class Snap:
    """How far to shift the box, and the target lines it now touches (drawn as guides)."""

    dx: float = 0.0
    dy: float = 0.0
    guides_x: tuple[float, ...] = field(default=())
    guides_y: tuple[float, ...] = field(default=())


def targets(canvas: tuple[float, float], others: Iterable[Rect]) -> Targets:
    width, height = canvas
    xs, ys = {0.0, width / 2, float(width)}, {0.0, height / 2, float(height)}
    for x, y, w, h in others:
        xs.update((x, x + w / 2, x + w))
        ys.update((y, y + h / 2, y + h))
    return Targets(tuple(sorted(xs)), tuple(sorted(ys)))


def _nearest(lines: Iterable[float], candidates: tuple[float, ...], threshold: float) -> float | None:
    """The smallest shift that puts one of `lines` on a candidate, if any is within threshold."""
    best: float | None = None
    for line in lines:
        for target in candidates:
            shift = target - line
            if abs(shift) <= threshold and (best is None or abs(shift) < abs(best)):
                best = shift
    return best


def _touching(lines: Iterable[float], candidates: tuple[float, ...]) -> tuple[float, ...]:
    # Every target a snapped line now lies on: a box whose centre and edge both land show both.
    return tuple(sorted({t for t in candidates for line in lines if abs(t - line) < 1e-6}))


def snap_move(rect: Rect, to: Targets, threshold: float) -> Snap:
    x, y, w, h = rect
    dx = _nearest((x, x + w / 2, x + w), to.xs, threshold)
    dy = _nearest((y, y + h / 2, y + h), to.ys, threshold)
    dx, dy = dx or 0.0, dy or 0.0
    gx = _touching((x + dx, x + dx + w / 2, x + dx + w), to.xs)
    gy = _touching((y + dy, y + dy + h / 2, y + dy + h), to.ys)
    return Snap(dx, dy, gx, gy)


def snap_resize(rect: Rect, edges: str, to: Targets, threshold: float) -> tuple[Rect, Snap]:
    """Snap the edges being dragged ("l", "r", "t", "b" in `edges`); the others stay put."""
    x, y, w, h = rect
    left, top, right, bottom = x, y, x + w, y + h
    gx: tuple[float, ...] = ()
    gy: tuple[float, ...] = ()
    for edge in edges:
        if edge in "lr":
            value = left if edge == "l" else right
            shift = _nearest((value,), to.xs, threshold)
            if shift is not None:
                value += shift
                gx += (value,)
                left, right = (value, right) if edge == "l" else (left, value)
        else:
            value = top if edge == "t" else bottom
            shift = _nearest((value,), to.ys, threshold)
            if shift is not None:
                value += shift
                gy += (value,)
                top, bottom = (value, bottom) if edge == "t" else (top, value)
    return (left, top, right - left, bottom - top), Snap(0.0, 0.0, gx, gy)
