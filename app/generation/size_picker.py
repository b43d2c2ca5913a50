"""Output size: the model's presets plus a custom width × height, snapped to valid values."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QToolButton, QVBoxLayout, QWidget

from app.ui.resources import icon
from app.generation.sizes import SizePreset, describe_shape, size_presets
from glm_core.generation.validation import MAX_SIDE, MIN_SIDE, MULTIPLE, nearest_valid_size

CUSTOM = "Custom size"


class SizePicker(QWidget):
    sizeChanged = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._limits = (MIN_SIDE, MAX_SIDE)
        self._presets: list[SizePreset] = []
        self._size = (0, 0)

        self.presets = QComboBox()
        self.presets.setObjectName("sizePresets")
        self.presets.setToolTip("Sizes the model was trained for give the best results")
        self.width_box = self._side_box("Width in pixels")
        self.height_box = self._side_box("Height in pixels")
        self.swap = QToolButton()
        self.swap.setIcon(icon("swap"))
        self.swap.setToolTip("Swap width and height (portrait ↔ landscape)")
        self.shape = QLabel()
        self.shape.setObjectName("hint")

        sides = QHBoxLayout()
        sides.setSpacing(6)
        sides.addWidget(self.width_box, 1)
        sides.addWidget(QLabel("×"))
        sides.addWidget(self.height_box, 1)
        sides.addWidget(self.swap)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.presets)
        layout.addLayout(sides)
        layout.addWidget(self.shape)

        self.presets.activated.connect(self._on_preset)
        self.width_box.editingFinished.connect(self._on_sides_edited)
        self.height_box.editingFinished.connect(self._on_sides_edited)
        self.swap.clicked.connect(lambda: self.set_size(self._size[1], self._size[0]))
        self.set_limits(*self._limits)

    def _side_box(self, tip: str) -> QSpinBox:
        box = QSpinBox()
        box.setSuffix(" px")
        box.setSingleStep(MULTIPLE)
        box.setToolTip(f"{tip}. Snapped to a multiple of {MULTIPLE} within the model's limits.")
        box.setKeyboardTracking(False)
        return box

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    @property
    def limits(self) -> tuple[int, int]:
        return self._limits

    def set_limits(self, min_side: int, max_side: int) -> None:
        """A model's limits: rebuild the presets and re-snap the current size into them."""
        self._limits = (min_side, max_side)
        self._presets = size_presets(min_side, max_side)
        self.presets.clear()
        for preset in self._presets:
            self.presets.addItem(preset.label)
        self.presets.addItem(CUSTOM)
        for box in (self.width_box, self.height_box):
            # The box itself allows any value in range; snapping happens when editing ends.
            box.setRange(min_side, max_side)
        width, height = self._size if self._size != (0, 0) else (self._presets[0].width, self._presets[0].height)
        self.set_size(width, height)

    def set_size(self, width: int, height: int) -> None:
        """Set a size, snapped to the nearest valid one."""
        snapped = nearest_valid_size(width, height, *self._limits)
        for box, value in zip((self.width_box, self.height_box), snapped):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        match = next((i for i, p in enumerate(self._presets) if (p.width, p.height) == snapped), len(self._presets))
        self.presets.setCurrentIndex(match)
        self.shape.setText(f"{describe_shape(*snapped)} · {snapped[0] * snapped[1] / 1e6:.2f} megapixels")
        if snapped != self._size:
            self._size = snapped
            self.sizeChanged.emit(*snapped)

    def _on_preset(self, index: int) -> None:
        if index < len(self._presets):
            preset = self._presets[index]
            self.set_size(preset.width, preset.height)
        else:
            self.width_box.setFocus()

    def _on_sides_edited(self) -> None:
        self.set_size(self.width_box.value(), self.height_box.value())
