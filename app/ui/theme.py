"""The dark studio look: Fusion style, a dark palette (for what QSS does not reach) and studio.qss."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from app.ui.resources import resource_path

_COLORS = {
    QPalette.ColorRole.Window: "#24262b",
    QPalette.ColorRole.WindowText: "#d7dae0",
    QPalette.ColorRole.Base: "#1c1e22",
    QPalette.ColorRole.AlternateBase: "#26282d",
    QPalette.ColorRole.Text: "#d7dae0",
    QPalette.ColorRole.PlaceholderText: "#6f7580",
    QPalette.ColorRole.Button: "#2e3137",
    QPalette.ColorRole.ButtonText: "#d7dae0",
    QPalette.ColorRole.Highlight: "#4d7cff",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#2e3137",
    QPalette.ColorRole.ToolTipText: "#e6e8ec",
    QPalette.ColorRole.Link: "#7fa2ff",
}


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, color in _COLORS.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6a6f78"))
    app.setPalette(palette)
    sheet = resource_path("styles/studio.qss").read_text(encoding="utf-8")
    # QSS resolves url() against the working directory; point it at our icons wherever we run.
    app.setStyleSheet(sheet.replace("@icons", resource_path("icons").as_posix()))
