"""The stylesheet gives every button kind a disabled look: a disabled primary button that stays
bright blue ("Edit Masked Region" after File ▸ New) reads as a button that is broken."""

from __future__ import annotations

from collections import Counter

import pytest
from PySide6.QtWidgets import QPushButton

from app.ui.resources import resource_path

KINDS = ["", "primaryButton", "loadButton", "generateButton", "cancelButton", "downloadButton", "flat"]


def _background(button: QPushButton) -> tuple[int, int, int]:
    """The button's most common colour: its face, whatever the text."""
    image = button.grab().toImage()
    colours = Counter(image.pixelColor(x, y).getRgb()[:3] for y in range(image.height()) for x in range(image.width()))
    return colours.most_common(1)[0][0]


@pytest.mark.parametrize("kind", KINDS)
def test_every_button_kind_looks_different_when_disabled(qtbot, kind):
    sheet = resource_path("styles/studio.qss").read_text(encoding="utf-8")
    button = QPushButton("Edit Masked Region")
    button.setStyleSheet(sheet)
    if kind == "flat":
        button.setFlat(True)
    else:
        button.setObjectName(kind)
    qtbot.addWidget(button)
    button.resize(200, 40)
    button.show()
    enabled = _background(button)
    button.setEnabled(False)
    disabled = _background(button)
    assert max(abs(a - b) for a, b in zip(enabled, disabled)) >= 4, (kind, enabled, disabled)
