"""Text layout in the main window: TextTools, made by the MainWindow, adds the text boxes on the canvas,
the Select (V) and Text (T) tools, the Text, Layers and Layout docks, the layout guide picture
(glm_core/project/request_builder.py decides when it is sent) and the "Overlay my text" export.

Everything reads and edits the window's DocumentModel (`window.doc`); the two text switches are
its settings' overlay_text and layout_guide, changed through the undo stack.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QToolBar

from app.canvas.view import CanvasTool
from app.text.arrange import ArrangeActions
from app.document.commands import SetSetting
from app.document.model import DocumentModel
from app.ui.bindings import bind, follow
from app.ui.images import qimage_to_pil
from app.text.layers_panel import LayersPanel
from app.text.prompt_preview import PromptPreview
from app.text.text_panel import TextPanel
from app.ui.docks import make_dock
from app.ui.resources import icon
from app.text.items import BoxSelection
from app.text.layer import TextLayer
from app.text.text_check import TextCheck
from app.text.tools import SelectTool, TextTool
from app.text.typography import load_bundled_fonts, overlay_pil, render_layout_guide


class TextTools(QObject):
    def __init__(self, window: QMainWindow, toolbar: QToolBar, view_menu: QMenu):
        """`toolbar`: the canvas tools bar Select and Text join; `view_menu`: where the docks'
        switches go."""
        super().__init__(window)
        self.window = window
        self.font_family = load_bundled_fonts()
        self.doc: DocumentModel = window.doc
        self.selection = BoxSelection(self)
        self._had_selection = False
        self.layer = TextLayer(window.canvas, self.doc, self.selection, self)
        # Any tool switch is followed up once the switching tool's own handler is done (queued).
        self._tool_switched = QTimer(self)
        self._tool_switched.setSingleShot(True)
        self._tool_switched.setInterval(0)
        self._tool_switched.timeout.connect(self._follow_canvas_tool)
        self.select_tool = SelectTool(self.layer, self._tool_switched.start)
        # New boxes get font_family "": the bundled font.
        self.text_tool = TextTool(self.layer, left=self._tool_switched.start)
        self.text_panel = TextPanel(self.doc, self.selection)
        self.layers_panel = LayersPanel(self.doc, self.selection)
        self.preview = PromptPreview(self.doc, window.create_panel.prompt.edit.toPlainText)
        self._build_actions(toolbar)
        self.arrange = ArrangeActions(window, self.layer)
        window.menuBar().insertMenu(view_menu.menuAction(), self.arrange.build_menu(window))
        self.layers_panel.add_tool_rows(self.arrange.rows())
        self._add_docks(view_menu)
        self._connect()
        self.select_action.setChecked(True)
        self.check = TextCheck(window, self)  # OCR badges after each generation, Fix this box

    # -- building --

    def _build_actions(self, toolbar: QToolBar) -> None:
        w = self.window
        self.tool_group = QActionGroup(w)
        self.tool_group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        self.select_action = self._tool_action("Select", "tool-select", "V",
                                               "Select, move, resize and rotate text boxes; double-click to edit")
        self.text_action = self._tool_action("Text", "tool-text", "T", "Drag on the canvas to add a text box")
        toolbar.addActions([self.select_action, self.text_action])

    def _tool_action(self, text: str, icon_name: str, key: str, tip: str) -> QAction:
        action = QAction(icon(icon_name), text, self.window)
        action.setObjectName(f"textTool_{text.lower()}")
        action.setShortcut(QKeySequence(key))
        action.setToolTip(f"{tip} ({key})")
        action.setStatusTip(tip)
        action.setCheckable(True)
        self.tool_group.addAction(action)
        self.window.addAction(action)  # the shortcut works with the toolbar hidden
        return action

    def _add_docks(self, view_menu: QMenu) -> None:
        w = self.window
        self.text_dock = make_dock(w, "Text", "textDock", self.text_panel, scroll=True)
        self.layers_dock = make_dock(w, "Layers", "layersDock", self.layers_panel)
        self.layout_dock = make_dock(w, "Layout", "layoutDock", self.preview, scroll=True)
        # A strip along the canvas that one resizes by its edge: dragging there must not tear it off.
        self.layout_dock.setFeatures(self.layout_dock.features() & ~QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        # A strip under the canvas only (not under the side columns), so the Create panel keeps
        # its height and the composed prompt stays in view while boxes move.
        w.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        w.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        restored = []
        for dock, area in ((self.text_dock, right), (self.layout_dock, bottom), (self.layers_dock, bottom)):
            # Added after the window restored its layout: the saved place if there is one (asked
            # before addDockWidget, which would make Qt report any dock as restored).
            restored.append(w.restoreDockWidget(dock))
            if not restored[-1]:
                w.addDockWidget(area, dock, Qt.Orientation.Vertical)
        if not any(restored):
            # Text is a tab beside History/Model (their panels are too tall to share the right
            # column) that comes to the front when boxes are worked on; under the canvas, the
            # prompt strip and Layers side by side.
            w.splitDockWidget(self.layout_dock, self.layers_dock, Qt.Orientation.Horizontal)
            w.tabifyDockWidget(w.history_dock, self.text_dock)
            w.history_dock.raise_()
            QTimer.singleShot(0, self._default_sizes)  # sizes only stick once the window is laid out
        view_menu.addSeparator()
        for dock in (self.text_dock, self.layers_dock, self.layout_dock):
            view_menu.addAction(dock.toggleViewAction())

    def _default_sizes(self) -> None:
        self.window.resizeDocks([self.layout_dock], [300], Qt.Orientation.Vertical)
        self.window.resizeDocks([self.layout_dock, self.layers_dock], [520, 300], Qt.Orientation.Horizontal)

    def _connect(self) -> None:
        w = self.window
        self.select_action.toggled.connect(lambda on: self._tool_toggled(self.select_tool, on))
        self.text_action.toggled.connect(lambda on: self._tool_toggled(self.text_tool, on))
        self.text_tool.created.box.connect(lambda _id: self.select_action.setChecked(True))
        self.selection.changed.connect(self._selected)
        w.create_panel.prompt.edit.textChanged.connect(self.preview.refresh)
        self.exporter = w.files.exporter
        settings = self.doc.settings
        for check, name, text in ((self.preview.overlay, "overlay_text", "Overlay my text"),
                                  (self.preview.guide, "layout_guide", "Layout guide")):
            bind(check, settings, name, lambda on, name=name, text=text: self.doc.undo_stack.push(
                SetSetting(self.doc, name, on, f"{text} {'on' if on else 'off'}")))
        follow(self.preview.overlay, settings, ("overlay_text",), lambda: self._show_overlay(settings.overlay_text))

    def follow_other_tools(self, actions) -> None:
        """Leaving another canvas tool (a mask tool) with none chosen gives the canvas back to
        Select. Queued: the other tool's own toggle handler changes the canvas tool first."""
        for action in actions:
            action.toggled.connect(lambda on: on or self._tool_switched.start())

    # -- tools --

    def _tool_toggled(self, tool: CanvasTool, on: bool) -> None:
        canvas = self.window.canvas
        if on:
            canvas.set_tool(tool)
            if tool is self.text_tool:
                self.text_dock.raise_()
            canvas.setFocus(Qt.FocusReason.ShortcutFocusReason)
        elif canvas.tool is tool:
            self.layer.commit_edit()
            canvas.set_tool(None)

    def _follow_canvas_tool(self) -> None:
        """After a tool switch: ours stay checked only while they hold the canvas (a mask tool may
        have taken it), and a canvas left with no tool at all goes back to Select."""
        tool = self.window.canvas.tool
        for action, mine in ((self.select_action, self.select_tool), (self.text_action, self.text_tool)):
            if action.isChecked() and tool is not mine:
                action.setChecked(False)
        if type(tool) is CanvasTool:
            self.select_action.setChecked(True)

    def _selected(self, box_id: str) -> None:
        if box_id and self.window.canvas.tool not in (self.select_tool, self.text_tool):
            self.select_action.setChecked(True)  # picking a layer means working on boxes
        if box_id and not self._had_selection:
            self.text_dock.raise_()  # the box's properties, in front of History
        self._had_selection = bool(box_id)

    # -- options --

    def _show_overlay(self, on: bool) -> None:
        """With "Overlay my text" the canvas shows the boxes as they will be exported, not ghosted."""
        self.layer.set_ghost(not on)
        self.exporter.overlay = self.overlay_image if on else None

    def overlay_image(self, image):
        """The PIL image with the document's visible boxes drawn over it (export and copy)."""
        return overlay_pil(image, self.doc.boxes, self.doc.size)

    def render_guide(self, boxes, size: tuple[int, int], out_size: tuple[int, int]):
        """The layout guide picture (PIL) for glm_core's build_request."""
        return qimage_to_pil(render_layout_guide(boxes, size, out_size))
