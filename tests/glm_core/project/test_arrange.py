"""Align, distribute and move several text boxes (glm_core/project/arrange.py): the one arithmetic
behind the window's Arrange menu and `project align|distribute`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from glm_core.project.arrange import ALIGN_EDGES, align, distribute, move, outline
from glm_core.project.textbox import TextBox

A = TextBox("A", 10, 20, 100, 40)
B = TextBox("B", 200, 100, 50, 60)
C = TextBox("C", 60, 300, 200, 20)


@pytest.mark.parametrize("edge, expected", [
    ("left", [10, 10, 10]), ("right", [160, 210, 60]), ("hcenter", [85, 110, 35]),
])
def test_align_horizontally_to_the_common_outline(edge, expected):
    moved = align([A, B, C], edge, (1024, 1024))
    assert [b.x for b in moved] == expected
    assert [b.y for b in moved] == [20, 100, 300]  # the other axis is left alone


@pytest.mark.parametrize("edge, expected", [
    ("top", [20, 20, 20]), ("bottom", [280, 260, 300]), ("vmiddle", [150, 140, 160]),
])
def test_align_vertically_to_the_common_outline(edge, expected):
    assert [b.y for b in align([A, B, C], edge, (1024, 1024))] == expected


def test_one_box_aligns_with_the_canvas():
    assert align([A], "right", (512, 256))[0].x == 412
    assert align([A], "vmiddle", (512, 256))[0].y == 108
    assert align([A], "hcenter", (512, 256))[0].x == 206


def test_a_locked_box_is_a_reference_but_does_not_move():
    locked = replace(B, locked=True)
    moved = align([A, locked], "left", (1024, 1024))
    assert moved[0].x == 10 and moved[1] == locked


def test_a_rotated_box_lines_up_by_its_visible_outline():
    turned = TextBox("T", 100, 100, 200, 40, rotation=90)  # stands upright: 40 wide, 200 tall
    assert outline(turned) == pytest.approx((180, 20, 220, 220))
    moved = align([turned, A], "left", (1024, 1024))
    assert outline(moved[0])[0] == pytest.approx(10)


def test_distribute_makes_equal_gaps_and_keeps_the_outer_boxes():
    boxes = [TextBox("1", 0, 0, 100, 10), TextBox("3", 500, 0, 100, 10), TextBox("2", 130, 0, 50, 10),
             TextBox("4", 320, 0, 50, 10)]
    moved = distribute(boxes, "x")
    assert [b.x for b in moved] == [0, 500, 200, 350]  # gaps of 100 between 0-100, 200-250, 350-400, 500
    assert [b.y for b in moved] == [0, 0, 0, 0]


def test_distribute_vertically():
    moved = distribute([A, B, C], "y")  # A 20-60, B 100-160, C 300-320: gap (320-20-120)/2 = 90
    assert [b.y for b in moved] == [20, 150, 300]


def test_distribute_refuses_fewer_than_three_boxes_and_unknown_axes():
    with pytest.raises(ValueError, match="at least 3"):
        distribute([A, B], "x")
    with pytest.raises(ValueError, match="not one of"):
        distribute([A, B, C], "z")
    with pytest.raises(ValueError, match="not one of"):
        align([A], "middle", (10, 10))


def test_move_shifts_every_unlocked_box():
    moved = move([A, replace(B, locked=True)], 10, -5)
    assert (moved[0].x, moved[0].y) == (20, 15) and moved[1].x == 200
    assert len(ALIGN_EDGES) == 6
