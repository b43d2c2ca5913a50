"""The mask's actions: one QAction per command, shared by the Image menu and the mask panel's
buttons (a button shows its action), so shortcuts, checked tools and enabled states agree
everywhere. Single-letter shortcuts are window-wide but never fire while a text field has focus
(Qt lets the field take the key first).

Keys: B brush, E eraser, M rectangle, L lasso, [ ] brush size (on the canvas), Q show/hide the
mask, Ctrl+Shift+I invert, Ctrl+Shift+D clear, \\ before/after. T and V belong to the text tool.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from app.mask.tools import TOOL_CLASSES
from app.ui.resources import icon


@dataclass
class MaskActions:
    tools: dict[str, QAction]  # name -> checkable action, one group (none checked = no mask tool)
    tool_group: QActionGroup
    show_mask: QAction
    invert: QAction
    clear: QAction
    grow: QAction
    shrink: QAction
    edit_masked: QAction
    edit_whole: QAction
    compare: QAction

    def edit_only(self) -> list[QAction]:
        """What needs an image and an idle model."""
        return [self.edit_masked, self.edit_whole]


def _action(window: QMainWindow, text: str, tip: str, shortcut: str = "", checkable: bool = False) -> QAction:
    action = QAction(text, window)
    label = f"{tip} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})" if shortcut else tip
    action.setStatusTip(tip)
    action.setToolTip(label)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.setCheckable(checkable)
    window.addAction(action)  # shortcuts work with the menu bar hidden
    return action


_TOOL_TIPS = {
    "brush": "Paint the area to change; Alt or the right button erases",
    "eraser": "Erase from the mask; Alt or the right button paints",
    "rectangle": "Drag a rectangle to add to the mask; Alt subtracts, Shift makes a square",
    "lasso": "Draw round an area to add it to the mask; Alt subtracts",
}


def build_mask_actions(window: QMainWindow) -> MaskActions:
    group = QActionGroup(window)
    group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
    tools = {}
    for cls in TOOL_CLASSES:
        action = _action(window, cls.title, _TOOL_TIPS[cls.name], cls.shortcut, checkable=True)
        action.setObjectName(f"maskTool_{cls.name}")
        action.setIcon(icon(f"tool-{cls.name}"))
        group.addAction(action)
        tools[cls.name] = action
    show = _action(window, "Show Mask", "Show or hide the mask overlay", "Q", checkable=True)
    show.setChecked(True)
    return MaskActions(
        tools=tools,
        tool_group=group,
        show_mask=show,
        invert=_action(window, "Invert Mask", "Change everything except what is painted", "Ctrl+Shift+I"),
        clear=_action(window, "Clear Mask", "Remove the whole mask", "Ctrl+Shift+D"),
        grow=_action(window, "Grow Mask", "Widen the painted area by the grow/shrink amount"),
        shrink=_action(window, "Shrink Mask", "Narrow the painted area by the grow/shrink amount"),
        edit_masked=_action(window, "Edit Masked Region", "Regenerate only the painted area, as the prompt says",
                            "Ctrl+Shift+Return"),
        edit_whole=_action(window, "Edit Whole Image", "Change the whole image as the prompt says, keeping its "
                           "composition (the current image is the reference)"),
        compare=_action(window, "Compare Before/After", "Show the image this edit started from", "\\",
                        checkable=True),
    )


def add_mask_menu(image_menu: QMenu, actions: MaskActions) -> QMenu:
    """The edit commands go into the Image menu, with a Mask submenu for the tools and mask
    operations."""
    image_menu.addSeparator()
    image_menu.addActions([actions.edit_masked, actions.edit_whole, actions.compare])
    mask_menu = image_menu.addMenu("&Mask")
    mask_menu.addActions(list(actions.tools.values()))
    mask_menu.addSeparator()
    mask_menu.addActions([actions.show_mask, actions.invert, actions.clear, actions.grow, actions.shrink])
    return mask_menu
