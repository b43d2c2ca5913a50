"""Masked editing in the main window: MaskTools, made by the MainWindow, adds the mask layer, the
mask tools, the Mask panel, the Image-menu edit commands and before/after.

Everything binds to the window's DocumentModel (`window.doc`): the mask is `doc.mask`, every
stroke and operation is an EditMask on `doc.undo_stack`. Edits run through the window's Session
like any generation: the result enters the history (the source stays there too: non-destructive)
and goes on the canvas with SetBase (the window applies every result that way, then tells us,
through `result_applied`, so before/after can remember the source).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QToolBar

from app.document.commands import EditMask
from app.mask.compare import CompareController
from app.document.base_image import Document
from app.document.model import DocumentModel
from app.mask.actions import MaskActions, add_mask_menu, build_mask_actions
from app.mask.layer import MaskLayer
from app.mask.ops import cleared, coverage, differs, grown, inverted, shrunk, to_pil
from app.mask.tools import TOOL_CLASSES, BrushSettings, MaskTool
from app.mask.panel import MaskPanel
from app.generation.session import Activity
from app.ui.bindings import bind
from app.ui.docks import make_dock
from glm_core.generation.masking import prepare_mask
from glm_core.project.request_builder import EditSource, build_request
from glm_core.generation.validation import InvalidRequest, nearest_valid_size, validate_request


class MaskTools(QObject):
    def __init__(self, window: QMainWindow, toolbar: QToolBar, view_menu: QMenu, image_menu: QMenu):
        """`toolbar`: the canvas tools bar the mask tools join; `view_menu` gets the dock's switch,
        `image_menu` the edit commands."""
        super().__init__(window)
        self.window = window
        self.doc: DocumentModel = window.doc
        canvas = window.canvas
        self.layer = MaskLayer(self.doc)
        canvas.scene().addItem(self.layer)
        self.brush = BrushSettings(parent=self)
        self.tools: dict[str, MaskTool] = {
            cls.name: cls(lambda: self.doc, self.layer, self.brush, self._tool_left) for cls in TOOL_CLASSES}
        self.actions: MaskActions = build_mask_actions(window)
        self.compare = CompareController(canvas.scene(), self.doc, self)
        self.panel = MaskPanel(self.actions, self.brush)
        self.dock = self._add_dock(view_menu)
        add_mask_menu(image_menu, self.actions)
        toolbar.addSeparator()
        toolbar.addActions(list(self.actions.tools.values()))
        self._pending_source: Document | None = None  # the image a running edit started from
        self._switching = False  # we are changing the canvas tool ourselves
        self._connect()
        self._update_state()

    def _add_dock(self, view_menu: QMenu) -> QDockWidget:
        window = self.window
        dock = make_dock(window, "Mask", "maskDock", self.panel, scroll=True)
        # Made after the window restored its layout: take the saved place if there is one (asked
        # before adding the dock, or Qt reports its fresh place as restored), else a tab beside
        # History and Model (picking a mask tool raises it).
        if not window.restoreDockWidget(dock):
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            window.tabifyDockWidget(window.history_dock, dock)
            window.history_dock.raise_()
        view_menu.addAction(dock.toggleViewAction())
        return dock

    def _connect(self) -> None:
        a, w = self.actions, self.window
        for name, action in a.tools.items():
            action.toggled.connect(lambda on, name=name: self._tool_toggled(name, on))
        a.show_mask.toggled.connect(lambda _on: self._update_state())
        a.invert.triggered.connect(lambda: self._apply_op(inverted(self.doc.mask), "Invert mask"))
        a.clear.triggered.connect(lambda: self._apply_op(cleared(self.doc.mask), "Clear mask"))
        a.grow.triggered.connect(lambda: self._apply_op(grown(self.doc.mask, self.panel.amount.value()), "Grow mask"))
        a.shrink.triggered.connect(
            lambda: self._apply_op(shrunk(self.doc.mask, self.panel.amount.value()), "Shrink mask"))
        a.edit_masked.triggered.connect(lambda: self.edit(masked=True))
        a.edit_whole.triggered.connect(lambda: self.edit(masked=False))
        a.compare.toggled.connect(self.compare.set_held)
        self.panel.opacityChanged.connect(self.layer.setOpacity)
        bind(self.panel.feather, self.doc.settings, "feather")
        self.panel.compareHeld.connect(self.compare.set_held)
        self.panel.splitChanged.connect(self.compare.set_split)
        self.compare.availabilityChanged.connect(lambda _: self._update_state())
        self.compare.showingChanged.connect(lambda _: self._update_state())
        self.doc.maskChanged.connect(lambda _rect: self._update_status())
        self.doc.maskChanged.connect(lambda _rect: self.panel.show_problem(""))  # painting answers it
        self.doc.baseChanged.connect(self._update_state)
        self.doc.sizeChanged.connect(lambda *_: self._update_status())

        s = w.session
        s.activityChanged.connect(lambda _a: self._update_state())
        s.modelChanged.connect(lambda _r: self._update_state())
        s.generationFailed.connect(self._drop_pending)
        s.cancelled.connect(self._drop_pending)

    # -- tools --

    def _tool_toggled(self, name: str, on: bool) -> None:
        canvas = self.window.canvas
        self._switching = True
        try:
            if on:
                canvas.set_tool(self.tools[name])
                self.dock.show()
                self.dock.raise_()
                self.end_compare()  # painting needs the mask in view
                canvas.setFocus()  # [ and ] go to the tool through the canvas
            elif canvas.tool is self.tools[name]:
                canvas.set_tool(None)
        finally:
            self._switching = False

    def _tool_left(self, tool: MaskTool) -> None:
        """Someone else (e.g. the text tool) replaced our tool: the panel must not show it checked."""
        action = self.actions.tools[tool.name]
        if not self._switching and action.isChecked():
            action.setChecked(False)

    def select_tool(self, name: str | None) -> None:
        if name is None:
            checked = self.actions.tool_group.checkedAction()
            if checked is not None:
                checked.setChecked(False)
        else:
            self.actions.tools[name].setChecked(True)

    def end_compare(self) -> None:
        self.actions.compare.setChecked(False)
        self.panel.split.setValue(0)
        self.compare.set_held(False)

    # -- whole-mask operations --

    def _apply_op(self, after, text: str) -> None:
        """One EditMask holding only the rectangle that changed (undo stays small)."""
        rect = differs(self.doc.mask, after)
        if rect is not None:
            self.doc.undo_stack.push(EditMask(self.doc, rect, self.doc.mask.copy(rect), after.copy(rect), text))

    # -- edits --

    def edit(self, masked: bool) -> None:
        """Edit the image on the canvas as the prompt says: only the mask (plus its feather), or
        the whole image with the image as the reference. Problems are shown before anything runs."""
        w, session = self.window, self.window.session
        if not session.can_generate:
            w.status.showMessage("Load a model first" if session.report is None else "Wait for the current run", 6000)
            return
        base = self.doc.base
        if base is None:
            self._show_problem("Nothing to edit yet: generate an image or open a PNG first, then paint the area to change.")
            return
        report = session.report
        w.commit_pending_edits()  # the prompt typed so far becomes its undo step, as for Generate
        # The result keeps the image's size when the model takes it (a masked edit always does).
        size = nearest_valid_size(*base.image.size, report.min_side, report.max_side)
        source = EditSource(base.image, to_pil(self.doc.mask) if masked else None, size)
        request = build_request(self.doc, self.doc.settings, source)
        try:
            validate_request(request, report.min_side, report.max_side)
            if masked:
                prepare_mask(request.mask, base.image.size)  # "Paint a mask first" for an empty mask
        except InvalidRequest as exc:  # an input mistake: said inline, no modal dialog
            self._show_problem(str(exc))
            return
        self.panel.show_problem("")
        w.remember_prompt()
        w.autosaver.autosave()
        self._pending_source = base
        # Unlike Generate, the canvas keeps showing the source until the previews come in.
        w.staging.submit(request, w.create_panel.batch.value())  # Batch N (glm_core/generation/batch.py)

    def _show_problem(self, text: str) -> None:
        self.panel.show_problem(text)
        self.dock.show()
        self.dock.raise_()

    def result_applied(self, item) -> None:
        """The window put a finished result on the canvas: an edit's source becomes its "before"."""
        source, self._pending_source = self._pending_source, None
        if source is not None:
            self.compare.record(item.id, source)

    def _drop_pending(self, *_args) -> None:
        self._pending_source = None

    # -- state --

    def _update_state(self, *_args) -> None:
        generating = self.window.session.activity is Activity.GENERATING
        for tool in self.tools.values():
            tool.enabled = not generating
            if generating:
                tool.finish()
        # While a run owns the canvas its previews show; the mask comes back with the result. The
        # "before" view shows the picture alone, untinted.
        self.layer.setVisible(self.actions.show_mask.isChecked() and not generating and not self.compare.showing)
        self.compare.set_suspended(generating)
        ready = self.window.session.can_generate and self.doc.base is not None
        for action in self.actions.edit_only():
            action.setEnabled(ready)
        available = self.compare.available and not generating
        if not available and (self.actions.compare.isChecked() or self.panel.split.value()):
            self.end_compare()  # a new run or an image without a "before": start from "after" again
        self.actions.compare.setEnabled(available)
        self.panel.set_compare_available(available)
        self._update_status()

    def _update_status(self) -> None:
        if self.doc.base is None:
            text = "Generate or open an image, then paint the area to change."
        else:
            share = coverage(self.doc.mask)
            amount = "under 1%" if 0 < share < 0.01 else f"{share:.0%}"
            text = ("Paint the area to change, describe the change in the prompt, then Edit Masked Region."
                    if share == 0 else f"The mask covers {amount} of the image. The prompt says what to "
                    "put there.")
        self.panel.set_status(text)
