"""Dock panels: made one way for every feature, so the window can save and restore their places,
and so no dock cuts its contents or its tab's label."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QTabBar, QWidget


class _PanelScroll(QScrollArea):
    """Scrolls up and down; sideways only when the dock is made narrower than its panel needs (a
    scroll bar then, never a cut-off right edge). Shown the first time narrower than that (the
    window's default layout, an older saved one), it widens its dock to fit the panel; when the
    panel grows later (Cancel beside Generate during a run) it widens with it, unless the user had
    made the dock narrower than the panel already needed."""

    def __init__(self, window: QMainWindow, dock: QDockWidget):
        super().__init__()
        self.window, self.dock = window, dock
        self._widened = False
        self._fitted = 0  # the panel's width needs when the dock last fitted them

    def setWidget(self, widget: QWidget) -> None:
        super().setWidget(widget)
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest and self._widened:
            QTimer.singleShot(0, self._follow_growth)
        return False

    def _follow_growth(self) -> None:
        if self.needed_width() > self._fitted and self.width() >= self._fitted:
            self._widen()

    def needed_width(self) -> int:
        inner = self.widget().minimumSizeHint().width() if self.widget() is not None else 0
        return inner + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), self.needed_width()), hint.height())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._widened:
            self._widened = True
            QTimer.singleShot(0, self._widen)  # once the window has laid its docks out

    def _widen(self) -> None:
        needed = self.needed_width()
        self._fitted = needed
        if needed > self.width() and not self.dock.isFloating():
            self.window.resizeDocks([self.dock], [self.dock.width() + needed - self.width()], Qt.Orientation.Horizontal)


class _WholeTabLabels(QObject):
    """QMainWindow makes the tab bars of tabbed docks itself, and they shorten labels to "Hist…"
    when the column is narrow. Each one it makes keeps whole labels and scrolls its tabs instead."""

    NAME = "wholeTabLabels"

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.ChildPolished and isinstance(event.child(), QTabBar):
            bar = event.child()
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)
        return False


def _keep_tab_labels_whole(window: QMainWindow) -> None:
    if window.findChild(_WholeTabLabels, _WholeTabLabels.NAME) is None:
        keeper = _WholeTabLabels(window)
        keeper.setObjectName(_WholeTabLabels.NAME)
        window.installEventFilter(keeper)


def make_dock(window: QMainWindow, title: str, name: str, widget: QWidget, scroll: bool = False) -> QDockWidget:
    """A movable, closable, floatable dock holding `widget` (in a scroll area when `scroll`), not
    yet added to the window. The window's dock tabs keep whole labels."""
    _keep_tab_labels_whole(window)
    dock = QDockWidget(title, window)
    dock.setObjectName(name)  # saveState/restoreState find docks by name
    if scroll:
        area = _PanelScroll(window, dock)
        area.setWidgetResizable(True)
        area.setWidget(widget)
        widget = area
    dock.setWidget(widget)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
    return dock
