"""Memory in the window: the plan for the picture about to be made, and one-click ways out.

Before Generate, the Model panel shows what the planner expects for the current size and
reference images ("~7.2 GB of 12.0 GB, model offload"); the runner checks again when the job
starts. When a run does not fit (refused up front, or out of memory half-way), the failure
carries remedies (glm_core.generation.events.Remedy): re-place the model with more offload, or
a smaller size. This offers them as buttons and carries out the one picked.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QMessageBox, QWidget

from app.generation.session import Session
from glm_core.generation.events import Remedy
from glm_core.generation.request import GenerationRequest
from glm_core.models.memory import Job, MemoryPlan
from glm_core.project.document import has_text


class MemoryPlanning:
    """Shows the plan for the next Generate in the Model panel; offers a failed run's remedies and
    re-runs the same request once one is applied."""

    def __init__(self, window: QWidget, session: Session, doc, model_panel, start):
        self.window = window
        self.session = session
        self.doc = doc  # the DocumentModel: its settings (size, layout guide) and boxes
        self.settings = doc.settings
        self.model_panel = model_panel
        self.start = start  # window._start: runs a request on a fresh canvas
        self._retry: GenerationRequest | None = None
        self.dialog: QMessageBox | None = None
        session.modelChanged.connect(self._on_model_changed)
        self.settings.observe(lambda name, _value: name in ("width", "height", "layout_guide") and self.refresh())

    def next_plan(self) -> MemoryPlan | None:
        """What the planner expects for Generate now; None while no model is loaded."""
        report = self.session.report
        if report is None or not report.sizes:
            return None
        guide = int(self.settings.layout_guide and has_text(self.doc.boxes))  # the guide is a reference image
        return report.plan_for(Job(self.settings.width, self.settings.height, guide))

    def refresh(self) -> None:
        plan = self.next_plan()
        if plan is not None:
            self.model_panel.show_plan(plan)

    def _on_model_changed(self, report) -> None:
        self.refresh()
        request, self._retry = self._retry, None
        if request is not None and report is not None:
            self.start(request)

    def offer(self, message: str, remedies: tuple[Remedy, ...], request: GenerationRequest) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Warning, "Not enough memory", message, QMessageBox.StandardButton.Cancel,
                          self.window)
        box.setObjectName("memoryRemedies")
        box.setInformativeText("Pick a way to make it fit; nothing else changes.")
        for remedy in remedies:
            button = box.addButton(remedy.label, QMessageBox.ButtonRole.AcceptRole)
            button.clicked.connect(lambda _checked=False, r=remedy: self.apply(r, request))
        box.open()
        self.dialog = box
        return box

    def apply(self, remedy: Remedy, request: GenerationRequest) -> None:
        if remedy.offload is not None:
            self._retry = request  # once the model is re-placed (modelChanged)
            self.session.place(remedy.offload)
        else:
            self.settings.update(width=remedy.width, height=remedy.height)
            self.start(replace(request, width=remedy.width, height=remedy.height))


