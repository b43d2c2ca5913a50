"""Snapping geometry (app/text/snapping.py): pure functions, no Qt."""

from __future__ import annotations

import pytest

from app.text.snapping import snap_move, snap_resize, targets


def test_targets_are_canvas_edges_centre_and_other_boxes():
    t = targets((1000, 800), [(100, 50, 200, 100)])
    assert t.xs == (0, 100, 200, 300, 500, 1000)
    assert t.ys == (0, 50, 100, 150, 400, 800)


def test_move_snaps_centre_to_canvas_centre_within_threshold():
    t = targets((1000, 1000), [])
    s = snap_move((395, 10, 200, 50), t, threshold=6)  # centre x at 495: 5 px from 500
    assert (s.dx, s.dy) == (5, 0)
    assert s.guides_x == (500,)


def test_move_outside_threshold_does_not_snap():
    t = targets((1000, 1000), [])
    s = snap_move((380, 300, 200, 50), t, threshold=6)
    assert (s.dx, s.dy) == (0, 0)
    assert s.guides_x == () and s.guides_y == ()


def test_move_picks_the_nearest_of_edges_and_centre():
    # Left edge 3 px from the other box's right edge; centre 4 px from the canvas centre.
    t = targets((1000, 1000), [(0, 0, 297, 40)])
    s = snap_move((300, 520, 392, 40), t, threshold=6)
    assert s.dx == -3
    assert 297 in s.guides_x


def test_move_snaps_both_axes_and_reports_every_touching_line():
    t = targets((1000, 1000), [])
    s = snap_move((-4, 997 - 100, 1000, 100), t, threshold=6)  # full width: left, centre, right all land
    assert s.dx == 4 and s.dy == 3
    assert s.guides_x == (0, 500, 1000)
    assert s.guides_y == (1000,)


def test_resize_snaps_only_the_dragged_edges():
    t = targets((1000, 1000), [(600, 0, 100, 100)])
    rect, s = snap_resize((100, 100, 497, 200), "r", t, threshold=6)  # right edge at 597 → 600
    assert rect == (100, 100, 500, 200)
    assert s.guides_x == (600,)
    rect, s = snap_resize((103, 100, 400, 200), "b", t, threshold=6)  # left edge near 100 is not dragged
    assert rect == (103, 100, 400, 200)
    assert s.guides_x == () and s.guides_y == ()


@pytest.mark.parametrize("edges, expected", [("lt", (0, 0, 504, 305)), ("rb", (4, 5, 496, 295))])
def test_resize_corner_snaps_two_edges(edges, expected):
    t = targets((500, 300), [])
    rect, _ = snap_resize((4, 5, 500, 300), edges, t, threshold=6)
    assert rect == pytest.approx(expected)
