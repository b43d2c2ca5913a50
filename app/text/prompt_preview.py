"""The Layout dock: the prompt GLM-Image will get, composed live from the scene and the text
boxes, with Pin to edit it by hand; plus the two text options (overlay, layout guide).

It shows what glm_core/project/request_builder.build_request will send: the pinned prompt if
there is one, else the composed prompt when a visible box has text, else the prompt as typed (so
quoted text typed straight into the prompt still renders when no boxes are used).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.document.commands import SetPrompts
from app.document.model import DocumentModel
from glm_core.project.document import has_text
from glm_core.project.prompt_composer import ComposedPrompt, compose_prompt

GUIDE_TIP = ("Off by default: not yet shown to improve results.\n"
             "Sends a picture of your text boxes (fonts, colours, positions) as a reference image.")
OVERLAY_TIP = ("Draw the text boxes as real text over the image on export and copy, at full resolution:\n"
               "every word exactly right, whatever the model drew. The canvas shows it as it will be.")
_PIN_EDIT_MS = 500  # a pinned-prompt edit becomes one undo step after this pause in typing


class _WrappedLabel(QLabel):
    """A word-wrapped label that asks for the height its lines need at its width: the splitter
    above it (and the dock) then never cut its last line off."""

    def __init__(self):
        super().__init__()
        self.setWordWrap(True)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        needed = self.heightForWidth(self.width()) if self.text() else 0
        if needed != self.minimumHeight():
            self.setMinimumHeight(needed)


class PromptPreview(QWidget):
    def __init__(self, document: DocumentModel, scene: Callable[[], str], parent=None):
        super().__init__(parent)
        self.setObjectName("promptPreview")
        self.document = document
        self.scene = scene  # the Create panel's prompt, read when needed
        title = QLabel("Prompt sent to GLM-Image")
        title.setObjectName("sectionTitle")
        self.pin_button = QToolButton()
        self.pin_button.setObjectName("pinPrompt")
        self.pin_button.setText("Pin")
        self.pin_button.setCheckable(True)
        self.pin_button.setToolTip("Pin: edit the composed prompt by hand and keep it as it is.\n"
                                   "Unpin: follow the scene and the text boxes again.")
        self.view = QPlainTextEdit()
        self.view.setObjectName("composedPrompt")
        # Three lines at least, so the prompt reads as a prompt; the splitter below gives it more.
        self.view.setMinimumHeight(self.view.fontMetrics().lineSpacing() * 3 + 14)
        self.notices = _WrappedLabel()
        self.notices.setObjectName("hint")
        self.overlay = QCheckBox("Overlay my text")
        self.overlay.setObjectName("overlayText")
        self.overlay.setToolTip(OVERLAY_TIP)
        self.guide = QCheckBox("Layout guide")
        self.guide.setObjectName("layoutGuide")
        self.guide.setToolTip(GUIDE_TIP)
        self._commit_timer = QTimer(self)
        self._commit_timer.setSingleShot(True)
        self._commit_timer.setInterval(_PIN_EDIT_MS)

        header = QHBoxLayout()
        header.addWidget(title, 1)
        header.addWidget(self.pin_button)
        # Wide enough for the title beside Pin (its bold face comes from the style sheet, later) and
        # both switches; a narrower dock scrolls sideways.
        self.setMinimumWidth(260)
        title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        options = QHBoxLayout()
        options.setSpacing(12)
        options.addWidget(self.overlay)
        options.addWidget(self.guide)
        options.addStretch(1)
        # The prompt above, notes and switches below, with a handle between them: dragging it gives
        # the prompt more lines (the dock's own edge resizes the strip against the canvas).
        details = QWidget()
        self.details = QVBoxLayout(details)  # the text check adds its switch and summary here
        self.details.setContentsMargins(0, 4, 0, 0)
        self.details.setSpacing(6)
        self.details.addWidget(self.notices)
        self.details.addLayout(options)
        self.details.addStretch(1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("layoutSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(details)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self._handle_moved = False  # until the user drags the handle, the prompt gets all spare room
        self.splitter.splitterMoved.connect(lambda *_: setattr(self, "_handle_moved", True))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.splitter, 1)

        self.pin_button.toggled.connect(self._pin_toggled)
        self.view.textChanged.connect(self._typed)
        self._commit_timer.timeout.connect(self.commit_pinned)
        for signal in (document.boxAdded, document.boxChanged, document.boxRemoved, document.boxesReordered,
                       document.promptsChanged, document.sizeChanged):
            signal.connect(self.refresh)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self._handle_moved:
            below = self.splitter.widget(1).minimumSizeHint().height()
            self.splitter.setSizes([max(sum(self.splitter.sizes()) - below, 0), below])
        self.refresh()

    # -- what is sent --

    def composed(self) -> ComposedPrompt:
        return compose_prompt(self.scene(), self.document.boxes, *self.document.size)

    @property
    def pinned(self) -> bool:
        return self.document.pinned_prompt is not None

    # -- showing --

    def refresh(self, *_args) -> None:
        pinned = self.pinned
        with QSignalBlocker(self.pin_button):
            self.pin_button.setChecked(pinned)
        self.view.setReadOnly(not pinned)
        if pinned:
            text = self.document.pinned_prompt
            notes = ["Pinned: edits to the scene and the boxes no longer change this prompt."]
        elif has_text(self.document.boxes):
            composed = self.composed()
            text, notes = composed.prompt, composed.notices
        else:
            text = self.scene()
            notes = ["No text boxes yet: the prompt is sent as written. Press T and drag on the "
                     "canvas to place text."]
        if self.view.toPlainText() != text and not (pinned and self._commit_timer.isActive()):
            with QSignalBlocker(self.view):
                self.view.setPlainText(text)
        self.notices.setText("\n".join(notes))
        self.notices.setVisible(bool(notes))

    # -- pinning --

    def _pin_toggled(self, on: bool) -> None:
        scene = self.scene()
        if on:
            self.document.undo_stack.push(SetPrompts(self.document, scene, self.view.toPlainText(), "Pin prompt"))
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self._commit_timer.stop()
            self.document.undo_stack.push(SetPrompts(self.document, scene, None, "Unpin prompt"))

    def _typed(self) -> None:
        if self.pinned:
            self._commit_timer.start()

    def commit_pinned(self) -> None:
        if not self._commit_timer.isActive():
            return
        self._commit_timer.stop()
        text = self.view.toPlainText()
        if self.pinned and text != self.document.pinned_prompt:
            self.document.undo_stack.push(SetPrompts(self.document, self.scene(), text, "Edit pinned prompt"))
