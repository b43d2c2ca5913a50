"""The left panel: what to make (prompt, size, steps, guidance, seed) and the Generate button.

Size, steps, guidance and seed are bound to the document's GenerationSettings; the prompt editor
is not: typing becomes an undoable "Edit prompt" after a pause (MainWindow.commit_pending_edits).
"""

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
from app.ui.bindings import bind, follow
from glm_core.generation.batch import MAX_BATCH
from glm_core.generation.settings import GenerationSettings
from glm_core.generation.validation import MAX_GUIDANCE, MAX_STEPS, MIN_GUIDANCE, MIN_STEPS


def _section(title: str) -> QLabel:
    label = QLabel(title)
    label.setObjectName("sectionTitle")
    return label


class CreatePanel(QWidget):
    generateRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, settings: GenerationSettings, parent=None):
        super().__init__(parent)
        self.setObjectName("createPanel")
        self.prompt = PromptEditor()
        self.size_picker = SizePicker()
        self.steps = QSpinBox()
        self.steps.setObjectName("steps")
        self.steps.setRange(MIN_STEPS, MAX_STEPS)
        self.steps.setToolTip("Denoising steps of the DiT: more is slower and finer. 30–50 recommended.")
        self.guidance = QDoubleSpinBox()
        self.guidance.setObjectName("guidance")
        self.guidance.setRange(MIN_GUIDANCE, MAX_GUIDANCE)
        self.guidance.setSingleStep(0.1)
        self.guidance.setDecimals(1)
        self.guidance.setToolTip("How strictly the image follows the prompt. 1.5 recommended; "
                                 "high values burn the colours.")
        self.seed = SeedField()

        self.generate_button = QPushButton("Generate")
        self.generate_button.setObjectName("generateButton")
        self.generate_button.setToolTip("Generate an image (Ctrl+Enter)")
        self.batch = QSpinBox()
        self.batch.setObjectName("batch")
        self.batch.setRange(1, MAX_BATCH)
        self.batch.setPrefix("Batch ")
        self.batch.setToolTip("Batch: how many results Generate makes. After the first, the others reuse its "
                              "layout and re-run only the DiT (masked edits: a new seed each); they wait on "
                              "the staging strip under the canvas")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setToolTip("Stop the run and everything queued (Esc)")
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
        buttons.addWidget(self.batch)
        buttons.addWidget(self.cancel_button, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 14)
        layout.setSpacing(10)
        layout.addWidget(self.prompt, 1)
        # An input mistake (an empty prompt, a bad size) is said here, under the prompt; modal
        # dialogs are kept for real failures.
        self.problem = QLabel()
        self.problem.setObjectName("inlineError")
        self.problem.setWordWrap(True)
        self.problem.hide()
        layout.addWidget(self.problem)
        layout.addSpacing(4)
        layout.addWidget(_section("Size"))
        layout.addWidget(self.size_picker)
        layout.addSpacing(4)
        layout.addWidget(_section("Settings"))
        layout.addLayout(quality)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        layout.addWidget(self.status)

        self.prompt.edit.textChanged.connect(lambda: self.show_problem(""))  # typing answers it
        self.generate_button.clicked.connect(self.generateRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self._bind(settings)

    def _bind(self, settings: GenerationSettings) -> None:
        bind(self.steps, settings, "steps")
        bind(self.guidance, settings, "guidance")
        picker, seed = self.size_picker, self.seed
        # Not quiet: a blank page follows the picker's size, whoever set it (MainWindow).
        follow(picker, settings, ("width", "height"), lambda: picker.set_size(settings.width, settings.height),
               quiet=False)
        picker.sizeChanged.connect(lambda width, height: settings.update(width=width, height=height))
        # An unlocked field shows the last seed drawn (unused: settings.request_seed is None).
        follow(seed, settings, ("seed", "seed_locked"),
               lambda: seed.set_seed(settings.seed if settings.seed or settings.seed_locked else None,
                                     settings.seed_locked))
        seed.changed.connect(lambda: settings.update(seed=seed.shown, seed_locked=seed.locked))

    def show_problem(self, text: str) -> None:
        """Say what stops Generate under the prompt; "" hides it."""
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def add_queue_view(self, view: QWidget) -> None:
        """The queue's jobs, under the buttons (app/generation/queue_view.py)."""
        self.layout().insertWidget(self.layout().indexOf(self.status), view)

    def set_busy(self, busy: bool) -> None:
        """While something runs Generate stays: it queues the next request."""
        self.cancel_button.setVisible(busy)
        self.generate_button.setToolTip("Queue another image after the current run (Ctrl+Enter)" if busy
                                        else "Generate an image (Ctrl+Enter)")

    def set_ready(self, ready: bool, reason: str = "") -> None:
        """Whether Generate can run now; `reason` tells the user why not."""
        self.generate_button.setEnabled(ready)
        self.status.setText(reason)
        self.status.setVisible(bool(reason))
