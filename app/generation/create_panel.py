"""The left panel: what to make (prompt, size, steps, guidance, seed) and the Generate button."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.generation.prompt_editor import PromptEditor
from app.generation.seed_field import SeedField
from app.generation.size_picker import SizePicker
from glm_core.generation.recipe import Recipe
from glm_core.generation.request import DEFAULT_GUIDANCE, DEFAULT_STEPS, GenerationRequest
from glm_core.generation.validation import MAX_GUIDANCE, MAX_STEPS, MIN_GUIDANCE, MIN_STEPS


def _section(title: str) -> QLabel:
    label = QLabel(title)
    label.setObjectName("sectionTitle")
    return label


class CreatePanel(QWidget):
    generateRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("createPanel")
        # Functions that adjust every request before it leaves the panel (the text layout swaps
        # in the composed prompt): request -> request, applied in order.
        self.request_hooks: list = []
        self.prompt = PromptEditor()
        self.size_picker = SizePicker()
        self.steps = QSpinBox()
        self.steps.setObjectName("steps")
        self.steps.setRange(MIN_STEPS, MAX_STEPS)
        self.steps.setValue(DEFAULT_STEPS)
        self.steps.setToolTip("Denoising steps of the DiT: more is slower and finer. 30–50 recommended.")
        self.guidance = QDoubleSpinBox()
        self.guidance.setObjectName("guidance")
        self.guidance.setRange(MIN_GUIDANCE, MAX_GUIDANCE)
        self.guidance.setSingleStep(0.1)
        self.guidance.setDecimals(1)
        self.guidance.setValue(DEFAULT_GUIDANCE)
        self.guidance.setToolTip("How strictly the image follows the prompt. 1.5 recommended; "
                                 "high values burn the colours.")
        self.seed = SeedField()

        self.generate_button = QPushButton("Generate")
        self.generate_button.setObjectName("generateButton")
        self.generate_button.setToolTip("Generate an image (Ctrl+Enter)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setToolTip("Stop now (Esc)")
        self.cancel_button.hide()
        self.status = QLabel()
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)

        quality = QFormLayout()
        quality.setHorizontalSpacing(12)
        quality.setVerticalSpacing(8)
        quality.addRow("Steps", self.steps)
        quality.addRow("Guidance", self.guidance)
        quality.addRow("Seed", self.seed)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 1)
        buttons.addWidget(self.cancel_button, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 14)
        layout.setSpacing(10)
        layout.addWidget(self.prompt, 1)
        layout.addSpacing(4)
        layout.addWidget(_section("Size"))
        layout.addWidget(self.size_picker)
        layout.addSpacing(4)
        layout.addWidget(_section("Settings"))
        layout.addLayout(quality)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        layout.addWidget(self.status)

        self.generate_button.clicked.connect(self.generateRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)

    def request(self) -> GenerationRequest:
        width, height = self.size_picker.size
        request = GenerationRequest(
            prompt=self.prompt.text,
            width=width,
            height=height,
            steps=self.steps.value(),
            guidance=round(self.guidance.value(), 2),
            seed=self.seed.seed(),
        )
        for hook in self.request_hooks:
            request = hook(request)
        return request

    def apply_recipe(self, recipe: Recipe) -> None:
        """Restore everything a recipe says, with its seed locked, so Generate reproduces it."""
        self.prompt.set_text(recipe.prompt)
        self.size_picker.set_size(recipe.width, recipe.height)
        self.steps.setValue(recipe.steps)
        self.guidance.setValue(recipe.guidance)
        self.seed.set_seed(recipe.seed, locked=True)

    def values(self) -> dict:
        """What is remembered between sessions (the prompt itself lives in the recent list)."""
        width, height = self.size_picker.size
        return {
            "width": width,
            "height": height,
            "steps": self.steps.value(),
            "guidance": self.guidance.value(),
            "seed": self.seed.seed() or 0,
            "seed_locked": self.seed.locked,
        }

    def restore(self, values: dict) -> None:
        self.size_picker.set_size(values["width"], values["height"])
        self.steps.setValue(values["steps"])
        self.guidance.setValue(values["guidance"])
        self.seed.set_seed(values["seed"] if values["seed_locked"] else None, values["seed_locked"])

    def set_busy(self, busy: bool) -> None:
        self.generate_button.setVisible(not busy)
        self.cancel_button.setVisible(busy)

    def set_ready(self, ready: bool, reason: str = "") -> None:
        """Whether Generate can run now; `reason` tells the user why not."""
        self.generate_button.setEnabled(ready)
        self.status.setText(reason)
        self.status.setVisible(bool(reason))
