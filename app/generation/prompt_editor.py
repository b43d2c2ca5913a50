"""The prompt: a multi-line editor with the user's recent prompts one click away."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

from app.ui.resources import icon

PLACEHOLDER = (
    "Describe the poster: subject, style, colours, layout…\n\n"
    "Text to print goes in “curly quotes”, e.g. a festival poster with the title “SUMMER NIGHTS”"
)
QUOTES_TIP = (
    "Words inside “…”, \"…\" or 「…」 are rendered as text in the image. Avoid single quotes:\n"
    "an apostrophe (TODAY'S) would be mistaken for an opening quote."
)
_MENU_CHARS = 70


class PromptEditor(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.edit = QPlainTextEdit()
        self.edit.setObjectName("promptEdit")
        self.edit.setPlaceholderText(PLACEHOLDER)
        self.edit.setToolTip(QUOTES_TIP)
        self.edit.setTabChangesFocus(True)
        self.edit.setMinimumHeight(QFontMetrics(self.edit.font()).lineSpacing() * 6)
        self.recent_button = QToolButton()
        self.recent_button.setObjectName("recentPrompts")
        self.recent_button.setText("Recent")
        self.recent_button.setIcon(icon("recent"))
        self.recent_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.recent_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.recent_button.setToolTip("Reuse one of your recent prompts")
        self.recent_menu = QMenu(self.recent_button)
        self.recent_button.setMenu(self.recent_menu)

        title = QLabel("Prompt")
        title.setObjectName("sectionTitle")
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.recent_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.edit, 1)
        self.set_recent([])

    @property
    def text(self) -> str:
        return self.edit.toPlainText().strip()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)

    def set_recent(self, prompts: list[str]) -> None:
        self.recent_menu.clear()
        for prompt in prompts:
            one_line = " ".join(prompt.split())
            label = one_line if len(one_line) <= _MENU_CHARS else one_line[:_MENU_CHARS] + "…"
            action = self.recent_menu.addAction(label.replace("&", "&&"))
            action.setToolTip(prompt)
            action.triggered.connect(lambda _=False, p=prompt: self.set_text(p))
        self.recent_button.setEnabled(bool(prompts))
