"""The Mask panel: paint tools, brush size and hardness, the overlay, mask operations, the edit
buttons and before/after. Buttons show the shared QActions (app/mask/actions.py), so the panel,
the Image menu and the shortcuts can never disagree; the panel itself changes nothing."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFormLayout, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QSpinBox, QToolButton,
    QVBoxLayout, QWidget,
)

from app.mask.actions import MaskActions
from app.mask.layer import DEFAULT_OPACITY
from app.mask.tools import MAX_SIZE, MIN_SIZE, BrushSettings
from glm_core.generation.masking import DEFAULT_FEATHER

# Checked tools stand out with the accent colour (studio.qss only darkens them a little).
_SIZE_STEPS = 1000  # the size slider is logarithmic: as fine at 3 px as at 300 px


def _size_to_slider(size: int) -> int:
    return round(math.log(size / MIN_SIZE) / math.log(MAX_SIZE / MIN_SIZE) * _SIZE_STEPS)


def _slider_to_size(position: int) -> int:
    return round(MIN_SIZE * (MAX_SIZE / MIN_SIZE) ** (position / _SIZE_STEPS))


_LOCAL_STYLE = """
QToolButton#maskTool { padding: 6px 4px; }
QToolButton#maskTool:checked { background: #2f3a57; border-color: #4d7cff; color: #ffffff; }
"""


def _section(title: str) -> QLabel:
    label = QLabel(title)
    label.setObjectName("sectionTitle")
    return label


def _button(action: QAction, primary: bool = False) -> QPushButton:
    """A push button that triggers `action` and follows its enabled state (QSS styles
    QPushButton#primaryButton, which a QToolButton would not get)."""
    button = QPushButton(action.text())
    button.setToolTip(action.toolTip())
    button.setEnabled(action.isEnabled())
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys ([ ] B E…) stay with the canvas
    if primary:
        button.setObjectName("primaryButton")
    button.clicked.connect(action.trigger)
    action.changed.connect(lambda: button.setEnabled(action.isEnabled()))
    return button


def _slider(low: int, high: int, value: int) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(low, high)
    slider.setValue(value)
    slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return slider


def _spin(low: int, high: int, value: int, suffix: str, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setSuffix(suffix)
    spin.setToolTip(tip)
    spin.setMinimumWidth(84)
    return spin


class MaskPanel(QWidget):
    opacityChanged = Signal(float)  # 0..1
    compareHeld = Signal(bool)
    splitChanged = Signal(float)  # 0 = after only .. 1 = before only

    def __init__(self, actions: MaskActions, brush: BrushSettings, parent=None):
        super().__init__(parent)
        self.setObjectName("maskPanel")
        self.setStyleSheet(_LOCAL_STYLE)
        self.brush = brush

        tools = QGridLayout()
        tools.setSpacing(6)
        self.tool_buttons: dict[str, QToolButton] = {}
        for column, (name, action) in enumerate(actions.tools.items()):
            button = QToolButton()
            button.setObjectName("maskTool")
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)  # the icon and the name
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            tools.addWidget(button, 0, column)
            self.tool_buttons[name] = button

        self.size_slider = _slider(0, _SIZE_STEPS, _size_to_slider(brush.size))
        self.size = _spin(MIN_SIZE, MAX_SIZE, brush.size, " px",
                          "Brush diameter in image pixels ([ and ] on the canvas)")
        self.hardness_slider = _slider(0, 100, round(brush.hardness * 100))
        self.hardness = _spin(0, 100, round(brush.hardness * 100), " %", "100 % = a crisp edge; lower = a soft edge")
        brush_form = QFormLayout()
        brush_form.setHorizontalSpacing(12)
        brush_form.addRow("Size", self._pair(self.size_slider, self.size))
        brush_form.addRow("Hardness", self._pair(self.hardness_slider, self.hardness))
        tool_hint = QLabel("[ ] size · Alt or right-drag erases · Space-drag pans")
        tool_hint.setObjectName("hint")
        tool_hint.setWordWrap(True)

        self.show_button = QToolButton()
        self.show_button.setDefaultAction(actions.show_mask)
        self.show_button.setObjectName("maskTool")
        self.show_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.opacity = _slider(10, 100, round(DEFAULT_OPACITY * 100))
        self.opacity.setToolTip("How strongly the mask tints the image (the edit itself is unaffected)")
        overlay = QHBoxLayout()
        overlay.addWidget(self.show_button)
        overlay.addWidget(QLabel("Opacity"))
        overlay.addWidget(self.opacity, 1)

        self.amount = _spin(1, 256, 8, " px", "How far Grow and Shrink move the mask's edge")
        ops = QGridLayout()
        ops.setSpacing(6)
        ops.addWidget(_button(actions.invert), 0, 0)
        ops.addWidget(_button(actions.clear), 0, 1)
        ops.addWidget(_button(actions.grow), 1, 0)
        ops.addWidget(_button(actions.shrink), 1, 1)
        amount_row = QFormLayout()
        amount_row.addRow("Grow / shrink by", self.amount)
        ops.addLayout(amount_row, 2, 0, 1, 2)

        self.feather = _spin(0, 128, DEFAULT_FEATHER, " px", "The soft band outside the mask where the new "
                             "pixels blend into the old ones; everything beyond it stays exactly as it was")
        feather_row = QFormLayout()
        feather_row.addRow("Feather", self.feather)
        self.edit_masked_button = _button(actions.edit_masked, primary=True)
        self.edit_whole_button = _button(actions.edit_whole)
        # An input mistake (an empty mask) is said here, under the buttons, not in a modal dialog.
        self.problem = QLabel()
        self.problem.setObjectName("inlineError")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.status = QLabel()
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)

        self.hold_button = QPushButton("Hold to Compare")
        self.hold_button.setToolTip("Hold to see the image before this edit (\\ toggles it)")
        self.hold_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.split = _slider(0, 100, 0)
        self.split.setToolTip("Drag to reveal the image before the edit from the left")
        compare = QHBoxLayout()
        compare.addWidget(self.hold_button)
        compare.addWidget(QLabel("Split"))
        compare.addWidget(self.split, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 14)
        layout.setSpacing(8)
        for item in (_section("PAINT THE AREA TO CHANGE"), tools, brush_form, tool_hint, 4,
                     _section("OVERLAY"), overlay, 4, _section("MASK"), ops, 4,
                     _section("EDIT"), feather_row, self.edit_masked_button, self.edit_whole_button, self.problem,
                     self.status, 4,
                     _section("BEFORE / AFTER"), compare):
            if isinstance(item, int):
                layout.addSpacing(item)
            elif isinstance(item, QWidget):
                layout.addWidget(item)
            else:
                layout.addLayout(item)
        layout.addStretch(1)

        self._bind()

    @staticmethod
    def _pair(slider: QSlider, spin: QSpinBox) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(slider, 1)
        row.addWidget(spin)
        return row

    def _bind(self) -> None:
        brush = self.brush
        self.size_slider.valueChanged.connect(lambda v: brush.set_size(_slider_to_size(v)))
        self.size.valueChanged.connect(brush.set_size)
        self.hardness_slider.valueChanged.connect(lambda v: brush.set_hardness(v / 100))
        self.hardness.valueChanged.connect(lambda v: brush.set_hardness(v / 100))
        brush.changed.connect(self._show_brush)
        self.opacity.valueChanged.connect(lambda v: self.opacityChanged.emit(v / 100))
        self.hold_button.pressed.connect(lambda: self.compareHeld.emit(True))
        self.hold_button.released.connect(lambda: self.compareHeld.emit(False))
        self.split.valueChanged.connect(lambda v: self.splitChanged.emit(v / 100))

    def _show_brush(self) -> None:
        # Widgets follow the model; blocking their signals stops the echo back into it.
        for widget, value in ((self.size_slider, _size_to_slider(self.brush.size)), (self.size, self.brush.size),
                              (self.hardness_slider, round(self.brush.hardness * 100)),
                              (self.hardness, round(self.brush.hardness * 100))):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def show_problem(self, text: str) -> None:
        """Say what stops an edit next to its buttons; "" hides it."""
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def set_compare_available(self, available: bool) -> None:
        self.hold_button.setEnabled(available)
        self.split.setEnabled(available)
