"""The canvas zoom in the status bar ("67%"): follows every zoom (wheel, View menu, fit on
resize); a click opens Fit to Window / Actual Pixels / Zoom In / Zoom Out."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton

from app.canvas.view import MAX_ZOOM, CanvasView


def zoom_text(zoom: float) -> str:
    """Whole percent, except below 10% where a decimal still says something (2.5%)."""
    percent = zoom * 100
    return f"{percent:.1f}%" if percent < 10 else f"{round(percent)}%"


class ZoomIndicator(QToolButton):
    def __init__(self, canvas: CanvasView, actions: list[QAction], parent=None):
        """`actions`: the View menu's zoom actions, offered on click."""
        super().__init__(parent)
        self.setObjectName("zoomIndicator")
        self.setAutoRaise(True)
        self.setToolTip("Canvas zoom — click for Fit to Window or Actual Pixels (100%)")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        menu.addActions(actions)
        self.setMenu(menu)
        # As wide as the widest text, so the status bar does not shift while zooming.
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance(zoom_text(MAX_ZOOM)) + 28)
        canvas.zoomChanged.connect(self.show_zoom)
        self.show_zoom(canvas.zoom)

    def show_zoom(self, zoom: float) -> None:
        self.setText(zoom_text(zoom))
